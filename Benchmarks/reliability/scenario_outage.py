"""Receiver failures, one target each, with a healthy target `steady` alongside:
- down: the receiver is gone for a while, then comes back on the same port;
- slow: it answers after 2 s;
- flaky: each webhook's first attempt gets a 500;
- hole: it accepts the connection, never reads the body, never answers (1 s timeout,
  3 attempts, so these end as dead letters).
Every webhook to down/slow/flaky arrives; every one to hole is a dead letter; the
steady target keeps flowing throughout (its webhooks arrive while the others fail)."""
import time
from harness import Herald, Receiver, Producer, config, target, rule, wait_until, figure

PER_PHASE = 40          # events per failing target, and as many for the steady one
DOWN_SECONDS = 4.0
DRAIN_LIMIT = 60.0


def run(binary):
    receivers = {"down": Receiver(), "slow": Receiver("slow", delay=2.0), "flaky": Receiver("flaky"),
                 "hole": Receiver("hole"), "steady": Receiver()}
    # Retries spaced to outlast the 4 s outage (about 27 s of attempts in all).
    patient = ["0s", "500ms", "1s", "2s", "4s"]
    targets = [target(name, r.url(), timeout="5s", maxAttempts=10, retrySchedule=patient)
               for name, r in receivers.items() if name != "hole"]
    targets.append(target("hole", receivers["hole"].url(), timeout="1s", maxAttempts=3,
                          retrySchedule=["0s", "200ms", "400ms"]))
    rules = [rule("r-" + name, name, [name]) for name in receivers]
    herald = Herald(binary, config(targets, rules))
    herald.start()
    ok = True
    try:
        def post(metric, prefix):
            producer = Producer(lambda: herald.port, metric=metric, batch=10, prefix=prefix)
            producer.run(PER_PHASE, rate=400, limit_seconds=30)
            return producer.acked

        # Down, then up: the steady target must not wait for it.
        receivers["down"].stop()
        outage_started = time.time()
        down_acked = post("down", "down")
        steady_acked = post("steady", "steady-1")
        steady_during = wait_until(lambda: steady_acked <= receivers["steady"].delivered_subjects(), DOWN_SECONDS)
        time.sleep(max(0.0, outage_started + DOWN_SECONDS - time.time()))
        receivers["down"].start()
        recovered = wait_until(lambda: down_acked <= receivers["down"].delivered_subjects(), DRAIN_LIMIT)
        recovery = time.time() - outage_started - DOWN_SECONDS
        # Slow, flaky and hole together, with steady traffic measured alongside.
        acked = {name: post(name, name) for name in ("slow", "flaky", "hole")}
        steady_started = time.time()
        steady_acked2 = post("steady", "steady-2")
        steady_flowing = wait_until(lambda: steady_acked2 <= receivers["steady"].delivered_subjects(), 5.0)
        steady_latency = time.time() - steady_started
        for name in ("slow", "flaky"):
            wait_until(lambda: acked[name] <= receivers[name].delivered_subjects(), DRAIN_LIMIT)
        wait_until(lambda: len(herald.dead_letters()) >= len(acked["hole"]), DRAIN_LIMIT, 0.5)
        dead = herald.dead_letters()
        attempts = herald.metric_sum("herald_delivery_attempts_total")
        deliveries = herald.metric_sum("herald_deliveries_total")
        for name in ("down", "slow", "flaky", "steady"):
            r = receivers[name]
            want = {"down": down_acked, "steady": steady_acked | steady_acked2}.get(name, acked.get(name, set()))
            dead_here = herald.dead_subjects(name)
            lost = len(want - r.delivered_subjects() - dead_here)
            stats = r.stats()
            figure("outage-" + name, accepted=len(want), delivered=len(want & r.delivered_subjects()),
                   dead_letters=len(want & dead_here), lost=lost, duplicates=stats["duplicates"],
                   receiver_retries=stats["retries_seen"], bad_signatures=stats["bad_signatures"])
            ok = ok and lost == 0 and not (want & dead_here) and stats["bad_signatures"] == 0
        hole_dead = len(acked["hole"] & herald.dead_subjects("hole"))
        figure("outage-hole", accepted=len(acked["hole"]), dead_letters=hole_dead,
               delivered=receivers["hole"].stats()["deliveries"])
        figure("outage", steady_during_outage=steady_during, down_recovered_s="%.1f" % recovery,
               steady_latency_beside_failures_s="%.2f" % steady_latency, herald_attempts=int(attempts),
               herald_deliveries=int(deliveries), dead_letters=len(dead), crashes=0 if herald.alive() else 1)
        ok = ok and steady_during and recovered and steady_flowing and hole_dead == len(acked["hole"]) and herald.alive()
        herald.stop()
        return ok
    finally:
        for r in receivers.values():
            r.stop()
        herald.cleanup()
