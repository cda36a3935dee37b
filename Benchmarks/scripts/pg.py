"""A throw-away PostgreSQL server for the benchmark run: `initdb` into a temp directory,
`postgres` on a free loopback port (its unix socket in the same directory), databases
created per measurement, stopped and removed at the end. The Python twin of the test
kit's Tests/HeraldTestKit/TemporaryPostgres.swift, with one difference: the server is
durable (fsync and synchronous commit on, PostgreSQL's defaults), because a benchmark
compares it with SQLite's durable commits.

As root (containers, CI) `initdb` and `postgres` refuse to run, so every server command
runs through `setpriv` as the unprivileged `postgres` user (Debian's server package
creates it; else `nobody`), and the directory lives under /tmp, which that user can reach.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import procs

# The superuser initdb creates; the server trusts loopback connections (benchmark only).
USER = "herald"
# Longest wait for initdb or for the server to take connections (~2 s here when idle).
STARTUP_TIMEOUT_S = 60
# How many free ports are tried when another process takes the one chosen first.
PORT_ATTEMPTS = 5
# Longest wait for a fast shutdown before the run's process stop (SIGTERM, then SIGKILL).
SHUTDOWN_TIMEOUT_S = 20
# Server settings: enough connections for two Herald instances with their pools and
# psql, buffers large enough that a 30-second run stays in memory. Durability settings
# are left at PostgreSQL's defaults on purpose (see the module comment).
SETTINGS = {"listen_addresses": "127.0.0.1", "max_connections": "100", "shared_buffers": "128MB"}


def bin_directory():
    """$HERALD_PG_BINDIR, or the newest /usr/lib/postgresql/<major>/bin with initdb."""
    if os.environ.get("HERALD_PG_BINDIR"):
        return os.environ["HERALD_PG_BINDIR"]
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(os.path.join(d, "initdb"), os.X_OK)]
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/install-deps --tests)")
    return max(found, key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)


def unprivileged_user():
    """`postgres` when it exists, else `nobody`; None when not root (no switch needed)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        return "nobody"


class TemporaryPostgres:
    """One server for the run; `stop()` (also from the run's `finally`) ends it and
    removes its directory."""

    def __init__(self, processes, base=None):
        self.processes = processes
        self.bindir = bin_directory()
        self.run_as = unprivileged_user()
        base = base or ("/tmp" if self.run_as else None)
        self.directory = tempfile.mkdtemp(prefix="herald-bench-pg-", dir=base)
        self.data = os.path.join(self.directory, "data")
        self.proc = None
        self.port = None
        try:
            if self.run_as:
                entry = pwd.getpwnam(self.run_as)
                os.chown(self.directory, entry.pw_uid, entry.pw_gid)
            self._command("initdb", ["-D", self.data, "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C"])
            for _ in range(PORT_ATTEMPTS):
                if self._start(procs.free_port()):
                    return
            raise RuntimeError(f"postgres did not start on a free port; see {self.directory}/server.log")
        except BaseException:
            self.stop()
            raise

    def _argv(self, program, args):
        path = os.path.join(self.bindir, program)
        if self.run_as:
            return ["setpriv", f"--reuid={self.run_as}", f"--regid={self.run_as}", "--init-groups", "--", path] + args
        return [path] + args

    def _command(self, program, args):
        done = subprocess.run(self._argv(program, args), capture_output=True, text=True, timeout=STARTUP_TIMEOUT_S,
                              cwd=self.directory)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()[:600]}")
        return done.stdout

    def _start(self, port):
        """Starts `postgres` on `port`; False when it exited first (the port was taken)."""
        options = []
        for key, value in dict(SETTINGS, port=str(port), unix_socket_directories=self.directory).items():
            options += ["-c", f"{key}={value}"]
        self.port = port
        # The log goes to the run's work directory like every other server's.
        self.proc = self.processes.start("postgres", self._argv("postgres", ["-D", self.data] + options))
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if self.psql("SELECT 1") == "1":
                    return True
            except RuntimeError:
                pass
            time.sleep(0.1)
        self.processes.stop(self.proc)
        self.proc = None
        return False

    def url(self, database="postgres"):
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database="postgres"):
        done = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", self.url(database), "-c", sql], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()[:400]}")
        return done.stdout.strip()

    def create_database(self, name):
        """A fresh, empty database `name` (dropped first if a previous measurement left it)."""
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def version(self):
        try:
            return self.psql("SHOW server_version")
        except RuntimeError:
            return "?"

    def stop(self):
        """Fast shutdown (SIGINT to the postmaster), bounded; then the directory goes."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc is not None:
            self.processes.stop(self.proc)
            self.proc = None
        shutil.rmtree(self.directory, ignore_errors=True)
