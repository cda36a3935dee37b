"""The measurements of a benchmark run. Each phase starts the servers it needs
(fresh state), measures, stops them, and returns plain dicts for the report.
Every wait is bounded; every load is on 127.0.0.1."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import gen_config
import procs
from servers import HERALD_TOKEN, Alertmanager, Herald

# wrk settings of the reference figures: one thread, 32 connections.
WRK_THREADS = 1
WRK_CONNECTIONS = 32
BATCH = 100
# Sampling period of RSS and sink-log progress during a burst.
SAMPLE_PERIOD_S = 0.01
# Bound on waiting for a burst or a paced stream to arrive at its sink.
ARRIVAL_TIMEOUT_S = 120

HERALD_E2E = ('{"id":"@TAG@-{{seq}}","metric":"metric_3","value":15,"subject":{"id":"p-@TAG@-{{seq}}","type":"participant"},'
              '"relations":{"primary_coordinator":"u13","case_manager":"u23"},"labels":{"region":"south","sent_ns":"{{ns}}"},'
              '"timestamp":"2026-11-23T10:15:00Z"}')
ALERT_E2E = ('{"labels":{"alertname":"metric_3","subject":"p-@TAG@-{{seq}}","region":"south","sent_ns":"{{ns}}"},'
             '"annotations":{"value":"15","primary_coordinator":"u13","case_manager":"u23"}}')
# Where the end-to-end phase also runs Herald with its state on tmpfs (no flush).
NO_FLUSH_ROOT = "/dev/shm"
# Webhook headers as Herald sends them, for the plain libcurl baseline.
WEBHOOK_HEADERS = ["webhook-id: msg_0123456789abcdef0123456789abcdef", "webhook-timestamp: 1795000000",
                   "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="]


class Run:
    """What every phase needs: settings, tools, the shared nginx and timestamp sink."""

    def __init__(self, settings, processes, workdir, bins, nginx, sink, lua, am_template, state_root):
        self.settings = settings
        self.state_root = state_root
        self.processes = processes
        self.workdir = workdir
        self.bins = bins
        self.nginx = nginx
        self.sink = sink
        self.lua = lua
        self.am_template = am_template
        self.webhook_body = None

    def file(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def log(self, message):
        print(f"  [{time.strftime('%H:%M:%S')} load {procs.load_average():.2f}] {message}", flush=True)


def disk_flush(directory, count=200):
    """fdatasync latency of 4 KiB appends where Herald keeps its state: the floor under
    every answer that waits for a durable commit (202) and the ceiling of single-event
    ingest at a given concurrency (connections / flush latency)."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(count):
            os.write(fd, b"x" * 4096)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    p50 = times[len(times) // 2]
    return {"p50_us": p50, "p99_us": times[int(0.99 * (len(times) - 1))], "directory": directory,
            # A flush under 10 µs is no flush (tmpfs): then the disk bounds nothing.
            "single_ingest_ceiling": WRK_CONNECTIONS / (p50 / 1e6) if p50 >= 10 else None}


def wrk(run, url, fmt, batch, tag):
    """One wrk run with the shared Lua script; adds events/s and load average."""
    seconds = run.settings["wrk_seconds"]
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", run.lua, url,
            "--", fmt, str(batch), HERALD_TOKEN, tag]
    load_before = procs.load_average()
    result, done = procs.run_json(argv, prefix="WRK_JSON ", timeout=seconds + 60)
    if result is None:
        raise RuntimeError(f"wrk failed: {done.stderr.strip()[:400]}")
    result.update(batch=batch, events_per_s=result["rps"] * batch, load_before=load_before,
                  errors=result["non2xx"] + result["connect_errors"] + result["read_errors"] + result["write_errors"] + result["timeouts"],
                  command=" ".join(argv[:-5] + ["--", fmt, str(batch), "TOKEN", tag]))
    run.log(f"wrk {fmt} batch={batch} {url}: {result['rps']:.0f} req/s, p50 {result['p50_us']:.0f} µs, "
            f"p99 {result['p99_us']:.0f} µs, errors {result['errors']}")
    return result


