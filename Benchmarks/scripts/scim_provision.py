#!/usr/bin/env python3
"""SCIM provisioning benchmark (issue 18): an identity provider creating 10,000 users
one request at a time (one POST /Users per user, no bulk), against a Herald that
already holds the generated 100,000-user directory (gen_config.py's shape). Target:
< 30 s for the 10,000.

    scim_provision.py --herald BIN [--users 100000] [--create 10000] [--concurrency 1]
                      [--budget 120] [--work DIR] [--keep]

Starts `herald serve` on a loopback port with a fresh state directory, POSTs the users
over --concurrency keep-alive connections, each sending its next user only after the
answer to its last (1: strictly sequential; an IdP's provisioning job with several
workers, as Entra ID and Okta run, is > 1), then kills the daemon with SIGKILL and
restarts it to check every user was kept. Prints the figures as one JSON line, with
the daemon's SCIM changes per store transaction (group commit). Bounded: stops at
--budget seconds whatever happens, and always stops the daemon it started.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_config  # noqa: E402

TOKEN = "bench-scim-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, config, state, port, log):
    env = dict(os.environ, HERALD_TOKEN=TOKEN)
    process = subprocess.Popen([binary, "serve", "--config", config, "--state-dir", state, "--listen", "127.0.0.1:%d" % port],
                               stdout=log, stderr=log, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("herald exited while starting (see %s)" % log.name)
            time.sleep(0.05)
    process.kill()
    raise SystemExit("herald did not start within 60 s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--herald", required=True)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--create", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1, help="connections sending at once (each one request at a time)")
    parser.add_argument("--budget", type=float, default=120)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (config, state, log); removed otherwise")
    parser.add_argument("--work", default=None,
                        help="folder for the config and state (e.g. /dev/shm: tmpfs, whose fsync is free, to separate the disk's share)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="herald-scim-bench-", dir=args.work)
    config = gen_config.make_config(args.users, "http://127.0.0.1:9/sink")
    config["targets"] = []
    for rule in config["rules"]:
        rule.pop("targets", None)
    config["server"]["tokens"] = [{"id": "bench", "env": "HERALD_TOKEN", "scopes": ["directory:write", "read"]}]
    config["scim"] = {"roleGroups": {"Herald Managers": "manager"}}
    path = os.path.join(work, "herald.json")
    with open(path, "w") as f:
        json.dump(config, f)
    port = free_port()
    log = open(os.path.join(work, "herald.log"), "ab")
    state = os.path.join(work, "state")
    process = start(args.herald, path, state, port, log)
    figures = {"existing_users": args.users, "requested": args.create}
    try:
        headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/scim+json"}
        latencies = []
        failures = []
        next_user = iter(range(args.create))
        guard = threading.Lock()
        started = time.monotonic()

        def worker():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while time.monotonic() - started <= args.budget and not failures:
                with guard:
                    i = next(next_user, None)
                if i is None:
                    return
                body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "scim-%d@example.org" % i,
                                   "name": {"givenName": "New", "familyName": str(i)}, "emails": [{"value": "scim-%d@example.org" % i}],
                                   "roles": [{"value": "manager"}] if i % 100 == 0 else []})
                t0 = time.monotonic()
                connection.request("POST", "/scim/v2/Users", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                with guard:
                    latencies.append(time.monotonic() - t0)
                    if response.status != 201:
                        failures.append("user %d answered %d" % (i, response.status))

        workers = [threading.Thread(target=worker) for _ in range(max(1, args.concurrency))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.monotonic() - started
        if failures:
            raise SystemExit(failures[0])
        latencies.sort()
        figures.update({"concurrency": args.concurrency, "created": len(latencies), "seconds": round(elapsed, 2),
                        "per_second": round(len(latencies) / elapsed, 1),
                        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
                        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
                        "load_average": [round(x, 2) for x in os.getloadavg()]})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        # The daemon's own time per change (check, store with fsync, swap), from /metrics.
        connection.request("GET", "/metrics")
        metrics = connection.getresponse().read().decode()
        series = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("herald_scim_change_seconds_"))
        if series.get("herald_scim_change_seconds_count"):
            figures["server_mean_ms"] = round(float(series["herald_scim_change_seconds_sum"]) / float(series["herald_scim_change_seconds_count"]) * 1000, 2)
        commits = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("herald_scim_commit_batch_size_"))
        if commits.get("herald_scim_commit_batch_size_count"):
            figures["transactions"] = int(float(commits["herald_scim_commit_batch_size_count"]))
            figures["changes_per_transaction"] = round(float(commits["herald_scim_commit_batch_size_sum"]) / figures["transactions"], 2)
        # Durable: kill -9 and start again; every created user is still there.
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        t0 = time.monotonic()
        process = start(args.herald, path, state, port, log)
        figures["restart_seconds"] = round(time.monotonic() - t0, 2)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/scim/v2/Users?count=1", headers=headers)
        figures["kept_after_kill9"] = json.loads(connection.getresponse().read())["totalResults"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()
        if args.keep:
            figures["work"] = work
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    return 0 if figures.get("kept_after_kill9") == figures.get("created") == args.create and figures["seconds"] < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
