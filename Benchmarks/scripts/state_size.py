#!/usr/bin/env python3
"""How big Herald's state gets, and what that costs: issue #22's measurement.

Starts the release `herald serve` with the seed example (Config/example.json) whose
only target is a loopback port nothing listens on, posts EVENTS events over SUBJECTS
subjects in batches of BATCH (each subject in turn at 12, 25 and 27 % variance: raised,
escalated, no change — two notices per subject, every subject left with a state), and
reports:

- the SQLite file (database + WAL) and its bytes per table, indexes included (SQLite's
  `dbstat` virtual table, read with Python's sqlite3 after the daemon stopped), per row
  and per notice, and the file's bytes per notice with and without the WAL (which stays
  at its high-water mark whatever the history);
- the daemon's peak RSS while ingesting (VmHWM) and its RSS at the end;
- the time from starting a second daemon on that state to its first 200 on /readyz,
  and that daemon's RSS when ready.

Every process it starts it stops (`finally`); every loop is bounded in count and time.

    Benchmarks/scripts/state_size.py                    # the issue's figure (300k events)
    Benchmarks/scripts/state_size.py --events 30000 --subjects 10000   # a quick one
    Benchmarks/scripts/state_size.py --json out.json    # also write the figures as JSON
"""

import argparse
import json
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "bench-state-token"
SECRET = "whsec_" + "c3RhdGUtc2l6ZS1iZW5jaG1hcmstc2VjcmV0LTAx"
# The variance each subject reports, in turn: raised (10 %), escalated (20 %), unchanged.
VALUES = (12, 25, 27)
# Bound on one POST (a batch of 1,000 commits in well under a second when idle).
POST_TIMEOUT_S = 120
# How often RSS is sampled while ingesting.
SAMPLE_INTERVAL_S = 0.2


def config(target_port, extra=None):
    """The seed example with its target on `target_port` (nothing listens there)."""
    with open(os.path.join(ROOT, "Config", "example.json")) as f:
        document = json.load(f)
    document.pop("$schema", None)
    for target in document["targets"]:
        target["url"] = f"http://127.0.0.1:{target_port}/herald"
        target["secrets"] = [{"env": "HERALD_WEBHOOK_SECRET"}]
    document["server"]["tokens"] = [{"id": "bench", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]}]
    for key, value in (extra or {}).items():
        document.setdefault(key, {}).update(value)
    return document