def ingest(run, sizes):
    """Single events and batches of 100: nginx-204 ceiling, Herald at each size, Alertmanager."""
    out = {"nginx": {}, "herald": {}, "alertmanager": {}}
    for batch in (1, BATCH):
        out["nginx"][batch] = wrk(run, run.nginx.baseline_url, "herald", batch, f"n{batch}")
    for users in sizes:
        herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.nginx.sink_url, f"ingest-{users}", state_root=run.state_root)
        run.log(f"herald ready with {users} users in {herald.start_seconds:.2f} s")
        per_size = {"start_s": herald.start_seconds}
        for batch in (1, BATCH):
            per_size[batch] = wrk(run, herald.url(), "herald", batch, f"h{users}-{batch}")
        if users == sizes[0]:
            # The same daemon answering GET /healthz: what its HTTP layer (libmicrohttpd,
            # routing, response, metrics) gives with no decoding, evaluation or commit.
            out["transport"] = wrk(run, herald.url("/healthz"), "get", 1, "t")
        per_size["rss_mb"] = procs.memory_mb(herald.proc.pid)[0]
        per_size["notifications"] = herald.metric("herald_notifications_total")
        per_size["delivered"] = herald.delivered()
        herald.stop()
        out["herald"][users] = per_size
    am = Alertmanager(run.processes, run.workdir, run.am_template, run.nginx.sink_url, "ingest")
    for batch in (1, BATCH):
        out["alertmanager"][batch] = wrk(run, am.url(), "alertmanager", batch, f"a{batch}")
    out["alertmanager"]["rss_mb"] = procs.memory_mb(am.proc.pid)[0]
    am.stop()
    return out


def paced(run, url, template, headers, count, tag):
    """A paced stream (open loop) of `count` requests; returns the sender's figures and
    the arrival latencies at the timestamping sink."""
    rate = run.settings["e2e_rate"]
    path = run.file(f"e2e-{tag}.json", template.replace("@TAG@", tag))
    argv = [run.bins["post"], "--url", url, "--count", str(count), "--rate", str(rate), "--concurrency", "32",
            "--template", path, "--deadline", str(count / rate + 60)]
    for header in headers:
        argv += ["--header", header]
    sender, done = procs.run_json(argv, timeout=count / rate + 90)
    if sender is None:
        raise RuntimeError(f"post failed: {done.stderr.strip()[:400]}")
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
    while run.sink.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return sender, run.sink.dump()


def summarize(latencies_us, expected):
    if not latencies_us:
        return {"received": 0, "expected": expected}
    s = sorted(latencies_us)
    q = lambda p: s[min(len(s) - 1, int(p * (len(s) - 1)))]
    return {"received": len(s), "expected": expected, "p50_us": q(0.5), "p90_us": q(0.9), "p99_us": q(0.99),
            "max_us": s[-1], "mean_us": statistics.fmean(s)}


