"""The servers of a benchmark run: nginx (ceiling and logging sink), the timestamping
sink, Herald and Alertmanager, each started on a free loopback port and stopped by
the run's `Processes`."""

import json
import os
import shutil
import time

import gen_config
import procs

HERALD_TOKEN = "bench-token-not-a-secret"
# A fixed development secret (Standard Webhooks format); only ever used on loopback.
HERALD_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
# A Herald instance's PostgreSQL pool in the benchmarks: the documented default.
PG_CONNECTIONS = 8


class Nginx:
    """One nginx worker: a `return 204;` port without logging (the ceiling) and one
    logging `$msec` per request (the delivery sink, whose lines the burst counts)."""

    def __init__(self, processes, workdir, template):
        self.workdir = workdir
        self.baseline_port = procs.free_port()
        self.sink_port = procs.free_port()
        self.log_path = os.path.join(workdir, "sink-access.log")
        conf = open(template).read()
        for key, value in (("@DIR@", workdir), ("@BASELINE_PORT@", str(self.baseline_port)),
                           ("@SINK_PORT@", str(self.sink_port))):
            conf = conf.replace(key, value)
        path = os.path.join(workdir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = processes.start("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-p", workdir, "-c", path])
        if not procs.wait_ready(self.baseline_url, self.proc, timeout=10):
            raise RuntimeError(f"nginx did not start; see {workdir}/nginx.log and nginx-error.log")

    @property
    def baseline_url(self):
        return f"http://127.0.0.1:{self.baseline_port}/v1/events"

    @property
    def sink_url(self):
        return f"http://127.0.0.1:{self.sink_port}/hook"

    def worker_pid(self):
        """The single worker's pid (the master only forks it)."""
        try:
            master = int(open(os.path.join(self.workdir, "nginx.pid")).read())
            children = open(f"/proc/{master}/task/{master}/children").read().split()
            return int(children[0]) if children else master
        except (OSError, ValueError):
            return self.proc.pid

    def truncate_log(self):
        """Empties the sink log; nginx appends (O_APPEND), so it writes at the new end."""
        open(self.log_path, "w").close()

    def log_stamps(self):
        """The `$msec` of every request logged so far."""
        try:
            with open(self.log_path) as f:
                return [float(line.split()[0]) for line in f if line.strip()]
        except OSError:
            return []

    def count_lines(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().count(b"\n")
        except OSError:
            return 0


class Balancer:
    """nginx round-robin over Herald instances (Benchmarks/config/balancer.conf.in), the
    way docs/operations.md shows it: keep-alive to the upstreams, one worker like the
    reference nginx."""

    def __init__(self, processes, workdir, template, ports, tag):
        self.port = procs.free_port()
        directory = os.path.join(workdir, f"balancer-{tag}")
        os.makedirs(directory, exist_ok=True)
        upstreams = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
        conf = open(template).read()
        for key, value in (("@DIR@", directory), ("@PORT@", str(self.port)), ("@UPSTREAMS@", upstreams)):
            conf = conf.replace(key, value)
        path = os.path.join(directory, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.processes = processes
        self.proc = processes.start(f"balancer-{tag}", [shutil.which("nginx") or "/usr/sbin/nginx", "-p", directory, "-c", path])
        if not procs.wait_ready(self.url("/healthz"), self.proc, timeout=10):
            raise RuntimeError(f"the nginx balancer did not start; see {directory}/nginx-error.log")

    def url(self, path="/v1/events"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.processes.stop(self.proc)


class TimestampSink:
    """Benchmarks/tools/sink.c: records arrival - sent_ns for each webhook."""

    def __init__(self, processes, binary):
        self.port = procs.free_port()
        self.proc = processes.start("timestamp-sink", [binary, str(self.port)])
        if not procs.wait_ready(self.url("/stats"), self.proc, timeout=10):
            raise RuntimeError("the timestamping sink did not start")

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self):
        status, body = procs.request("GET", self.url("/stats"))
        return int(body.split()[1]) if status == 200 else -1

    def dump(self):
        """Latencies in µs since the last dump (and resets)."""
        status, body = procs.request("GET", self.url("/dump"), timeout=30)
        return [int(x) / 1000 for x in body.split()] if status == 200 else []

    def last_body(self):
        status, body = procs.request("GET", self.url("/last"))
        return body if status == 200 else b""


class Herald:
    """`herald serve` (release build) with a generated config and a fresh state dir;
    with `database_url`, its store is that PostgreSQL database (`store.postgresql`, the
    URL from the environment as operators pass it) with a pool of `connections`."""

    def __init__(self, processes, binary, workdir, users, sink_url, tag, state_root=None, make_config=gen_config.make_config,
                 database_url=None, connections=PG_CONNECTIONS):
        self.processes = processes
        self.port = procs.free_port()
        self.state_dir = os.path.join(state_root or workdir, f"state-{tag}")
        os.makedirs(self.state_dir, exist_ok=True)
        self.config_path = os.path.join(workdir, f"herald-{tag}.json")
        self.config = make_config(users, sink_url)
        env = dict(os.environ, HERALD_TOKEN=HERALD_TOKEN, HERALD_WEBHOOK_SECRET=HERALD_WEBHOOK_SECRET)
        if database_url:
            self.config["store"] = {"postgresql": {"url": {"env": "HERALD_DATABASE_URL"}, "connections": connections}}
            env["HERALD_DATABASE_URL"] = database_url
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, separators=(",", ":"))
        started = time.monotonic()
        self.proc = processes.start(f"herald-{tag}", [binary, "serve", "--config", self.config_path,
                                                       "--listen", f"127.0.0.1:{self.port}",
                                                       "--state-dir", self.state_dir, "--log-level", "warning"], env=env)
        if not procs.wait_ready(self.url("/readyz"), self.proc):
            raise RuntimeError(f"herald did not become ready; see herald-{tag}.log")
        self.start_seconds = time.monotonic() - started

    def url(self, path="/v1/events"):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def auth(self):
        return f"Authorization: Bearer {HERALD_TOKEN}"

    def metric(self, name, label=None):
        """Sum of a Prometheus sample family from /metrics (e.g. a histogram's _count)."""
        status, body = procs.request("GET", self.url("/metrics"), headers={"Authorization": f"Bearer {HERALD_TOKEN}"})
        total = 0.0
        for line in body.decode(errors="replace").splitlines():
            if line.startswith(name) and (line[len(name):len(name) + 1] in ("{", " ")) and (label is None or label in line):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                except ValueError:
                    pass
        return total if status == 200 else -1

    def delivered(self):
        return self.metric("herald_delivery_latency_seconds_count")

    def stop(self):
        self.processes.stop(self.proc)


class Alertmanager:
    """Prometheus Alertmanager with every alert its own group, sent at once."""

    def __init__(self, processes, workdir, template, sink_url, tag):
        self.processes = processes
        self.port = procs.free_port()
        config = open(template).read().replace("@SINK_URL@", sink_url)
        path = os.path.join(workdir, f"alertmanager-{tag}.yml")
        with open(path, "w") as f:
            f.write(config)
        storage = os.path.join(workdir, f"am-data-{tag}")
        os.makedirs(storage, exist_ok=True)
        self.proc = processes.start(f"alertmanager-{tag}", [
            ALERTMANAGER, f"--config.file={path}", f"--storage.path={storage}",
            f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=warn"])
        if not procs.wait_ready(self.url("/-/ready"), self.proc, timeout=30):
            raise RuntimeError(f"alertmanager did not become ready; see alertmanager-{tag}.log")

    def url(self, path="/api/v2/alerts"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.processes.stop(self.proc)
