"""A real push service for the tests: an HTTP server on 127.0.0.1 that records
what it is sent and answers a status the test chooses. It can also hold pushes
unanswered, counting how many are in flight at once."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The VAPID subject the tests configure (the ``vapid_public_key`` fixture).
SUBJECT = "mailto:push-tests@example.com"

# A held push is answered after this long at most, well before the sender's
# timeout, so a test that never releases doesn't hang.
HOLD_MAX_SECONDS = 5


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # many pushes connect at once


class PushService:
    """``status`` is what every push is answered (with ``location``, if set, as its
    Location header); ``received`` what came, in order; ``most_in_flight`` the most pushes
    it was answering at once."""

    def __init__(self) -> None:
        self.status = 201
        self.location: str | None = None
        self.received: list[Received] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._in_flight_changed = threading.Condition()
        self._released = threading.Event()
        self._released.set()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                service.received.append(Received(self.path, headers, body))
                service._in_flight_add(1)
                try:
                    service._released.wait(HOLD_MAX_SECONDS)
                finally:
                    # Counted out before answering: the sender may start the next
                    # push as soon as it has the answer.
                    service._in_flight_add(-1)
                self.send_response(service.status)
                if service.location:
                    self.send_header("Location", service.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "PushService":
        self._thread.start()
        return self

    def hold(self) -> None:
        """Leave pushes unanswered until ``release()``."""
        self._released.clear()

    def release(self) -> None:
        """Answer the held pushes, and the next ones at once."""
        self._released.set()

    def in_flight_reaches(self, count: int, *, timeout: float) -> bool:
        """Wait until ``count`` pushes are in flight at once; False if not within ``timeout``."""
        with self._in_flight_changed:
            return self._in_flight_changed.wait_for(lambda: self.in_flight >= count, timeout)

    def _in_flight_add(self, change: int) -> None:
        with self._in_flight_changed:
            self.in_flight += change
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._in_flight_changed.notify_all()

    def stop(self) -> None:
        """Stop answering (nothing listens on the port after); stopping twice is harmless."""
        if not self._thread.is_alive():
            return
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
