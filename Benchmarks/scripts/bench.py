#!/usr/bin/env python3
"""Herald's benchmark suite (called by Benchmarks/run after the release build).

Phases: core micro-benchmarks (herald-bench), ingest with wrk against Herald at each
directory size, nginx-204 and Alertmanager; end to end at a steady rate; a delivery
burst against nginx-204 with the plain libcurl ceiling and Alertmanager; SCIM; and
`pg`: ingest and end to end with the state in a throw-away PostgreSQL (1 instance, 1
behind nginx, 2 behind nginx round-robin) with ratios to SQLite mode of the same run. Prints the
figures as it goes and writes BENCHMARKS.md. Everything runs on 127.0.0.1; every
process it starts is stopped at the end, also on Ctrl-C / SIGTERM / SIGHUP.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_config  # noqa: E402
import phase_pg  # noqa: E402
import phases  # noqa: E402
import procs  # noqa: E402
import report  # noqa: E402
from servers import Nginx, TimestampSink  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "Benchmarks")

# Full run: ~8 minutes on a 2-core machine (~2 of them the PostgreSQL phase). Quick: < 2 minutes, a sanity check.
FULL = {"quick": False, "sizes": [100, 10_000, 100_000], "wrk_seconds": 10, "e2e_rate": 1000,
        "e2e_count": 20_000, "e2e_warmup": 1_000, "burst_count": 10_000}
QUICK = {"quick": True, "sizes": [100, 10_000], "wrk_seconds": 2, "e2e_rate": 1000,
         "e2e_count": 2_000, "e2e_warmup": 300, "burst_count": 2_000}
# The size whose figures are compared with the targets.
REFERENCE_USERS = 10_000
PHASES = ("micro", "ingest", "e2e", "burst", "scim", "pg")


def compile_tools(workdir):
    """gcc the sink and the load generator into the run's directory."""
    bins = {}
    for name, libs in (("sink", "libmicrohttpd"), ("post", "libcurl")):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", libs], capture_output=True, text=True, check=True).stdout.split()
        out = os.path.join(workdir, name)
        subprocess.run(["gcc", "-O2", "-Wall", "-o", out, os.path.join(BENCH, "tools", f"{name}.c")] + flags + ["-lpthread"], check=True)
        bins[name] = out
    return bins


def int_keys(value):
    """JSON turned the int keys (batch sizes, user counts) into strings: turn them back."""
    if isinstance(value, dict):
        return {(int(k) if isinstance(k, str) and k.isdigit() else k): int_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [int_keys(v) for v in value]
    return value


def render_only(path, out):
    results = int_keys(json.load(open(path)))
    text = report.render(results, os.path.join(BENCH, "limits.md"))
    if out != "-":
        with open(out, "w") as f:
            f.write(text)
        print(f"wrote {out}")
    else:
        print(text)


def on_signal(number, _frame):
    raise SystemExit(128 + number)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short sanity run (< 2 minutes)")
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"), help="directory with herald and herald-bench")
    parser.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"), help="report to write ('-' for none)")
    parser.add_argument("--state-root", help="where Herald's SQLite state goes (default: the work directory under $TMPDIR); "
                        "e.g. /dev/shm to see the CPU cost without the disk's flush latency (not durable)")
    parser.add_argument("--render", metavar="RESULTS_JSON", help="only re-render the report from a run's results.json")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs, state)")
    args = parser.parse_args()
    if args.render:
        return render_only(args.render, args.out)
    settings = dict(QUICK if args.quick else FULL)
    only = [p for p in args.only.split(",") if p]
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    workdir = tempfile.mkdtemp(prefix="herald-bench-")
    state_root = tempfile.mkdtemp(prefix="herald-bench-state-", dir=args.state_root) if args.state_root else workdir
    processes = procs.Processes(workdir)
    started = time.monotonic()
    results = {"settings": settings, "quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
               "command": "Benchmarks/run" + (" --quick" if args.quick else "") + (f" --state-root {args.state_root}" if args.state_root else ""), "reference_users": REFERENCE_USERS,
               "load_start": procs.load_average(), "machine": report.machine()}
    print(f"herald benchmarks ({'quick' if args.quick else 'full'}), work directory {workdir}, load {results['load_start']:.2f}", flush=True)
    ok = False
    try:
        bins = compile_tools(workdir)
        for name in ("herald", "herald-bench"):
            # A copy, so a rebuild during the run cannot change what is measured.
            bins[name] = os.path.join(workdir, name)
            shutil.copy2(os.path.join(args.bin, name), bins[name])
        results["disk_flush"] = phases.disk_flush(state_root)
        print(f"fdatasync in {state_root}: p50 {results['disk_flush']['p50_us']:.0f} µs, p99 {results['disk_flush']['p99_us']:.0f} µs", flush=True)
        nginx = Nginx(processes, workdir, os.path.join(BENCH, "config", "nginx.conf.in"))
        sink = TimestampSink(processes, bins["sink"])
        run = phases.Run(settings, processes, workdir, bins, nginx, sink, os.path.join(BENCH, "wrk", "events.lua"),
                         os.path.join(BENCH, "config", "alertmanager.yml.in"), state_root)
        if "micro" in only:
            print("== core micro-benchmarks", flush=True)
            paths = []
            for users in settings["sizes"]:
                path = os.path.join(workdir, f"micro-{users}.json")
                with open(path, "w") as f:
                    json.dump(gen_config.make_config(users, nginx.sink_url), f, separators=(",", ":"))
                paths.append(path)
            results["micro"] = phases.micro(run, paths)
        if "ingest" in only:
            print("== ingest (wrk)", flush=True)
            results["ingest"] = phases.ingest(run, settings["sizes"] if REFERENCE_USERS in settings["sizes"] else [REFERENCE_USERS])
        if "e2e" in only:
            print(f"== end to end at {settings['e2e_rate']}/s", flush=True)
            results["e2e"] = phases.end_to_end(run, REFERENCE_USERS)
        if "burst" in only:
            print(f"== delivery burst of {settings['burst_count']}", flush=True)
            results["burst"] = phases.burst(run, REFERENCE_USERS)
        if "scim" in only:
            print("== directory change and SCIM provisioning", flush=True)
            results["scim"] = phases.scim(run)
        if "pg" in only:
            print("== PostgreSQL store: 1 instance, 1 behind nginx, 2 behind nginx (same run as SQLite)", flush=True)
            results["pg"] = phase_pg.postgresql(run, REFERENCE_USERS, os.path.join(BENCH, "config", "balancer.conf.in"), results)
        ok = True
    finally:
        processes.stop_all()
        results["load_end"] = procs.load_average()
        results["seconds"] = time.monotonic() - started
        with open(os.path.join(workdir, "results.json"), "w") as f:
            json.dump(results, f, indent=1, default=str)
        if state_root != workdir:
            shutil.rmtree(state_root, ignore_errors=True)
        if ok and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work directory kept: {workdir}")
    text = report.render(results, os.path.join(BENCH, "limits.md"))
    if args.out != "-":
        with open(args.out, "w") as f:
            f.write(text)
        with open(os.path.join(BENCH, "results", "latest.json"), "w") as f:
            json.dump(results, f, indent=1, default=str)
        print(f"wrote {args.out}")
    print()
    print(report.render(results, None))


if __name__ == "__main__":
    main()
