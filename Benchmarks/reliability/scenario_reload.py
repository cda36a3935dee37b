"""Reload storm: while a producer posts events at a steady rate, the config file is
rewritten and SIGHUP sent many times, alternating good configs (two layouts that both
notify every event) with bad ones (a syntax error, an undefined role, a threshold that
goes down). No crash, no lost event, and at the end the running config is the last
good one applied: the storm ends with a good config (waited for) and then a bad one
(waited for); the good one must still run (told apart by a marker user)."""
import random, threading, time
from harness import Herald, Receiver, Producer, config, target, rule, wait_until, figure

GAP = 0.05    # seconds between SIGHUPs: faster than a reload takes, so they pile up


def layouts(url):
    def good(marker, threshold):
        text = config([target("hook", url)], [rule("r", "m", ["hook"], threshold=threshold)])
        return text.replace('"users": [', '"users": [{"id": "%s", "name": "Marker"}, ' % marker, 1)
    bad = [
        '{"users": [',                                                     # syntax error
        good("bad-role", 10).replace('"owner": true', '"owner": true, "roles": ["nope"]'),
        good("bad-tiers", 10).replace('"tiers": [', '"tiers": [{"name": "low", "threshold": 40, "notify": [{"owner": true}]}, '),
    ]
    return [("marker-a", good("marker-a", 10)), ("marker-b", good("marker-b", 20))], bad


def run(binary, signals=60, seed=None):
    rng = random.Random(seed if seed is not None else 7)
    receiver = Receiver()
    goods, bads = layouts(receiver.url())
    herald = Herald(binary, goods[0][1])
    herald.start()
    producer = Producer(lambda: herald.port, batch=5)
    thread = threading.Thread(target=producer.run, args=(4000, 400, 60))
    thread.start()
    last_good = goods[0][0]
    good_count = bad_count = 0
    try:
        for i in range(signals):
            if i % 2 == 0:
                last_good, text = goods[(i // 2) % 2]
                good_count += 1
            else:
                text = rng.choice(bads)
                bad_count += 1
            herald.write_config(text)
            herald.hup()
            time.sleep(GAP)
        # The storm outruns the reloads (a reload may read the file after the next write),
        # so it ends deliberately: one good config, waited for until applied, then a bad
        # one, waited for until refused; the good one must still be running.
        def count(text):
            return herald.log_text().count(text)
        applied_before = count('msg="config reloaded"')
        last_good, text = goods[rng.randrange(2)]
        herald.write_config(text)
        herald.hup()
        wait_until(lambda: count('msg="config reloaded"') > applied_before, 30)
        refused_before = count("config reload failed")
        herald.write_config(bads[0])
        herald.hup()
        wait_until(lambda: count("config reload failed") > refused_before, 30)
        good_count += 1
        thread.join(timeout=90)
        producer.stop_flag.set()
        time.sleep(1.0)   # let the last reload finish
        acked = set(producer.acked)
        wait_until(lambda: acked <= receiver.delivered_subjects(), 60, 0.5)
        lost = len(acked - receiver.delivered_subjects())
        active = [m for m, _ in goods if herald.request("GET", "/v1/directory/users/" + m)[0] == 200]
        log = herald.log_text()
        reloaded = log.count('msg="config reloaded"')
        refused = log.count("config reload failed")
        crashes = herald.unexpected_exits + (0 if herald.alive() else 1)
        figure("reload-storm", sighups=signals + 2, good_written=good_count, bad_written=bad_count + 1,
               reloads_applied=reloaded, reloads_refused=refused, accepted=len(acked),
               delivered=len(acked & receiver.delivered_subjects()), lost=lost,
               duplicates=receiver.stats()["duplicates"], crashes=crashes,
               final_config=",".join(active) or "none", expected=last_good)
        ok = lost == 0 and crashes == 0 and active == [last_good] and refused >= 1 and len(acked) > 0
        herald.stop()
        return ok
    finally:
        producer.stop_flag.set()
        receiver.stop()
        herald.cleanup()
