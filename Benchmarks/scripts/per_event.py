#!/usr/bin/env python3
"""What one ingested event costs the daemon, measured around a wrk run (issue #21's
"profile before changing"): CPU time (user and system), thread wake-ups (context
switches summed over the daemon's threads, voluntary and forced), bytes the daemon
wrote to disk and group commits — each divided by the events accepted in the run.
Optionally (`--perf`) a `perf record` of the daemon during the run and its busiest
threads and libraries.

Usage: per_event.py [--seconds S] [--batch N ...] [--postgres] [--perf] HERALD_BINARY
e.g.   per_event.py --batch 1 100 .build/release/herald

Every figure is read from /proc of the daemon (and its /metrics) just before and just
after wrk, so start-up is not counted. Loopback only; every process it starts, it stops.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import phases  # noqa: E402
import procs  # noqa: E402
from pg import TemporaryPostgres  # noqa: E402
from servers import Herald, Nginx  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICKS = os.sysconf("SC_CLK_TCK")


def sample(pid):
    """CPU seconds (user, system), context switches (voluntary, forced) over all threads,
    and bytes written to storage, of process `pid`."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    user, system = int(fields[11]) / TICKS, int(fields[12]) / TICKS
    voluntary = forced = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        forced += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    written = 0
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("write_bytes"):
                written = int(line.split()[1])
    return {"user": user, "system": system, "voluntary": voluntary, "forced": forced, "written": written}


def measure(run, herald, batch, perf_out):
    accepted0 = herald.metric("herald_events_accepted_total")
    commits0 = herald.metric("herald_commit_seconds_count")
    before = sample(herald.proc.pid)
    recorder = None
    if perf_out:
        recorder = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(herald.proc.pid), "-o", perf_out, "--",
                                     "sleep", str(run.settings["wrk_seconds"])],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = phases.wrk(run, herald.url(), "herald", batch, f"pe{batch}")
    if recorder:
        recorder.wait(timeout=60)
    after = sample(herald.proc.pid)
    events = herald.metric("herald_events_accepted_total") - accepted0
    commits = herald.metric("herald_commit_seconds_count") - commits0
    per = lambda key: (after[key] - before[key]) / events if events else 0  # noqa: E731
    print(f"batch {batch:>3}: {result['events_per_s']:9,.0f} events/s (load {result['load_before']:.2f}); per event: "
          f"CPU {per('user') * 1e6:6.1f} µs user + {per('system') * 1e6:6.1f} µs system, "
          f"wake-ups {per('voluntary'):.3f} voluntary + {per('forced'):.3f} forced, "
          f"{per('written'):7,.0f} bytes written; {events / commits if commits else 0:,.1f} events per group commit",
          flush=True)
    if perf_out:
        report = subprocess.run(["perf", "report", "-i", perf_out, "--no-children", "--sort", "comm,dso", "--stdio", "-g", "none"],
                                capture_output=True, text=True, timeout=120)
        lines = [line for line in report.stdout.splitlines() if line.strip() and not line.startswith("#")]
        print("  perf, busiest (thread, library):\n    " + "\n    ".join(lines[:12]), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per figure (default 5)")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, phases.BATCH])
    parser.add_argument("--postgres", action="store_true", help="state in a throw-away PostgreSQL instead of SQLite")
    parser.add_argument("--perf", action="store_true", help="also perf record the daemon during each run")
    parser.add_argument("binary")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="herald-per-event-")
    processes = procs.Processes(workdir)
    server = None
    try:
        bins = bench.compile_tools(workdir)
        bins["herald"] = os.path.join(workdir, "herald")
        shutil.copy2(args.binary, bins["herald"])
        nginx = Nginx(processes, workdir, os.path.join(ROOT, "Benchmarks", "config", "nginx.conf.in"))
        run = phases.Run(dict(bench.FULL, wrk_seconds=args.seconds), processes, workdir, bins, nginx, None,
                         os.path.join(ROOT, "Benchmarks", "wrk", "events.lua"), None, workdir)
        if args.postgres:
            server = TemporaryPostgres(processes)
        for batch in args.batch:
            url = server.create_database(f"per_event_{batch}") if server else None
            herald = Herald(processes, bins["herald"], workdir, bench.REFERENCE_USERS, nginx.sink_url, f"pe-{batch}",
                            state_root=workdir, database_url=url)
            try:
                measure(run, herald, batch, os.path.join(workdir, f"perf-{batch}.data") if args.perf else None)
            finally:
                herald.stop()
    finally:
        if server:
            server.stop()
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
