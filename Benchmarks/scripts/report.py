"""Renders a run's results as BENCHMARKS.md: machine, commands, tables with ratios,
targets met or missed, and (from Benchmarks/limits.md, kept by hand) what limits each
figure."""

import math
import os
import platform
import subprocess


def _cmd(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def machine():
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(), "os": _cmd(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
        "swift": _cmd(["swift", "--version"]), "nginx": _cmd(["nginx", "-v"]),
        "wrk": _cmd(["sh", "-c", "wrk -v 2>&1 | head -1"]),
        "alertmanager": _cmd(["/usr/bin/prometheus-alertmanager", "--version"]),
        "commit": _cmd(["git", "rev-parse", "--short", "HEAD"]) + (" (uncommitted changes)" if _cmd(["git", "status", "--porcelain"]) not in ("", "?") else ""),
    }


def f(value, digits=0):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(a, b):
    if not a or not b or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return "n/a"
    return f"{a / b:.2f}×"


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def micro_figure(micro, group, prefix, users):
    for fig in micro or []:
        if fig["group"] == group and fig["name"].startswith(prefix) and fig["users"] == users:
            return fig["value"]
    return None


def targets(results):
    """(target, figure, verdict) rows for the summary."""
    rows = []
    ingest, e2e, burst, micro = (results.get(k) for k in ("ingest", "e2e", "burst", "micro"))
    # Issue #21's targets: against Alertmanager measured in the same run, durability priced in.
    if ingest:
        size = results["reference_users"]
        h, n = ingest["herald"][size], ingest["nginx"]
        a = ingest["alertmanager"]
        single = h[1]["rps"] / a[1]["rps"] if a[1].get("rps") else float("nan")
        rows.append(("single-event ingest, 202 after durable commit ≥ 1.0× Alertmanager (stretch: 0.35× nginx)",
                     f"{f(h[1]['rps'])} req/s = {single:.2f}× Alertmanager ({f(a[1]['rps'])}), {h[1]['rps'] / n[1]['rps']:.2f}× nginx",
                     verdict(None if math.isnan(single) else single >= 1.0)))
        batched = h[100]["events_per_s"] / a[100]["events_per_s"] if a[100].get("events_per_s") else float("nan")
        rows.append(("batched ingest (100 per request) ≥ 1.0× Alertmanager (stretch: 150,000 events/s)",
                     f"{f(h[100]['events_per_s'])} events/s = {batched:.2f}× Alertmanager ({f(a[100]['events_per_s'])})",
                     verdict(None if math.isnan(batched) else batched >= 1.0)))
    if e2e:
        h, a = e2e["herald"], e2e["alertmanager"]
        flush = results.get("disk_flush", {})
        ok = None
        if "p50_us" in h and "p50_us" in a and "p50_us" in flush:
            ok = h["p50_us"] <= a["p50_us"] + flush["p50_us"] and h["p99_us"] <= a["p99_us"] + flush["p99_us"]
        rows.append(("e2e at 1,000/s, durable: p50 ≤ Alertmanager p50 + one flush p50, p99 ≤ Alertmanager p99 + one flush p99",
                     f"p50 {f(h.get('p50_us'))} µs, p99 {f(h.get('p99_us'))} µs (Alertmanager {f(a.get('p50_us'))} / {f(a.get('p99_us'))} µs, "
                     f"flush {f(flush.get('p50_us'))} / {f(flush.get('p99_us'))} µs)", verdict(ok)))
        normal = e2e.get("herald_normal")
        if normal:
            ok = ("p50_us" in normal and "p50_us" in a) and normal["p50_us"] <= a["p50_us"] and normal["p99_us"] <= a["p99_us"]
            rows.append(("e2e at 1,000/s, `store.synchronous: \"normal\"`: p50 and p99 ≤ Alertmanager",
                         f"p50 {f(normal.get('p50_us'))} µs, p99 {f(normal.get('p99_us'))} µs (Alertmanager {f(a.get('p50_us'))} / {f(a.get('p99_us'))} µs)",
                         verdict(ok)))
    if burst:
        h, c, a = burst["herald"], burst["curl"], burst["alertmanager"]
        r = h["webhooks_per_s"] / a["webhooks_per_s"] if a.get("webhooks_per_s") else float("nan")
        rows.append(("delivery burst of 10,000 notifications ≥ 1.0× Alertmanager",
                     f"{f(h['webhooks_per_s'])} webhooks/s = {r:.2f}× Alertmanager ({f(a['webhooks_per_s'])}), "
                     f"{ratio(h['webhooks_per_s'], c.get('rate'))} plain libcurl", verdict(None if math.isnan(r) else r >= 1.0)))
        rows.append(("delivery burst RSS growth < 100 MB", f"{f(h['rss_growth_mb'], 1)} MiB (Alertmanager {f(a['rss_growth_mb'], 1)} MiB)",
                     verdict(h["rss_growth_mb"] < 100)))
        fan = burst.get("herald_fanout")
        if fan and c.get("rate"):
            r = fan["webhooks_per_s_after_202"] / c["rate"]
            rows.append(("one notice to a 10,000-member group ≥ 0.8× plain libcurl after the 202",
                         f"{fan['webhooks']:,} webhooks at {f(fan['webhooks_per_s_after_202'])}/s after its 202 = {r:.2f}× libcurl ({f(c['rate'])})",
                         verdict(r >= 0.8)))
    pg = results.get("pg")
    if pg and "pg1" in pg.get("modes", {}):
        one, base = pg["modes"]["pg1"], pg["sqlite_ingest"]
        for batch, what in ((1, "single-event"), (100, "batched")):
            r = one[batch]["events_per_s"] / base[batch]["events_per_s"] if base[batch]["events_per_s"] else float("nan")
            rows.append((f"PostgreSQL, 1 instance: {what} ingest ≥ 0.5× SQLite mode",
                         f"{f(one[batch]['events_per_s'])} events/s = {r:.2f}× SQLite ({f(base[batch]['events_per_s'])})",
                         verdict(None if math.isnan(r) else r >= 0.5)))
    for p in (results.get("scim") or {}).get("provision", []):
        if p.get("requested") == 10_000:
            rows.append((f"10,000 SCIM users one per request < 30 s ({p['concurrency']} at a time)",
                         f"{p.get('seconds')} s, {p.get('changes_per_transaction')} changes per store transaction", verdict(p.get("seconds", 1e9) < 30)))
    if micro:
        load = micro_figure(micro, "config load", "load + index", 100_000)
        rss = micro_figure(micro, "config load", "RSS after load", 100_000)
        group = micro_figure(micro, "resolve", "10000-member group + rights filter p50", 100_000)
        group_users = 100_000
        if group is None:  # the 10k-user config's g0 also has 10,000 members
            group, group_users = micro_figure(micro, "resolve", "10000-member group + rights filter p50", 10_000), 10_000
        rows.append(("100k-user config: load + index < 1 s", f"{f(load)} ms" if load else "not measured (quick run)",
                     verdict(None if load is None else load < 1000)))
        rows.append(("100k-user config: RSS < 300 MB", f"{f(rss)} MiB" if rss else "not measured (quick run)",
                     verdict(None if rss is None else rss < 300)))
        rows.append(("10k-member group + rights filter ≤ 100 µs", f"{f(group, 1)} µs (p50, {group_users:,}-user config)" if group else "not measured",
                     verdict(None if group is None else group <= 100)))
    return rows


def render(results, limits_path):
    m = results["machine"]
    lines = [
        "# Herald benchmarks", "",
        f"Generated by `{results['command']}` on {results['date']} ({'quick sanity run: short, noisy figures' if results['quick'] else 'full run'}), "
        f"commit {m['commit']}, in {f(results['seconds'])} s. Regenerate with `Benchmarks/run` (or `make bench`); "
        "`Benchmarks/run --quick` is a < 2 minute sanity check.", "",
        "## Machine", "",
        f"- {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Linux {m['kernel']}",
        f"- {m['swift']}; {m['nginx']}; {m['wrk']}; {m['alertmanager']}",
        *([flush_line(results["disk_flush"])] if "disk_flush" in results else []),
        # Only the start says whether other work was running: the end's 1-minute average
        # still holds the run's own last minute of load.
        f"- load average (1 min) at start {results['load_start']:.2f}, at end {results['load_end']:.2f} (the end includes the run's own load)"
        + (" — **other work was running at the start: figures are noisy**" if results['load_start'] > 0.5 else ""), "",
        "All servers and clients share the same cores: a client (wrk, the sender) takes CPU from the server it measures, "
        "which is why every figure is also given as a ratio to a baseline measured the same way in the same run.", "",
        "## Targets", "", "| target | this run | verdict |", "|---|---|---|",
    ]
    lines += [f"| {t} | {v} | {ok} |" for t, v, ok in targets(results)]
    lines += ingest_section(results) + e2e_section(results) + burst_section(results) + micro_section(results) + scim_section(results) + pg_section(results)
    if limits_path and os.path.exists(limits_path):
        lines += ["", open(limits_path).read().rstrip()]
    return "\n".join(lines) + "\n"


def flush_line(flush):
    text = (f"- fdatasync of a 4 KiB append in Herald's state directory (`{flush['directory']}`): "
            f"p50 {f(flush['p50_us'])} µs, p99 {f(flush['p99_us'])} µs. ")
    if flush.get("single_ingest_ceiling") is None:
        return text + "No real flush (tmpfs): these figures show Herald's CPU cost, **without durability**."
    return text + ("Every 202 waits for one: single-event ingest with 32 connections cannot exceed 32 / p50 = "
                   f"**{f(flush['single_ingest_ceiling'])} req/s** on this disk, and no end-to-end latency can be below one flush.")


def ingest_section(results):
    ingest = results.get("ingest")
    if not ingest:
        return []
    n, a = ingest["nginx"], ingest["alertmanager"]
    out = ["", "## Ingest (wrk)", "",
           f"`{n[1]['command']}` against each server (batch 100: `… -- herald 100 …`). Herald: release build, "
           "`POST /v1/events`, 202 after the SQLite commit, real delivery of the ~2 % notifying events to nginx. "
           "The nginx rows are `return 204;` with the same requests (its ratio column is the ceiling).", "",
           "| server | users | batch | req/s | events/s | p50 µs | p99 µs | errors | vs nginx (req/s) | vs Alertmanager (events/s) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for batch in (1, 100):
        out.append(f"| nginx 204 | – | {batch} | {f(n[batch]['rps'])} | {f(n[batch]['events_per_s'])} | {f(n[batch]['p50_us'])} | "
                   f"{f(n[batch]['p99_us'])} | {n[batch]['errors']} | 1.00× | |")
        for users, h in sorted(ingest["herald"].items()):
            r = h[batch]
            out.append(f"| Herald | {users:,} | {batch} | {f(r['rps'])} | {f(r['events_per_s'])} | {f(r['p50_us'])} | {f(r['p99_us'])} | "
                       f"{r['errors']} | {ratio(r['rps'], n[batch]['rps'])} | {ratio(r['events_per_s'], a[batch]['events_per_s'])} |")
        r = a[batch]
        out.append(f"| Alertmanager | – | {batch} | {f(r['rps'])} | {f(r['events_per_s'])} | {f(r['p50_us'])} | {f(r['p99_us'])} | "
                   f"{r['errors']} | {ratio(r['rps'], n[batch]['rps'])} | 1.00× |")
        t = ingest.get("transport")
        if batch == 1 and t:
            out.append(f"| Herald `GET /healthz` (HTTP layer only) | {min(ingest['herald']):,} | – | {f(t['rps'])} | – | {f(t['p50_us'])} | "
                       f"{f(t['p99_us'])} | {t['errors']} | {ratio(t['rps'], n[1]['rps'])} | |")
    out += ["", "| Herald users | start-up to ready (s) | RSS after ingest (MiB) | notifications | webhooks delivered by stop |",
            "|---|---|---|---|---|"]
    for users, h in sorted(ingest["herald"].items()):
        out.append(f"| {users:,} | {h['start_s']:.2f} | {f(h['rss_mb'])} | {f(h['notifications'])} | {f(h['delivered'])} |")
    return out


def e2e_section(results):
    e2e = results.get("e2e")
    if not e2e:
        return []
    out = ["", f"## End to end at {results['settings']['e2e_rate']:,} events/s", "",
           f"Open-loop sender (`Benchmarks/tools/post.c`, libcurl multi, request i starts at t0 + i/rate) → server → webhook → "
           f"timestamping sink (`Benchmarks/tools/sink.c`, libmicrohttpd); latency = arrival − send time carried in the event "
           f"(CLOCK_MONOTONIC). {results['settings']['e2e_count']:,} events after {results['settings']['e2e_warmup']:,} warm-up events; "
           f"{results['reference_users']:,}-user config; every event fires one rule (one webhook).", "",
           "| server | arrived | p50 µs | p90 µs | p99 µs | max µs | sender: answer p50 / p99 µs | late starts |", "|---|---|---|---|---|---|---|---|"]
    rows = [("Herald", "herald"), ("Herald, `store.synchronous: \"normal\"` (survives kill -9, not power loss)", "herald_normal"),
            ("Herald, state on tmpfs (no flush, not durable)", "herald_tmpfs"), ("Alertmanager", "alertmanager")]
    for name, key in rows:
        if key not in e2e:
            continue
        r = e2e[key]
        s = r.get("sender", {})
        out.append(f"| {name} | {r['received']:,} / {r['expected']:,} | {f(r.get('p50_us'))} | {f(r.get('p90_us'))} | {f(r.get('p99_us'))} | "
                   f"{f(r.get('max_us'))} | {f(s.get('p50_us'))} / {f(s.get('p99_us'))} | {s.get('late_starts', 'n/a')} |")
    h, a = e2e["herald"], e2e["alertmanager"]
    out += ["", f"Herald / Alertmanager: p50 {ratio(h.get('p50_us'), a.get('p50_us'))}, p99 {ratio(h.get('p99_us'), a.get('p99_us'))} (lower is better)."]
    if "herald_tmpfs" in e2e:
        t = e2e["herald_tmpfs"]
        out.append(f"The tmpfs row is the same daemon and stream with nothing to flush: the difference to the first row "
                   f"(p50 {f(h.get('p50_us', 0) - t.get('p50_us', 0))} µs, p99 {f(h.get('p99_us', 0) - t.get('p99_us', 0))} µs) "
                   f"is what the disk adds.")
    return out


def burst_section(results):
    b = results.get("burst")
    if not b:
        return []
    h, c, a = b["herald"], b["curl"], b["alertmanager"]
    out = ["", f"## Delivery burst of {h['notifications']:,} notifications to nginx-204", "",
           "Herald: batches of 100 firing events posted at once, one webhook per notification (batch-mode target, "
           "`maxConcurrent: 64`); time from the first POST to the last request logged by nginx (`$msec`). "
           f"Plain libcurl: `Benchmarks/tools/post.c`, multi interface, 64 in flight, keep-alive, Herald's webhook body "
           f"({c.get('body_bytes', 0):,} bytes) and headers. Alertmanager: the same alerts, every alert its own group, `group_wait: 0s`. "
           "The fan-out row isolates Herald's sender: one event whose notice tells a 10,000-member group on a per-recipient "
           "target, so every webhook leaves from one commit; its rate is counted from the 202 to the last request.", "",
           "| sender | completed | seconds | webhooks/s | vs libcurl | accepted in (s) | RSS before → peak (MiB) | growth (MiB) |",
           "|---|---|---|---|---|---|---|---|"]
    out.append(f"| Herald | {h['arrived']:,} | {f(h['seconds'], 2)} | {f(h['webhooks_per_s'])} | {ratio(h['webhooks_per_s'], c['rate'])} | "
               f"{f(h['ingest_s'], 2)} | {f(h['rss_before_mb'])} → {f(h['rss_peak_mb'])} | {f(h['rss_growth_mb'], 1)} |")
    fan = b.get("herald_fanout")
    if fan:
        out.append(f"| Herald, one notice to a 10,000-member group ({fan['webhooks']:,} active, per-recipient); rate after its 202 | {fan['arrived']:,} | "
                   f"{f(fan['seconds'], 2)} | {f(fan['webhooks_per_s_after_202'])} | {ratio(fan['webhooks_per_s_after_202'], c['rate'])} | "
                   f"{f(fan['accepted_s'], 2)} | {f(fan['rss_before_mb'])} → {f(fan['rss_peak_mb'])} | {f(fan['rss_growth_mb'], 1)} |")
    out.append(f"| plain libcurl | {c['ok']:,} | {f(c['seconds'], 2)} | {f(c['rate'])} | 1.00× | – | – | – |")
    out.append(f"| Alertmanager | {a['arrived']:,} | {f(a['seconds'], 2)} | {f(a['webhooks_per_s'])} | {ratio(a['webhooks_per_s'], c['rate'])} | "
               f"{f(a['ingest_s'], 2)} | {f(a['rss_before_mb'])} → {f(a['rss_peak_mb'])} | {f(a['rss_growth_mb'], 1)} |")
    out += ["", f"Herald / Alertmanager: {ratio(h['webhooks_per_s'], a['webhooks_per_s'])} webhooks/s."]
    return out


def micro_section(results):
    micro = results.get("micro")
    if not micro:
        return []
    out = ["", "## Core micro-benchmarks (herald-bench, release)", "",
           "`.build/release/herald-bench [--quick] --json FILE CONFIG...` over the generated configs "
           "(`Benchmarks/scripts/gen_config.py`: N users, 5,000 groups from 10k users up — 20 members, every 500th "
           "min(10,000, N), every 10th nesting the next — 50 rules × 3 tiers, relation-based recipients). "
           "Config load runs in a fresh process per size.", "",
           "| section | figure | users | value | unit | note |", "|---|---|---|---|---|---|"]
    for fig in micro:
        users = f"{fig['users']:,}" if fig["users"] else "–"
        value = fig["value"]
        shown = f(value) if value >= 1000 else (f(value, 1) if value >= 10 else f(value, 2))
        out.append(f"| {fig['group']} | {fig['name'].strip()} | {users} | {shown} | {fig['unit']} | {fig['note']} |")
    return out


def scim_section(results):
    scim = results.get("scim")
    if not scim:
        return []
    out = ["", "## Directory changes and SCIM provisioning (issue 18)", "",
           f"- {scim.get('directory_change') or 'directory-change did not run'}", ""]
    out += ["| clients at a time | users created | seconds | per second | p50 ms | p99 ms | changes per transaction | kept after kill -9 | load average |",
            "|---|---|---|---|---|---|---|---|---|"]
    for p in scim.get("provision", []):
        out.append(f"| {p.get('concurrency')} | {p.get('created')} | {p.get('seconds')} | {p.get('per_second')} | {p.get('p50_ms')} | "
                   f"{p.get('p99_ms')} | {p.get('changes_per_transaction')} | {p.get('kept_after_kill9')} | {p.get('load_average')} |")
    return out



PG_MODES = (("pg1", "PostgreSQL, 1 instance"), ("pg1_nginx", "PostgreSQL, 1 instance behind nginx"),
            ("pg2_nginx", "PostgreSQL, 2 instances behind nginx (round-robin)"))


def pg_section(results):
    pg = results.get("pg")
    if not pg:
        return []
    base, base_e2e, modes = pg["sqlite_ingest"], pg["sqlite_e2e"], pg["modes"]
    out = ["", "## PostgreSQL store (issue #20)", "",
           f"The same wrk ingest and paced end-to-end stream as above ({pg['users']:,}-user config), with the state in PostgreSQL "
           f"{pg.get('server', '?')}: a throw-away cluster of this run (`Benchmarks/scripts/pg.py`: initdb in a temp directory, "
           "loopback port, PostgreSQL's durable defaults — fsync and synchronous commit on — on the same disk as the SQLite state; "
           "a fresh database per row). Each Herald instance holds a pool of 8 connections. Ratios are to SQLite mode measured in "
           "this run. The nginx rows go through `Benchmarks/config/balancer.conf.in` (round-robin, keep-alive to the instances); "
           "the 1-instance-behind-nginx row shows what the proxy alone costs.", "",
           "**On this 2-core machine the 2-instance row shows the cost of sharing, not scaling**: both instances, nginx, "
           "PostgreSQL and the load generator share the same two cores, so a second instance adds coordination (row locks, "
           "claims, two group committers on one database) and no CPU.", "",
           "| store | batch | req/s | events/s | p50 µs | p99 µs | errors | vs SQLite (events/s) |", "|---|---|---|---|---|---|---|---|"]
    for batch in (1, 100):
        b = base[batch]
        out.append(f"| SQLite, 1 instance | {batch} | {f(b['rps'])} | {f(b['events_per_s'])} | {f(b['p50_us'])} | {f(b['p99_us'])} | "
                   f"{b['errors']} | 1.00× |")
        for key, name in PG_MODES:
            if key in modes:
                r = modes[key][batch]
                out.append(f"| {name} | {batch} | {f(r['rps'])} | {f(r['events_per_s'])} | {f(r['p50_us'])} | {f(r['p99_us'])} | "
                           f"{r['errors']} | {ratio(r['events_per_s'], b['events_per_s'])} |")
    out += ["", f"End to end at {results['settings']['e2e_rate']:,} events/s:", "",
            "| store | arrived | p50 µs | p90 µs | p99 µs | max µs | p50 vs SQLite | p99 vs SQLite | late starts |",
            "|---|---|---|---|---|---|---|---|---|"]
    rows = [("SQLite, 1 instance", base_e2e)] + [(name, modes[key]["e2e"]) for key, name in PG_MODES if key in modes and "e2e" in modes[key]]
    for name, r in rows:
        out.append(f"| {name} | {r['received']:,} / {r['expected']:,} | {f(r.get('p50_us'))} | {f(r.get('p90_us'))} | {f(r.get('p99_us'))} | "
                   f"{f(r.get('max_us'))} | {ratio(r.get('p50_us'), base_e2e.get('p50_us'))} | {ratio(r.get('p99_us'), base_e2e.get('p99_us'))} | "
                   f"{r.get('sender', {}).get('late_starts', 'n/a')} |")
    commits = [(name, modes[key]) for key, name in PG_MODES if key in modes and modes[key].get("commits")]
    if commits:
        out += ["", "Group commits during the ingest rows (all instances): "
                + "; ".join(f"{name}: {f(m['commits'])} transactions, mean {f(1000 * m['commit_seconds_sum'] / m['commits'], 2)} ms"
                            + (f", {f(m['conflicts'])} refused as conflicts" if m.get("conflicts") else "")
                            for name, m in commits) + ". A conflict (`herald_commit_conflicts_total`) is a commit another "
                "instance's write made stale: the instance re-reads the rows and decides the events again; with round-robin, "
                "a subject's consecutive events reach different instances, so the instance that decides one often holds an "
                "older revision of its row."]
    return out