def end_to_end(run, users):
    """Steady 1,000 events/s from send to webhook arrival, Herald then Alertmanager."""
    count, warmup = run.settings["e2e_count"], run.settings["e2e_warmup"]
    out = {}
    run.sink.dump()
    herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.sink.url(), "e2e", state_root=run.state_root)
    paced(run, herald.url(), HERALD_E2E, [herald.auth], warmup, "hw")
    sender, latencies = paced(run, herald.url(), HERALD_E2E, [herald.auth], count, "hm")
    out["herald"] = dict(summarize(latencies, count), sender=sender)
    run.webhook_body = run.sink.last_body()
    herald.stop()
    run.log(f"e2e herald: {out['herald']}")
    # The same with `store.synchronous: "normal"` (issue #21): survives kill -9, not a
    # power loss; commits stop waiting for the disk.
    normal = lambda u, sink: dict(gen_config.make_config(u, sink), store={"synchronous": "normal"})  # noqa: E731
    herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.sink.url(), "e2e-normal", state_root=run.state_root,
                    make_config=normal)
    paced(run, herald.url(), HERALD_E2E, [herald.auth], warmup, "nw")
    sender, latencies = paced(run, herald.url(), HERALD_E2E, [herald.auth], count, "nm")
    out["herald_normal"] = dict(summarize(latencies, count), sender=sender)
    herald.stop()
    run.log(f"e2e herald, synchronous normal: {out['herald_normal']}")
    if run.state_root == run.workdir and os.path.isdir(NO_FLUSH_ROOT):
        # The same run with the state on tmpfs: no flush under the commit, so the gap to
        # the row above is what the disk costs (not durable; for comparison only).
        root = tempfile.mkdtemp(prefix="herald-bench-noflush-", dir=NO_FLUSH_ROOT)
        try:
            herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.sink.url(), "e2e-tmpfs", state_root=root)
            paced(run, herald.url(), HERALD_E2E, [herald.auth], warmup, "tw")
            sender, latencies = paced(run, herald.url(), HERALD_E2E, [herald.auth], count, "tm")
            out["herald_tmpfs"] = dict(summarize(latencies, count), sender=sender)
            herald.stop()
            run.log(f"e2e herald, state on tmpfs: {out['herald_tmpfs']}")
        finally:
            shutil.rmtree(root, ignore_errors=True)
    am = Alertmanager(run.processes, run.workdir, run.am_template, run.sink.url(), "e2e")
    wrap = lambda t: "[" + t + "]"
    paced(run, am.url(), wrap(ALERT_E2E), [], warmup, "aw")
    sender, latencies = paced(run, am.url(), wrap(ALERT_E2E), [], count, "am")
    out["alertmanager"] = dict(summarize(latencies, count), sender=sender)
    am.stop()
    run.log(f"e2e alertmanager: {out['alertmanager']}")
    return out


def _burst(run, pid, url, template, headers, count):
    """Posts `count` notifications (requests of 100) and follows the nginx sink log until
    all arrived: completion time, webhooks/s and the process's RSS growth."""
    requests = count // BATCH
    path = run.file("burst.json", template)
    run.nginx.truncate_log()
    rss_before = procs.memory_mb(pid)[0]
    peak = [rss_before]
    t0 = time.time()
    argv = [run.bins["post"], "--url", url, "--count", str(requests), "--concurrency", "4", "--template", path, "--deadline", "120"]
    for header in headers:
        argv += ["--header", header]
    sender = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
    lines = 0
    while time.monotonic() < deadline:
        peak.append(procs.memory_mb(pid)[0])
        lines = run.nginx.count_lines()
        if lines >= count:
            break
        time.sleep(SAMPLE_PERIOD_S)
    stdout, _ = sender.communicate(timeout=60)
    stamps = run.nginx.log_stamps()
    accepted = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    complete = (max(stamps) - t0) if stamps else float("nan")
    return {"notifications": count, "arrived": len(stamps), "seconds": complete,
            "webhooks_per_s": len(stamps) / complete if stamps and complete > 0 else 0,
            "first_arrival_s": (min(stamps) - t0) if stamps else float("nan"),
            "ingest_s": accepted.get("seconds"), "ingest_errors": accepted.get("errors"),
            "rss_before_mb": rss_before, "rss_peak_mb": max(peak), "rss_growth_mb": max(peak) - rss_before}


