"""Shared pieces of the reliability scenarios: the real `herald serve` process, a
signature-checking webhook receiver with switchable failure modes, and a producer that
records every acknowledged event. Loopback only; every wait is bounded.
"""
import base64, hashlib, hmac, http.client, json, os, re, shutil, signal, socket, subprocess
import tempfile, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "reliability-token-3c9e1a7f"
ENV = {"HERALD_TOKEN": TOKEN, "HOOK_SECRET": SECRET}
STARTUP_LIMIT = 20.0   # seconds for the daemon to report its port


def config(targets, rules, server_extra=None):
    """A config with one owner (every rule tells the owner) and a write/read/admin token."""
    server = {"maxBatchEvents": 1000, "queueDepth": 50000,
              "tokens": [{"id": "bench", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]}]}
    server.update(server_extra or {})
    return json.dumps({
        "users": [{"id": "owner", "name": "Owner", "owner": True}],
        "targets": targets, "rules": rules, "server": server}, indent=1)


def target(tid, url, **settings):
    t = {"id": tid, "url": url, "secrets": [{"env": "HOOK_SECRET"}], "retrySchedule": ["0s", "200ms", "400ms", "800ms", "1s"]}
    t.update(settings)
    return t


def rule(rid, metric, targets=None, threshold=10):
    r = {"id": rid, "metric": metric, "notifyResolved": False,
         "tiers": [{"name": "high", "threshold": threshold, "notify": [{"owner": True}]}]}
    if targets:
        r["targets"] = targets
    return r


