"""A real HTTP server receiving outgoing webhooks' POSTs, for the tests: it records each
request (headers and body), answers 503 to the first ``fail`` of them (or refuses to
answer at all while ``down``), and 2xx with ``reply`` as its JSON body after that."""

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    delivery: str
    signature: str
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)


class Receiver:
    def __init__(self, *, fail: int = 0, reply: dict | None = None) -> None:
        self.fail = fail  # how many more requests to answer 503
        self.reply = reply
        self.received: list[Received] = []  # accepted (2xx), in order
        self.refused = 0  # answered 503
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    failing = receiver.fail > 0
                    if failing:
                        receiver.fail -= 1
                        receiver.refused += 1
                    else:
                        receiver.received.append(
                            Received(
                                self.headers.get("X-Chat-Delivery", ""),
                                self.headers.get("X-Chat-Signature", ""),
                                body,
                            )
                        )
                    answer = json.dumps(receiver.reply or {}).encode()
                self.send_response(503 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        with self.lock:
            return [received.event for received in self.received]
