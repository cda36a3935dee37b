#!/usr/bin/env python3
"""Back-to-back end-to-end comparison of Herald builds, the way the before/after pairs in
Benchmarks/limits.md were measured: for each round, each binary in turn gets a fresh
state directory, 1,000 warm-up events, then COUNT events at 1,000/s from
`Benchmarks/tools/post.c` to the timestamping sink. Alternating the binaries spreads
the machine's other load over all of them.

Usage: ab_e2e.py [--count N] [--rounds R] NAME=HERALD_BINARY [NAME=HERALD_BINARY ...]
e.g.   ab_e2e.py before=/tmp/old/herald after=.build/release/herald

Prints per run: end-to-end p50/p90/p99/max (µs), commits over 1 ms and 2.5 ms, and the
number and mean duration of WAL checkpoints. Loopback only; every run is bounded.
"""

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import phases  # noqa: E402
import procs  # noqa: E402
from servers import HERALD_TOKEN, Herald, Nginx, TimestampSink  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARMUP = 1_000


def metrics(herald):
    """(commits, commits over 1 ms, over 2.5 ms, checkpoints, mean checkpoint µs)."""
    _, body = procs.request("GET", herald.url("/metrics"), headers={"Authorization": f"Bearer {HERALD_TOKEN}"})
    buckets, values = {}, {}
    for line in body.decode(errors="replace").splitlines():
        name, _, value = line.rpartition(" ")
        if line.startswith("herald_commit_seconds_bucket"):
            buckets[line.split('le="')[1].split('"')[0]] = float(value)
        elif line.startswith("herald_store_checkpoint_seconds_"):
            values[name] = float(value)
    total = buckets.get("+Inf", 0)
    count = values.get("herald_store_checkpoint_seconds_count", 0)
    mean = values.get("herald_store_checkpoint_seconds_sum", 0) / count * 1e6 if count else 0
    return total, total - buckets.get("0.001", 0), total - buckets.get("0.0025", 0), count, mean


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="measured events per run (default 10,000)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all binaries (default 2)")
    parser.add_argument("binaries", nargs="+", metavar="NAME=BINARY")
    args = parser.parse_args()
    variants = [b.split("=", 1) for b in args.binaries]
    if any(len(v) != 2 or not os.access(v[1], os.X_OK) for v in variants):
        parser.error("each argument is NAME=path-to-an-executable-herald")
    workdir = tempfile.mkdtemp(prefix="herald-ab-")
    processes = procs.Processes(workdir)
    try:
        bins = bench.compile_tools(workdir)
        settings = dict(bench.FULL, e2e_count=args.count)
        nginx = Nginx(processes, workdir, os.path.join(ROOT, "Benchmarks", "config", "nginx.conf.in"))
        sink = TimestampSink(processes, bins["sink"])
        run = phases.Run(settings, processes, workdir, bins, nginx, sink, None, None, workdir)
        for r in range(args.rounds):
            for name, binary in variants:
                sink.dump()
                herald = Herald(processes, binary, workdir, bench.REFERENCE_USERS, sink.url(), f"{name}{r}")
                phases.paced(run, herald.url(), phases.HERALD_E2E, [herald.auth], WARMUP, f"w{name}{r}")
                _, latencies = phases.paced(run, herald.url(), phases.HERALD_E2E, [herald.auth], args.count, f"m{name}{r}")
                s = phases.summarize(latencies, args.count)
                commits, over1, over25, checkpoints, mean = metrics(herald)
                herald.stop()
                if not s.get("received"):
                    print(f"{name} r{r}: no webhook arrived (see {workdir})", flush=True)
                    continue
                print(f"{name} r{r}: p50 {s['p50_us']:.0f} p90 {s['p90_us']:.0f} p99 {s['p99_us']:.0f} max {s['max_us']:.0f} µs, "
                      f"arrived {s['received']}/{args.count}, commits {commits:.0f} (> 1 ms {over1:.0f}, > 2.5 ms {over25:.0f}), "
                      f"checkpoints {checkpoints:.0f} × {mean:.0f} µs", flush=True)
    finally:
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
