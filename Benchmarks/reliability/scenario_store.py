"""Store faults: the state directory lives on a small tmpfs that fills up, and later is
remounted read-only. While the store cannot commit, Herald must answer 503 (never
202) and stay up; when space returns (or the mount is writable again) it accepts
again by itself; every event acknowledged before, during or after is delivered.
Needs root (mount); reports "skipped" otherwise."""
import os, subprocess, tempfile, threading, time
from harness import Herald, Receiver, Producer, config, target, rule, wait_until, figure

SMALL = "2m"             # fills after a few thousand events
LARGE = "256m"
FILL_LIMIT = 90.0        # seconds to reach "full"
RECOVER_LIMIT = 30.0


def mount(point, options):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", point], capture_output=True).returncode == 0


def remount(point, options):
    return subprocess.run(["mount", "-o", "remount," + options, point], capture_output=True).returncode == 0


def run(binary):
    point = tempfile.mkdtemp(prefix="herald-store-")
    if os.geteuid() != 0 or not mount(point, "size=" + SMALL):
        figure("store", skipped="needs root to mount a tmpfs")
        os.rmdir(point)
        return True
    receiver = Receiver()
    herald = Herald(binary, config([target("hook", receiver.url())], [rule("r", "m", ["hook"])]),
                    state_dir=os.path.join(point, "state"))
    producer = Producer(lambda: herald.port, batch=20)
    ok = True
    try:
        herald.start()
        # 1. Fill the disk: post until the store refuses; each refusal must be a 503.
        def status_of_one(index):
            body = '{"id": "probe-%d", "metric": "m", "value": 50, "subject": {"id": "probe-%d"}}' % (index, index)
            try:
                status, _ = herald.request("POST", "/v1/events", body)
                if status == 202:
                    producer.acked.add("probe-%d" % index)
                return status
            except OSError as error:
                return type(error).__name__
        index = 0
        deadline = time.time() + FILL_LIMIT
        while time.time() < deadline and not producer.refusals.get(503):
            producer.send_batch(index, 20, time.time() + 2)
            index += 20
        full_after = len(producer.acked)
        # A small event may still fit where a commit freed pages (202 is right then, if
        # durable: it must be delivered); anything but 202/503 is wrong.
        statuses_while_full = [status_of_one(100000 + i) for i in range(20)]
        refused_full = 503 in statuses_while_full and set(statuses_while_full) <= {202, 503} \
            and not set(producer.refusals) - {503}
        ready_status, _ = herald.request("GET", "/readyz")
        alive_full = herald.alive()
        # 2. Space returns: Herald accepts again without a restart.
        remount(point, "size=" + LARGE)
        recovered_full = wait_until(lambda: status_of_one(200000 + int(time.time() * 1000) % 100000) == 202, RECOVER_LIMIT, 0.5)
        # 4. More load after recovery, then everything acknowledged must arrive.
        producer.run(500, rate=500, limit_seconds=30, first=index)
        # 3. Read-only store. Linux refuses to remount read-only while SQLite holds files
        #    open for writing (EBUSY), so Herald is stopped, the mount made read-only, and
        #    Herald started on it: it must refuse to start (or refuse events) cleanly, not
        #    crash and not answer 202; then writable again, it starts and catches up.
        herald.stop()
        read_only = remount(point, "ro")
        ro_outcome = "not-tested"
        if read_only:
            try:
                herald.start()
                statuses_ro = [status_of_one(300000 + i) for i in range(10)]
                ro_outcome = "served-503" if all(s == 503 for s in statuses_ro) else "ANSWERED-%s" % statuses_ro
                herald.stop()
            except RuntimeError:
                code = herald.proc.returncode
                ro_outcome = "refused-to-start(exit %d)" % code if code is not None and code > 0 else "CRASHED(%s)" % code
            remount(point, "rw")
        herald.start()
        recovered_ro = wait_until(lambda: status_of_one(400000 + int(time.time() * 1000) % 100000) == 202, RECOVER_LIMIT, 0.5)
        acked = set(producer.acked)
        wait_until(lambda: acked <= receiver.delivered_subjects(), 90, 0.5)
        lost = len(acked - receiver.delivered_subjects())
        stats = receiver.stats()
        herald.sample_rss()
        crashes = 0 if herald.alive() else 1
        figure("store", accepted_before_full=full_after, refused_503_while_full="%d/20" % statuses_while_full.count(503),
               readyz_while_full=ready_status, recovered_after_space=recovered_full,
               read_only_store=ro_outcome, recovered_after_rw=recovered_ro,
               accepted=len(acked), delivered=len(acked & receiver.delivered_subjects()), lost=lost,
               duplicates=stats["duplicates"], crashes=crashes, peak_rss_mib=herald.peak_rss_kib // 1024)
        refused_ro = ro_outcome.startswith(("served-503", "refused-to-start"))
        ok = refused_full and refused_ro and recovered_full and recovered_ro and lost == 0 and crashes == 0 and alive_full
        if not ok:
            print("store: statuses while full %s" % statuses_while_full)
        herald.stop()
        return ok
    finally:
        producer.stop_flag.set()
        receiver.stop()
        if herald.alive():
            herald.proc.kill()
            herald.proc.wait()
        subprocess.run(["umount", point], capture_output=True)
        os.rmdir(point)
        herald.cleanup()
