"""The `pg` phase (issue #20): Herald with its state in PostgreSQL, measured in the same
run and the same way as the SQLite rows (wrk ingest of single events and batches of
100, the paced end-to-end stream), as

- one instance on the database, addressed directly (the SQLite rows' setting);
- one instance behind nginx (what the proxy alone costs);
- two instances behind nginx round-robin, sharing the database.

Every mode gets a fresh database on the run's throw-away server (pg.py). The SQLite
baseline is the ingest/e2e phases' reference row when they ran; otherwise this phase
measures it itself, so the ratios always compare figures of one run."""

import time

import phases
import procs
from pg import TemporaryPostgres
from servers import Balancer, Herald

# The modes, in report order: (key, instances, behind nginx).
MODES = (("pg1", 1, False), ("pg1_nginx", 1, True), ("pg2_nginx", 2, True))


class Cluster:
    """`instances` Herald processes on one fresh database, optionally behind nginx."""

    def __init__(self, run, server, balancer_template, users, sink_url, key, instances, balanced):
        database = server.create_database(f"bench_{key}_{int(time.time() * 1000) % 1_000_000}")
        self.heralds = []
        self.balancer = None
        try:
            for index in range(instances):
                herald = Herald(run.processes, run.bins["herald"], run.workdir, users, sink_url, f"{key}-{index}",
                                state_root=run.state_root, database_url=database)
                self.heralds.append(herald)
            if balanced:
                self.balancer = Balancer(run.processes, run.workdir, balancer_template, [h.port for h in self.heralds], key)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = max(h.start_seconds for h in self.heralds)

    def url(self, path="/v1/events"):
        return self.balancer.url(path) if self.balancer else self.heralds[0].url(path)

    @property
    def auth(self):
        return self.heralds[0].auth

    def metric(self, name):
        return sum(h.metric(name) for h in self.heralds)

    def rss_mb(self):
        return sum(procs.memory_mb(h.proc.pid)[0] for h in self.heralds)

    def stop(self):
        if self.balancer:
            self.balancer.stop()
        for herald in self.heralds:
            herald.stop()


def sqlite_ingest(run, users):
    """SQLite's reference ingest row, measured here when the ingest phase did not run."""
    herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.nginx.sink_url, "pg-baseline", state_root=run.state_root)
    try:
        return {batch: phases.wrk(run, herald.url(), "herald", batch, f"sq{users}-{batch}") for batch in (1, phases.BATCH)}
    finally:
        herald.stop()


def sqlite_e2e(run, users):
    """SQLite's end-to-end row, measured here when the e2e phase did not run."""
    count, warmup = run.settings["e2e_count"], run.settings["e2e_warmup"]
    run.sink.dump()
    herald = Herald(run.processes, run.bins["herald"], run.workdir, users, run.sink.url(), "pg-baseline-e2e", state_root=run.state_root)
    try:
        phases.paced(run, herald.url(), phases.HERALD_E2E, [herald.auth], warmup, "sw")
        sender, latencies = phases.paced(run, herald.url(), phases.HERALD_E2E, [herald.auth], count, "sm")
        return dict(phases.summarize(latencies, count), sender=sender)
    finally:
        herald.stop()


def postgresql(run, users, balancer_template, results):
    """Ingest and end to end for every mode; returns the rows with their SQLite baseline."""
    out = {"users": users, "modes": {}}
    server = TemporaryPostgres(run.processes)
    try:
        out["server"] = server.version()
        run.log(f"postgresql {out['server']} on 127.0.0.1:{server.port} ({server.directory})")
        ingest = results.get("ingest", {}).get("herald", {}).get(users)
        out["sqlite_ingest"] = {b: ingest[b] for b in (1, phases.BATCH)} if ingest else sqlite_ingest(run, users)
        e2e = results.get("e2e", {}).get("herald")
        out["sqlite_e2e"] = e2e if e2e else sqlite_e2e(run, users)
        for key, instances, balanced in MODES:
            out["modes"][key] = measure(run, server, balancer_template, users, key, instances, balanced)
    finally:
        server.stop()
    return out


def measure(run, server, balancer_template, users, key, instances, balanced):
    """One mode: a fresh cluster for ingest, another (fresh database) for end to end."""
    row = {"instances": instances, "nginx": balanced}
    cluster = Cluster(run, server, balancer_template, users, run.nginx.sink_url, key, instances, balanced)
    try:
        run.log(f"{key}: {instances} instance(s) ready in {cluster.start_seconds:.2f} s")
        for batch in (1, phases.BATCH):
            row[batch] = phases.wrk(run, cluster.url(), "herald", batch, f"{key}-{batch}")
        row["rss_mb"] = cluster.rss_mb()
        row["notifications"] = cluster.metric("herald_notifications_total")
        row["commit_seconds_sum"] = cluster.metric("herald_commit_seconds_sum")
        row["commits"] = cluster.metric("herald_commit_seconds_count")
        # Commits refused because another instance wrote a row or an event id first
        # (decided again after re-reading): what sharing one database costs.
        row["conflicts"] = cluster.metric("herald_commit_conflicts_total")
    finally:
        cluster.stop()
    count, warmup = run.settings["e2e_count"], run.settings["e2e_warmup"]
    run.sink.dump()
    cluster = Cluster(run, server, balancer_template, users, run.sink.url(), f"{key}e", instances, balanced)
    try:
        phases.paced(run, cluster.url(), phases.HERALD_E2E, [cluster.auth], warmup, f"{key}w")
        sender, latencies = phases.paced(run, cluster.url(), phases.HERALD_E2E, [cluster.auth], count, f"{key}m")
        row["e2e"] = dict(phases.summarize(latencies, count), sender=sender,
                          conflicts=cluster.metric("herald_commit_conflicts_total"))
        run.log(f"e2e {key}: {row['e2e']}")
    finally:
        cluster.stop()
    return row
