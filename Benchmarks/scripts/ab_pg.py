#!/usr/bin/env python3
"""Back-to-back ingest comparison of Herald builds on PostgreSQL (and SQLite as the
yardstick), the way the PostgreSQL pairs in Benchmarks/limits.md were measured: for
each round, each binary in turn gets a fresh database on one throw-away server (pg.py),
then wrk single events and batches of 100 (`--seconds` each) against one instance;
`sqlite=BINARY` runs that binary with its SQLite state instead. Alternating the builds
spreads the machine's other load over all of them.

Usage: ab_pg.py [--seconds S] [--rounds R] NAME=HERALD_BINARY [NAME=HERALD_BINARY ...]
e.g.   ab_pg.py --rounds 3 sqlite=.build/release/herald before=/tmp/old/herald after=.build/release/herald

Prints per run: events/s for batch 1 and 100 with p99 (µs), the load average before,
and the group commits' count and mean duration. With `--e2e N`, each run also sends N
events at 1,000/s (after 500 warm-up events) to a fresh instance and prints the
end-to-end p50/p99 at the timestamping sink, the sender's answer p50 and the commits'
mean. Loopback only; every run is bounded.
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
from pg import TemporaryPostgres  # noqa: E402
from servers import Herald, Nginx, TimestampSink  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def one(run, server, name, binary, round_number):
    url = None if name == "sqlite" else server.create_database(f"ab_{name}_{round_number}".replace("-", "_"))
    herald = Herald(run.processes, binary, run.workdir, bench.REFERENCE_USERS, run.nginx.sink_url, f"{name}-{round_number}",
                    state_root=run.workdir, database_url=url)
    try:
        figures = {batch: phases.wrk(run, herald.url(), "herald", batch, f"{name}{round_number}-{batch}") for batch in (1, phases.BATCH)}
        commits = herald.metric("herald_commit_seconds_count")
        mean_ms = 1000 * herald.metric("herald_commit_seconds_sum") / commits if commits > 0 else 0
    finally:
        herald.stop()
    print(f"round {round_number} {name:>10}: batch 1 {figures[1]['events_per_s']:8,.0f} events/s (p99 {figures[1]['p99_us']:7,.0f} µs, "
          f"load {figures[1]['load_before']:.2f}), batch 100 {figures[100]['events_per_s']:8,.0f} events/s "
          f"(p99 {figures[100]['p99_us']:8,.0f} µs, load {figures[100]['load_before']:.2f}); "
          f"{commits:,.0f} commits, mean {mean_ms:.2f} ms", flush=True)


E2E_WARMUP = 500


def end_to_end(run, server, name, binary, round_number, count):
    url = None if name == "sqlite" else server.create_database(f"ab_e2e_{name}_{round_number}".replace("-", "_"))
    run.sink.dump()
    herald = Herald(run.processes, binary, run.workdir, bench.REFERENCE_USERS, run.sink.url(), f"e2e-{name}-{round_number}",
                    state_root=run.workdir, database_url=url)
    try:
        load = procs.load_average()
        phases.paced(run, herald.url(), phases.HERALD_E2E, [herald.auth], E2E_WARMUP, f"w{name}{round_number}")
        commits0, sum0 = herald.metric("herald_commit_seconds_count"), herald.metric("herald_commit_seconds_sum")
        sender, latencies = phases.paced(run, herald.url(), phases.HERALD_E2E, [herald.auth], count, f"m{name}{round_number}")
        commits = herald.metric("herald_commit_seconds_count") - commits0
        mean_ms = 1000 * (herald.metric("herald_commit_seconds_sum") - sum0) / commits if commits > 0 else 0
    finally:
        herald.stop()
    s = phases.summarize(latencies, count)
    print(f"round {round_number} {name:>10}: e2e p50 {s.get('p50_us', 0):7,.0f} µs, p99 {s.get('p99_us', 0):7,.0f} µs "
          f"({s['received']:,}/{count:,}), answer p50 {sender.get('p50_us', 0):7,.0f} µs, late starts {sender.get('late_starts')}; "
          f"{commits:,.0f} commits, mean {mean_ms:.2f} ms; load {load:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per figure (default 5)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--e2e", type=int, default=0, metavar="N", help="also N events end to end at 1,000/s per run")
    parser.add_argument("--no-ingest", action="store_true", help="only the end-to-end runs")
    parser.add_argument("builds", nargs="+", metavar="NAME=HERALD_BINARY")
    args = parser.parse_args()
    builds = [b.split("=", 1) for b in args.builds]
    workdir = tempfile.mkdtemp(prefix="herald-ab-pg-")
    processes = procs.Processes(workdir)
    server = None
    try:
        bins = bench.compile_tools(workdir)
        for name, binary in builds:
            # A copy, so a rebuild during the run cannot change what is measured.
            bins[name] = os.path.join(workdir, f"herald-{name}")
            shutil.copy2(binary, bins[name])
        nginx = Nginx(processes, workdir, os.path.join(ROOT, "Benchmarks", "config", "nginx.conf.in"))
        settings = dict(bench.FULL, wrk_seconds=args.seconds)
        sink = TimestampSink(processes, bins["sink"]) if args.e2e else None
        run = phases.Run(dict(settings, e2e_rate=1000), processes, workdir, bins, nginx, sink,
                         os.path.join(ROOT, "Benchmarks", "wrk", "events.lua"), None, workdir)
        server = TemporaryPostgres(processes)
        print(f"postgresql {server.version()}; load {procs.load_average():.2f}", flush=True)
        for round_number in range(1, args.rounds + 1):
            for name, _ in builds:
                if not args.no_ingest:
                    one(run, server, name, bins[name], round_number)
                if args.e2e:
                    end_to_end(run, server, name, bins[name], round_number, args.e2e)
    finally:
        if server:
            server.stop()
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