class Herald:
    """`herald serve` on a loopback port with its own state directory; restarts reuse the port."""

    def __init__(self, binary, config_text, workdir=None, state_dir=None):
        self.binary = binary
        self.workdir = workdir or tempfile.mkdtemp(prefix="herald-rel-")
        self.config_path = os.path.join(self.workdir, "config.json")
        self.state_dir = state_dir or os.path.join(self.workdir, "state")
        self.log_path = os.path.join(self.workdir, "herald.log")
        self.port = 0
        self.proc = None
        self.unexpected_exits = 0
        self.peak_rss_kib = 0
        self.write_config(config_text)

    def write_config(self, text):
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def start(self):
        log = open(self.log_path, "a")
        before = self.log_text().count("HTTP server listening")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--config", self.config_path, "--state-dir", self.state_dir,
             "--listen", "127.0.0.1:%d" % self.port],
            stdout=log, stderr=log, env=dict(os.environ, **ENV))
        deadline = time.time() + STARTUP_LIMIT
        while time.time() < deadline and self.proc.poll() is None:
            lines = [l for l in self.log_text().splitlines() if "HTTP server listening" in l]
            if len(lines) > before:
                self.port = int(re.search(r"port=(\d+)", lines[-1]).group(1))
                return
            time.sleep(0.02)
        raise RuntimeError("herald did not start:\n" + self.log_text()[-3000:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def sample_rss(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))
        except (OSError, AttributeError):
            pass

    def kill9(self):
        """SIGKILL, as a crash; counts an exit we did not cause."""
        if not self.alive():
            self.unexpected_exits += 1
            return
        self.sample_rss()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def hup(self):
        if self.alive():
            self.proc.send_signal(signal.SIGHUP)

    def stop(self):
        if self.proc is None:
            return None
        self.sample_rss()
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self.unexpected_exits += 1
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def request(self, method, path, body=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": "Bearer " + TOKEN}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def metrics(self):
        """Prometheus samples as {name{labels}: value}."""
        status, body = self.request("GET", "/metrics")
        samples = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def metric_sum(self, prefix):
        return sum(v for k, v in self.metrics().items() if k == prefix or k.startswith(prefix + "{"))

    def dead_letters(self):
        """Every dead letter, page by page (the API's page limit is 500)."""
        found, after = [], None
        for _ in range(1000):
            status, body = self.request("GET", "/v1/dead-letters?limit=500" + ("&after=%s" % after if after else ""))
            if status != 200:
                raise RuntimeError("GET /v1/dead-letters answered %d: %s" % (status, body[:200]))
            page = json.loads(body)
            found += page.get("deadLetters", [])
            after = page.get("next")
            if after is None:
                return found
        return found

    def dead_subjects(self, target_id):
        """Subjects whose webhook to `target_id` ended as a dead letter."""
        return {d["payload"]["subject"]["id"] for d in self.dead_letters()
                if str(d.get("destination", "")).split("@")[0] == target_id and isinstance(d.get("payload"), dict)}

    def cleanup(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Receiver:
    """A loopback webhook sink. Records every POST (webhook-id, subject, signature check)
    and answers per `mode`: ok, slow (sleep `delay` s), flaky (500 on each id's first
    attempt), hole (reads nothing, never answers). `stop()`/`start()` take it down and
    bring it back on the same port."""

    def __init__(self, mode="ok", delay=2.0):
        self.mode = mode
        self.delay = delay
        self.lock = threading.Lock()
        self.posts = []            # (arrival time, webhook-id, subject id, signature ok)
        self.attempts = {}         # webhook-id -> attempts seen
        self.port = 0
        self.server = None
        self.start()

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                wid = self.headers.get("webhook-id", "")
                if receiver.mode == "hole":
                    time.sleep(30)   # never reads the body, never answers
                    self.close_connection = True
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = (wid + "." + self.headers.get("webhook-timestamp", "") + ".").encode() + body
                key = base64.b64decode(SECRET[len("whsec_"):])
                expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
                ok = expected in self.headers.get("webhook-signature", "").split(" ")
                try:
                    subject = json.loads(body)["subject"]["id"]
                except (ValueError, KeyError, TypeError):
                    subject = None
                with receiver.lock:
                    attempt = receiver.attempts[wid] = receiver.attempts.get(wid, 0) + 1
                if receiver.mode == "slow":
                    time.sleep(receiver.delay)
                status = 500 if receiver.mode == "flaky" and attempt % 2 == 1 else 200
                if status == 200:
                    with receiver.lock:
                        receiver.posts.append((time.time(), wid, subject, ok))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass   # Herald killed mid-request: the connection reset is expected

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def snapshot(self):
        with self.lock:
            return list(self.posts)

    def delivered_subjects(self):
        return {p[2] for p in self.snapshot()}

    def stats(self):
        posts = self.snapshot()
        ids = [p[1] for p in posts]
        with self.lock:
            retries = sum(n - 1 for n in self.attempts.values())
        return {"deliveries": len(posts), "unique": len(set(ids)), "duplicates": len(ids) - len(set(ids)),
                "bad_signatures": sum(1 for p in posts if not p[3]), "retries_seen": retries}


class Producer:
    """Posts events (one unique subject each, value over the threshold, an idempotency
    key) in batches at a steady rate, retrying a batch until Herald answers 202, and
    records every acknowledged subject. A 202 is Herald's promise; connection errors,
    429 and 503 are not, so the same batch (same ids) is sent again."""

    def __init__(self, port_of, metric="m", batch=5, prefix="s"):
        self.port_of = port_of
        self.metric = metric
        self.batch = batch
        self.prefix = prefix
        self.acked = set()
        self.refusals = {}        # status or error name -> count
        self.sent_requests = 0
        self.stop_flag = threading.Event()
        self.conn = None

    def note(self, key):
        self.refusals[key] = self.refusals.get(key, 0) + 1

    def post(self, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port_of(), timeout=10)
        self.conn.request("POST", "/v1/events", body=body,
                          headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        response = self.conn.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status

    def send_batch(self, first, count, deadline):
        subjects = ["%s-%06d" % (self.prefix, i) for i in range(first, first + count)]
        body = json.dumps({"events": [{"id": "e-" + s, "metric": self.metric, "value": 50,
                                       "subject": {"id": s}} for s in subjects]})
        while time.time() < deadline and not self.stop_flag.is_set():
            self.sent_requests += 1
            try:
                status = self.post(body)
            except (OSError, http.client.HTTPException) as error:
                self.note(type(error).__name__)
                if self.conn:
                    self.conn.close()
                self.conn = None
                time.sleep(0.05)
                continue
            if status == 202:
                self.acked.update(subjects)
                return True
            self.note(status)
            time.sleep(0.1 if status in (429, 503) else 0.5)
        return False

    def run(self, total, rate, limit_seconds, first=0):
        """Sends `total` events at `rate` events/s (bounded by `limit_seconds`)."""
        start = time.time()
        deadline = start + limit_seconds
        index = first
        while index < first + total and time.time() < deadline and not self.stop_flag.is_set():
            due = start + (index - first) / rate
            if due > time.time():
                time.sleep(due - time.time())
            count = min(self.batch, first + total - index)
            self.send_batch(index, count, deadline)
            index += count
        return index - first


def wait_until(condition, timeout, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def figure(name, **values):
    """One line of figures, `scenario: key=value …`, easy to grep and to paste into docs."""
    print("%-16s %s" % (name + ":", " ".join("%s=%s" % (k, v) for k, v in values.items())), flush=True)
