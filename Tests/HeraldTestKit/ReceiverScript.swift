/// A loopback webhook receiver in Python's standard library, so what Herald sends is
/// checked by an independent HTTP server and an independent HMAC implementation.
///
/// Usage: `receiver.py <port-file> <log-file> <port> [whsec_… …]`. It binds 127.0.0.1:<port> (0: any), writes
/// the port to <port-file>, and appends one JSON line per POST to <log-file>:
/// path, headers, body (base64), connection number, and which secrets (by index) a
/// `v1,` signature in `webhook-signature` verifies with.
///
/// Behaviour by path: `/ok` 200; `/flaky` 500 on its first request then 200;
/// `/status/<code>[?retry_after=<value>]`; `/slow?ms=<n>` 200 after n ms;
/// `/big?bytes=<n>` 200 with n bytes; `/redirect` 302 to /ok.
/// Receivers that behave like the real ones where it matters: `/slack` (400 `no_text`
/// without a non-empty `text`, else 200 `ok`; `?limited=1` answers its first request
/// 429 with `Retry-After: 1`), and `/v2/enqueue` (PagerDuty Events API v2: 202
/// `{"status":"success","dedup_key":…}`, 400 `invalid event` for a missing routing key
/// or an unknown `event_action`), `/teams` (Power Automate: 202 for a `message` with an
/// Adaptive Card attachment, else 400), `/discord` (204; 400 `{"code": 50006}` without
/// `content` or `embeds`, or `content` over 2,000; `?limited=1` answers its first
/// request 429 with the wait only in the JSON body, `retry_after: 1.5`, no header),
/// `/mattermost` (200 `ok` with `text`, else 400), `/gchat` (Google Chat: 200 with the
/// message for `text` or `cardsV2`, else 400; a `requestId` seen before returns the
/// message created the first time).
public let receiverScript = #"""
import base64, hashlib, hmac, json, os, signal, sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

# The test process may hand down a signal mask blocking SIGTERM; make SIGTERM end us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
port_file, log_file = sys.argv[1], sys.argv[2]
bind_port = int(sys.argv[3])
secrets = [base64.b64decode(s[len("whsec_"):]) for s in sys.argv[4:]]
lock = threading.Lock()
state = {"connections": 0, "counts": {}, "gchat": {}}

def verified_with(headers, body):
    content = (headers.get("webhook-id", "") + "." + headers.get("webhook-timestamp", "") + ".").encode() + body
    found = []
    for part in headers.get("webhook-signature", "").split(" "):
        version, _, signature = part.partition(",")
        for index, key in enumerate(secrets):
            expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
            if version == "v1" and hmac.compare_digest(expected, signature):
                found.append(index)
    return found

def parse_object(body):
    try:
        doc = json.loads(body)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with lock:
            state["connections"] += 1
            self.connection_number = state["connections"]

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        url = urlparse(self.path)
        query = parse_qs(url.query)
        headers = {name.lower(): value for name, value in self.headers.items()}
        with lock:
            count = state["counts"][url.path] = state["counts"].get(url.path, 0) + 1
            record = {"path": url.path, "headers": headers, "body": base64.b64encode(body).decode(),
                      "connection": self.connection_number, "verified_with": verified_with(headers, body),
                      "query": url.query, "at": time.time()}
            with open(log_file, "a") as log:
                log.write(json.dumps(record) + "\n")
        if url.path == "/ok":
            self.reply(200, b"ok")
        elif url.path == "/flaky":
            self.reply(500 if count == 1 else 200, b"flaky")
        elif url.path.startswith("/status/"):
            code = int(url.path[len("/status/"):])
            extra = [("Retry-After", query["retry_after"][0])] if "retry_after" in query else []
            self.reply(code, b"status %d" % code, extra)
        elif url.path == "/slow":
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000)
            self.reply(200, b"slow")
        elif url.path == "/big":
            self.reply(200, b"x" * int(query.get("bytes", ["1048576"])[0]))
        elif url.path == "/slack":
            try:
                text = json.loads(body).get("text")
            except ValueError:
                text = None
            if query.get("limited") == ["1"] and count == 1:
                self.reply(429, b"rate_limited", [("Retry-After", "1")])
            elif not isinstance(text, str) or not text:
                self.reply(400, b"no_text")
            else:
                self.reply(200, b"ok")
        elif url.path == "/v2/enqueue":
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            if not event.get("routing_key") or event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
                self.reply(400, json.dumps({"status": "invalid event", "message": "Event object is invalid",
                                            "errors": ["'event_action' is invalid"]}).encode(), [("Content-Type", "application/json")])
            else:
                self.reply(202, json.dumps({"status": "success", "message": "Event processed",
                                            "dedup_key": event.get("dedup_key", "")}).encode(), [("Content-Type", "application/json")])
        elif url.path == "/teams":
            doc = parse_object(body)
            attachments = doc.get("attachments")
            card = attachments[0] if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict) else {}
            content = card.get("content") if isinstance(card.get("content"), dict) else {}
            if doc.get("type") == "message" and card.get("contentType") == "application/vnd.microsoft.card.adaptive" \
                    and content.get("type") == "AdaptiveCard" and isinstance(content.get("body"), list):
                self.reply(202)
            else:
                self.reply(400, b"invalid adaptive card message")
        elif url.path == "/discord":
            doc = parse_object(body)
            content = doc.get("content")
            if query.get("limited") == ["1"] and count == 1:
                self.reply(429, json.dumps({"message": "You are being rate limited.", "retry_after": 1.5, "global": False}).encode(),
                           [("Content-Type", "application/json")])
            elif not content and not doc.get("embeds"):
                self.reply(400, json.dumps({"message": "Cannot send an empty message", "code": 50006}).encode(),
                           [("Content-Type", "application/json")])
            elif isinstance(content, str) and len(content) > 2000:
                self.reply(400, json.dumps({"content": ["Must be 2000 or fewer in length."]}).encode(), [("Content-Type", "application/json")])
            else:
                self.reply(204)
        elif url.path == "/mattermost":
            text = parse_object(body).get("text")
            self.reply(200, b"ok") if isinstance(text, str) and text else self.reply(400, b"Unable to parse incoming data")
        elif url.path == "/gchat":
            doc = parse_object(body)
            request_id = query.get("requestId", [""])[0]
            if not doc.get("text") and not doc.get("cardsV2"):
                self.reply(400, json.dumps({"error": {"code": 400, "status": "INVALID_ARGUMENT"}}).encode(), [("Content-Type", "application/json")])
            else:
                with lock:
                    name = state["gchat"].setdefault(request_id or str(count), "spaces/S/messages/m%d" % count)
                self.reply(200, json.dumps({"name": name}).encode(), [("Content-Type", "application/json")])
        elif url.path == "/redirect":
            self.reply(302, b"", [("Location", "/ok")])
        else:
            self.reply(404, b"no such behaviour")

class Server(ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address):
        pass

Server.allow_reuse_address = True
server = Server(("127.0.0.1", bind_port), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
"""#
