"""kill -9 under load: a producer posts events at a steady rate and records every 202;
Herald is SIGKILLed at random moments and restarted each time; at the end every
notification implied by an acknowledged event must have reached the receiver at least
once (duplicates share their webhook-id). Each event has its own subject and a value
over the threshold, so each acknowledged event implies exactly one `firing` webhook."""
import random, threading, time
from harness import Herald, Receiver, Producer, config, target, rule, wait_until, figure

DELIVERY_WAIT = 120.0   # seconds allowed for the backlog to drain after the last restart


def run(binary, events=20000, rate=400, kills=5, seed=None):
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    receiver = Receiver()
    herald = Herald(binary, config([target("hook", receiver.url(), maxConcurrent=32)], [rule("r", "m", ["hook"])]))
    herald.start()
    producer = Producer(lambda: herald.port)
    duration = events / rate
    kill_times = sorted(rng.uniform(1.0, duration - 1.0) for _ in range(kills))
    thread = threading.Thread(target=producer.run, args=(events, rate, duration * 3))
    started = time.time()
    thread.start()
    downtime = 0.0
    try:
        for at in kill_times:
            time.sleep(max(0.0, started + at - time.time()))
            herald.kill9()
            down = time.time()
            time.sleep(rng.uniform(0.0, 0.5))   # stays dead for a moment, as after a real crash
            herald.start()
            downtime += time.time() - down
        thread.join(timeout=duration * 3 + 30)
        producer.stop_flag.set()
        acked = set(producer.acked)
        wait_until(lambda: acked <= receiver.delivered_subjects(), DELIVERY_WAIT, 0.25)
        elapsed = time.time() - started
        stats = receiver.stats()
        lost = len(acked - receiver.delivered_subjects())
        herald.sample_rss()
        crashes = herald.unexpected_exits + (0 if herald.alive() else 1)
        figure("kill-9", seed=seed, events=events, rate=rate, kills=len(kill_times), accepted=len(acked),
               delivered=len(acked & receiver.delivered_subjects()), webhooks=stats["deliveries"],
               duplicates=stats["duplicates"], lost=lost, bad_signatures=stats["bad_signatures"],
               refused=sum(producer.refusals.values()), crashes=crashes, downtime_s="%.1f" % downtime,
               elapsed_s="%.1f" % elapsed, peak_rss_mib=herald.peak_rss_kib // 1024)
        herald.stop()
        return lost == 0 and crashes == 0 and stats["bad_signatures"] == 0 and len(acked) > 0
    finally:
        producer.stop_flag.set()
        receiver.stop()
        herald.cleanup()