def burst(run, users):
    """10,000 notifications at once to nginx-204: Herald, plain libcurl, Alertmanager."""
    count = run.settings["burst_count"]
    out = {}
    herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.nginx.sink_url, "burst", state_root=run.state_root)
    events = ",".join(HERALD_E2E.replace("@TAG@", f"b{j}").replace('"sent_ns":"{{ns}}"', '"burst":"1"') for j in range(BATCH))
    out["herald"] = _burst(run, herald.proc.pid, herald.url(), '{"events":[' + events + "]}", [herald.auth], count)
    out["herald"]["delivered_metric"] = herald.delivered()
    herald.stop()
    run.log(f"burst herald: {out['herald']}")
    out["herald_fanout"] = fanout(run, users)
    run.log(f"burst herald fan-out: {out['herald_fanout']}")

    body = run.webhook_body or (b'{"padding":"' + b"x" * 2000 + b'"}')
    path = os.path.join(run.workdir, "webhook-body.json")
    with open(path, "wb") as f:
        f.write(body)
    argv = [run.bins["post"], "--url", run.nginx.sink_url, "--count", str(count), "--concurrency", "64", "--body", path]
    for header in WEBHOOK_HEADERS:
        argv += ["--header", header]
    run.nginx.truncate_log()
    ceiling, done = procs.run_json(argv, timeout=180)
    if ceiling is None:
        raise RuntimeError(f"libcurl ceiling failed: {done.stderr.strip()[:400]}")
    ceiling["body_bytes"] = len(body)
    out["curl"] = ceiling
    run.log(f"burst libcurl ceiling: {ceiling}")

    am = Alertmanager(run.processes, run.workdir, run.am_template, run.nginx.sink_url, "burst")
    alerts = ",".join(ALERT_E2E.replace("@TAG@", f"b{j}").replace('"sent_ns":"{{ns}}"', '"burst":"1"') for j in range(BATCH))
    out["alertmanager"] = _burst(run, am.proc.pid, am.url(), "[" + alerts + "]", [], count)
    am.stop()
    run.log(f"burst alertmanager: {out['alertmanager']}")
    return out


def fanout(run, users):
    """One event whose notice goes to a 10,000-member group on a per-recipient target:
    the webhooks leave from one commit, so the rate after the 202 is the sender's own."""
    herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.nginx.sink_url, "fanout",
                    state_root=run.state_root, make_config=gen_config.make_fanout_config)
    expected = gen_config.fanout_recipients(herald.config)
    run.nginx.truncate_log()
    rss_before = procs.memory_mb(herald.proc.pid)[0]
    peak = [rss_before]
    t0 = time.time()
    status, _ = procs.request("POST", herald.url(), body=b'{"id":"fan-1","metric":"fanout","value":50,"subject":{"id":"fan"}}',
                              headers={"Authorization": f"Bearer {HERALD_TOKEN}", "Content-Type": "application/json"}, timeout=60)
    accepted = time.time()
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
    while time.monotonic() < deadline and run.nginx.count_lines() < expected:
        peak.append(procs.memory_mb(herald.proc.pid)[0])
        time.sleep(SAMPLE_PERIOD_S)
    stamps = run.nginx.log_stamps()
    herald.stop()
    last = max(stamps) if stamps else float("nan")
    return {"status": status, "webhooks": expected, "arrived": len(stamps), "accepted_s": accepted - t0,
            "seconds": last - t0, "webhooks_per_s_after_202": len(stamps) / (last - accepted) if stamps and last > accepted else 0,
            "rss_before_mb": rss_before, "rss_peak_mb": max(peak), "rss_growth_mb": max(peak) - rss_before}


def micro(run, config_paths):
    """herald-bench over the generated configs."""
    path = os.path.join(run.workdir, "micro.json")
    argv = [run.bins["herald-bench"], "--json", path] + (["--quick"] if run.settings["quick"] else []) + config_paths
    done = subprocess.run(argv, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError("herald-bench failed")
    return json.load(open(path))


def scim(run):
    """Issue 18: one directory change at 100,000 users (herald-bench directory-change) and
    10,000 users provisioned over SCIM one per request, by 8 workers (an IdP's job) and
    strictly one after another, each on a fresh daemon whose state is under state_root."""
    users = 10_000 if run.settings["quick"] else 100_000
    create = 1_000 if run.settings["quick"] else 10_000
    done = subprocess.run([run.bins["herald-bench"], "directory-change", str(users)], capture_output=True, text=True, timeout=600)
    out = {"directory_change": done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else None,
           "provision": []}
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scim_provision.py")
    for concurrency in (8, 1):
        argv = [sys.executable, script, "--herald", run.bins["herald"], "--users", str(users), "--create", str(create),
                "--concurrency", str(concurrency), "--budget", "150", "--work", run.state_root]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        lines = done.stdout.strip().splitlines()
        if lines and lines[-1].startswith("{"):
            out["provision"].append(json.loads(lines[-1]))
        print(lines[-1] if lines else done.stderr.strip()[-300:], flush=True)
    return out