def batch_body(start, count, subjects):
    """Events start..<start+count: event i is subject i % subjects, round i // subjects."""
    events = []
    for i in range(start, start + count):
        events.append({"id": f"evt-{i}", "metric": "utilisation_variance",
                       "value": VALUES[(i // subjects) % len(VALUES)],
                       "subject": {"id": f"p-{i % subjects}", "type": "participant", "name": f"Participant {i % subjects}"},
                       "relations": {"primary_coordinator": "u-chloe"}})
    return json.dumps({"events": events}, separators=(",", ":")).encode()


class Daemon:
    """One `herald serve` on a free loopback port."""

    def __init__(self, processes, binary, workdir, state_dir, config_path, tag):
        self.port = procs.free_port()
        env = dict(os.environ, HERALD_TOKEN=TOKEN, HERALD_WEBHOOK_SECRET=SECRET)
        self.started = time.monotonic()
        self.proc = processes.start(tag, [binary, "serve", "--config", config_path, "--listen", f"127.0.0.1:{self.port}",
                                          "--state-dir", state_dir, "--log-level", "warning"], env=env)
        if not procs.wait_ready(self.url("/readyz"), self.proc, ok=(200,)):
            raise RuntimeError(f"herald did not become ready; see {workdir}/{tag}.log")
        self.ready_seconds = time.monotonic() - self.started
        self.ready_cpu_seconds = cpu_seconds(self.proc.pid)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def metrics(self):
        _, body = procs.request("GET", self.url("/metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
        return body.decode(errors="replace")


class RSSSampler(threading.Thread):
    """Samples a process's RSS until stopped; VmHWM gives the true peak."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [], threading.Event()

    def run(self):
        while not self.done.wait(SAMPLE_INTERVAL_S):
            rss, _ = procs.memory_mb(self.pid)
            self.samples.append(rss)


def ingest(daemon, events, subjects, batch):
    """Posts the events; returns (seconds, refused requests)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    started, refused = time.monotonic(), 0
    for start in range(0, events, batch):
        body = batch_body(start, min(batch, events - start), subjects)
        for _attempt in range(100):   # 429/503 while the queue drains: wait and send again (bounded)
            status, _ = procs.request("POST", daemon.url("/v1/events"), body=body, headers=headers, timeout=POST_TIMEOUT_S)
            if status == 202:
                break
            refused += 1
            time.sleep(0.2)
        else:
            raise RuntimeError(f"batch at {start} refused 100 times (last status {status})")
    return time.monotonic() - started, refused


def table_bytes(path):
    """Bytes per table (its indexes included) and per b-tree, from `dbstat`."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        owner = {name: table for name, table in db.execute("SELECT name, tbl_name FROM sqlite_master")}
        per_tree = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        rows = {}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            rows[table] = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        free_pages = db.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        db.close()
    tables = {}
    for tree, size in per_tree.items():
        tables[owner.get(tree, tree)] = tables.get(owner.get(tree, tree), 0) + size
    return {"tables": tables, "trees": per_tree, "rows": rows, "free_bytes": free_pages * page_size, "page_size": page_size}


def cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc (less sensitive to other
    load on the machine than wall time)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def file_bytes(state_dir):
    base = os.path.join(state_dir, "herald.sqlite")
    return {suffix or "db": os.path.getsize(base + suffix) for suffix in ("", "-wal", "-shm") if os.path.exists(base + suffix)}


def measure(args, processes, workdir):
    state_dir = os.path.join(args.state_root or workdir, "state")
    os.makedirs(state_dir, exist_ok=True)
    config_path = os.path.join(workdir, "herald.json")
    with open(config_path, "w") as f:
        json.dump(config(procs.free_port(), json.loads(args.config_extra) if args.config_extra else None), f)
    result = {"events": args.events, "subjects": args.subjects, "batch": args.batch, "load_start": procs.load_average()}

    first = Daemon(processes, args.bin, workdir, state_dir, config_path, "herald-ingest")
    sampler = RSSSampler(first.proc.pid)
    sampler.start()
    seconds, refused = ingest(first, args.events, args.subjects, args.batch)
    sampler.done.set()
    sampler.join()
    rss, hwm = procs.memory_mb(first.proc.pid)
    notices = metric_sum(first.metrics(), "herald_notifications_total")
    result.update(ingest_seconds=round(seconds, 1), refused=refused, rss_peak_mb=round(hwm, 1), rss_end_mb=round(rss, 1),
                  rss_sampled_max_mb=round(max(sampler.samples, default=rss), 1), notices=notices,
                  metrics_ingest=interesting(first.metrics()))
    processes.stop(first.proc)

    result["files"] = file_bytes(state_dir)
    result["stat"] = table_bytes(os.path.join(state_dir, "herald.sqlite"))
    total = sum(result["files"].values())
    result["bytes_per_notice"] = round(total / notices) if notices else None
    # The log stays at its high-water mark whatever the history: a fixed cost, shown apart.
    result["db_bytes_per_notice"] = round(result["files"].get("db", 0) / notices) if notices else None
    result["page_size"] = result["stat"]["page_size"]

    second = Daemon(processes, args.bin, workdir, state_dir, config_path, "herald-restart")
    result["restart_ready_seconds"] = round(second.ready_seconds, 3)
    result["restart_cpu_seconds"] = round(second.ready_cpu_seconds, 3)
    result["restart_rss_mb"] = round(procs.memory_mb(second.proc.pid)[0], 1)
    processes.stop(second.proc)
    result["load_end"] = procs.load_average()
    return result


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def interesting(text):
    """The store and backlog gauges, as the daemon reports them."""
    keep = ("herald_store_", "herald_outbox", "herald_dead_letters_total", "herald_event_ids_remembered", "herald_rule_states")
    return [line for line in text.splitlines() if line.startswith(keep)]


def report(result):
    mib = 1024 * 1024
    lines = [f"{result['events']:,} events over {result['subjects']:,} subjects in batches of {result['batch']:,}: "
             f"{result['notices']:,} notices in {result['ingest_seconds']} s ({result['refused']} refused and resent); "
             f"load {result['load_start']} → {result['load_end']}",
             "file: " + ", ".join(f"{k} {v / mib:.1f} MiB" for k, v in result["files"].items()) +
             f"; {result['bytes_per_notice']} bytes per notice ({result['db_bytes_per_notice']} without the log); "
             f"pages of {result['page_size']} B; free pages {result['stat']['free_bytes'] / mib:.1f} MiB"]
    notices = result["notices"] or 1
    for table, size in sorted(result["stat"]["tables"].items(), key=lambda kv: -kv[1]):
        rows = result["stat"]["rows"].get(table)
        per_row = f", {size / rows:.0f} B/row, {size / notices:.0f} B/notice" if rows else ""
        lines.append(f"  {table:<20} {size / mib:8.1f} MiB  {rows if rows is not None else '-':>9} rows{per_row}")
    lines.append(f"RSS while ingesting: peak {result['rss_peak_mb']} MiB, at the end {result['rss_end_mb']} MiB")
    lines.append(f"restart to /readyz: {result['restart_ready_seconds']} s ({result['restart_cpu_seconds']} s of CPU), "
                 f"RSS then {result['restart_rss_mb']} MiB")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "herald"))
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--state-root", help="where the state directory goes (default: the work directory)")
    parser.add_argument("--config-extra", help="JSON object merged into the config's sections, e.g. '{\"store\": {...}}'")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, state)")
    args = parser.parse_args()
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"no herald binary at {args.bin}: swift build -c release --product herald")
    workdir = tempfile.mkdtemp(prefix="herald-state-size-")
    processes = procs.Processes(workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        result = measure(args, processes, workdir)
    finally:
        processes.stop_all()
    print(report(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if args.keep:
        print(f"kept {workdir}")
    else:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
