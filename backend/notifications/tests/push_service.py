"""A real push service for the tests: an HTTP server on 127.0.0.1 that records
what it is sent and answers a status the test chooses."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The VAPID subject the tests configure (the ``vapid_public_key`` fixture).
SUBJECT = "mailto:push-tests@example.com"


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class PushService:
    """``status`` is what every push is answered; ``received`` what came, in order."""

    def __init__(self) -> None:
        self.status = 201
        self.received: list[Received] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                service.received.append(Received(self.path, headers, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "PushService":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering (nothing listens on the port after); stopping twice is harmless."""
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
