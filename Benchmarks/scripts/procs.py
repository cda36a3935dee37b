"""Processes and probes for the benchmark runner: every child is started in its own
process group and remembered, so one `stop_all()` (called from `finally` and from the
signal handlers) ends everything the run started, and nothing else."""

import http.client
import json
import os
import signal
import socket
import subprocess
import time

# Bound on waiting for a server to answer its readiness URL (a 100k-user config loads
# in seconds; under load from other sessions it may take several times longer).
READY_TIMEOUT_S = 90
# Bound on a graceful stop before SIGKILL (Herald drains HTTP and deliveries for 5 s each).
STOP_TIMEOUT_S = 15


class Processes:
    """The children of one run."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.children = []

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.workdir, f"{name}.log"), "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        log.close()
        proc.bench_name = name
        self.children.append(proc)
        return proc

    def stop(self, proc, timeout=STOP_TIMEOUT_S):
        """SIGTERM to the child's process group, SIGKILL after `timeout`."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        if proc in self.children:
            self.children.remove(proc)

    def stop_all(self):
        for proc in list(reversed(self.children)):
            self.stop(proc)


def free_port():
    """A loopback port nothing listens on now (other sessions share the machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, headers=None, timeout=10):
    """One HTTP request on loopback; returns (status, body bytes) or (0, b"") on error."""
    assert url.startswith("http://127.0.0.1:")
    host_port, _, path = url[len("http://"):].partition("/")
    host, _, port = host_port.partition(":")
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        conn.request(method, "/" + path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data
    except OSError:
        return 0, b""


def wait_ready(url, proc, timeout=READY_TIMEOUT_S, ok=(200, 204)):
    """Waits until `url` answers `ok` (bounded), failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        status, _ = request("GET", url, timeout=2)
        if status in ok:
            return True
        time.sleep(0.05)
    return False


def memory_mb(pid):
    """(VmRSS, VmHWM) of a process in MiB, from /proc."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, kb = line.split()[:2]
                    values[key] = int(kb) / 1024
    except OSError:
        pass
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def run_json(argv, prefix=None, timeout=600):
    """Runs a tool that prints a JSON object (on a line starting with `prefix`, or its
    last line) and returns it with the exit status."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if prefix:
        lines = [l[len(prefix):] for l in lines if l.startswith(prefix)]
    try:
        return json.loads(lines[-1]), done
    except (IndexError, json.JSONDecodeError):
        return None, done


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])
