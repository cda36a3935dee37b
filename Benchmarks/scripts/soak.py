#!/usr/bin/env python3
"""Soak: does the state file and the daemon's memory level off? (issue #22)

Runs the release `herald serve` with the seed example (Config/example.json), its target
at the timestamping sink (Benchmarks/tools/sink.c, answers 204), retention set to a
minute for notices and deliveries, and posts RATE events a second (batches of 100,
paced) for SECONDS: subject i % SUBJECTS alternately at 12 % and 4 % variance, so every
event is a notice (raised, then resolved) and a webhook. Every SAMPLE seconds it prints
the file's size (database + WAL), the audit rows and RSS; at the end, the figures of the
last third of the run against the first sample after one retention period: a state that
levels off grows by little there.

    Benchmarks/scripts/soak.py                       # 10 minutes at 1,000 events/s
    Benchmarks/scripts/soak.py --seconds 120         # a quick one
    Benchmarks/scripts/soak.py --json soak.json      # also the samples as JSON

Every process it starts it stops (`finally`); the load loop is bounded by SECONDS.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402
import state_size  # noqa: E402

ROOT = state_size.ROOT
BATCH = 100


def compile_sink(workdir):
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmicrohttpd"], capture_output=True, text=True,
                           check=True).stdout.split()
    out = os.path.join(workdir, "sink")
    subprocess.run(["gcc", "-O2", "-Wall", "-o", out, os.path.join(ROOT, "Benchmarks", "tools", "sink.c")] + flags +
                   ["-lpthread"], check=True)
    return out


def batch_body(start, subjects):
    events = []
    for i in range(start, start + BATCH):
        subject = i % subjects
        value = 12 if (i // subjects) % 2 == 0 else 4
        events.append({"id": f"soak-{i}", "metric": "utilisation_variance", "value": value,
                       "subject": {"id": f"p-{subject}", "type": "participant", "name": f"Participant {subject}"},
                       "relations": {"primary_coordinator": "u-chloe"}})
    return json.dumps({"events": events}, separators=(",", ":")).encode()


def metric(text, name, label=None):
    for line in text.splitlines():
        if line.startswith(name) and (label is None or label in line) and line[len(name):len(name) + 1] in ("{", " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def sample(daemon, state_dir, started):
    files = state_size.file_bytes(state_dir)
    text = daemon.metrics()
    rss, hwm = procs.memory_mb(daemon.proc.pid)
    return {"t": round(time.monotonic() - started, 1), "file_mb": round((files.get("db", 0) + files.get("-wal", 0)) / 2**20, 1),
            "store_bytes_mb": round((metric(text, "herald_store_bytes") or 0) / 2**20, 1),
            "audit_rows": int(metric(text, "herald_store_rows", 'table="audit"') or 0),
            "outbox": int(metric(text, "herald_outbox_depth") or 0),
            "rss_mb": round(rss, 1), "hwm_mb": round(hwm, 1),
            "notices": int(state_size.metric_sum(text, "herald_notifications_total"))}


def run(args, processes, workdir):
    sink_bin = compile_sink(workdir)
    sink_port = procs.free_port()
    sink = processes.start("sink", [sink_bin, str(sink_port)])
    if not procs.wait_ready(f"http://127.0.0.1:{sink_port}/stats", sink, timeout=10):
        raise RuntimeError("the sink did not start")
    document = state_size.config(sink_port, {"store": {"retention": {"audit": args.retention, "deliveries": args.retention}}})
    document["targets"][0]["url"] = f"http://127.0.0.1:{sink_port}/hook"
    config_path = os.path.join(workdir, "herald.json")
    with open(config_path, "w") as f:
        json.dump(document, f)
    state_dir = os.path.join(workdir, "state")
    daemon = state_size.Daemon(processes, args.bin, workdir, state_dir, config_path, "herald-soak")
    headers = {"Authorization": f"Bearer {state_size.TOKEN}", "Content-Type": "application/json"}
    started = time.monotonic()
    samples, sent, refused, next_sample = [], 0, 0, args.sample
    print(f"{'t s':>6} {'file MiB':>9} {'store MiB':>9} {'audit rows':>10} {'outbox':>7} {'RSS MiB':>8} {'peak MiB':>8} {'notices':>9}")
    while time.monotonic() - started < args.seconds:
        due = started + sent / args.rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        status, _ = procs.request("POST", daemon.url("/v1/events"), body=batch_body(sent, args.subjects), headers=headers,
                                  timeout=30)
        if status != 202:
            refused += 1
        sent += BATCH
        if time.monotonic() - started >= next_sample:
            samples.append(sample(daemon, state_dir, started))
            s = samples[-1]
            print(f"{s['t']:>6} {s['file_mb']:>9} {s['store_bytes_mb']:>9} {s['audit_rows']:>10} {s['outbox']:>7} "
                  f"{s['rss_mb']:>8} {s['hwm_mb']:>8} {s['notices']:>9}", flush=True)
            next_sample += args.sample
    status, body = procs.request("GET", f"http://127.0.0.1:{sink_port}/stats")
    processes.stop(daemon.proc)
    return {"seconds": args.seconds, "rate": args.rate, "retention": args.retention, "sent": sent, "refused_batches": refused,
            "achieved_rate": round(sent / max(1e-9, time.monotonic() - started)), "sink": body.decode().strip(),
            "samples": samples, "load_end": procs.load_average()}


def summary(result):
    samples = result["samples"]
    if len(samples) < 3:
        return "too few samples for a verdict"
    third = samples[len(samples) * 2 // 3:]
    file_range = (min(s["file_mb"] for s in third), max(s["file_mb"] for s in third))
    rss_range = (min(s["rss_mb"] for s in third), max(s["rss_mb"] for s in third))
    return (f"{result['sent']:,} events in {result['seconds']} s ({result['achieved_rate']:,}/s, {result['refused_batches']} "
            f"batches refused), retention {result['retention']}; sink: {result['sink']}; last third of the run: file "
            f"{file_range[0]}–{file_range[1]} MiB, RSS {rss_range[0]}–{rss_range[1]} MiB, peak {samples[-1]['hwm_mb']} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "herald"))
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--retention", default="1m")
    parser.add_argument("--sample", type=int, default=15, help="seconds between samples")
    parser.add_argument("--json")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="herald-soak-")
    processes = procs.Processes(workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        result = run(args, processes, workdir)
    finally:
        processes.stop_all()
    print(summary(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    import shutil
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
