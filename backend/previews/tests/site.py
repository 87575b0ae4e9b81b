"""A real web site for the link-preview tests: an HTTP server on 127.0.0.1 serving a page
with OpenGraph tags and its image, redirects, a page too large, a slow page, a text
file and a compressed page. It records the paths asked for."""

import gzip
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image

HUGE_BYTES = 20 * 2**20
SLOW_SECONDS = 10


def png(width: int = 640, height: int = 320) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#2266aa").save(out, format="PNG")
    return out.getvalue()


class Site:
    """``requests``: the paths asked for, in order; ``huge_sent``: bytes of /huge that
    went out before the reader stopped."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.huge_sent = 0
        self.stop_slow = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, content_type: str, body: bytes, **headers) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                site.requests.append(self.path)
                path = urlsplit(self.path).path
                query = parse_qs(urlsplit(self.path).query)
                if path == "/page":
                    self._send(200, "text/html; charset=utf-8", site.page().encode())
                elif path == "/title-only":
                    body = "<html><head><title>Just a &amp; title</title></head></html>"
                    self._send(200, "text/html", body.encode())
                elif path == "/image.png":
                    self._send(200, "image/png", png())
                elif path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", query["to"][0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path == "/hops":
                    left = int(query["n"][0])
                    target = f"/hops?n={left - 1}" if left > 0 else "/page"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path == "/huge":
                    self._huge()
                elif path == "/slow":
                    site.stop_slow.wait(SLOW_SECONDS)
                    self._send(200, "text/html", b"<title>too late</title>")
                elif path == "/plain":
                    self._send(200, "text/plain", b"<title>not a page</title>")
                elif path == "/gzip":
                    body = gzip.compress(b"<title>compressed</title>" + b" " * 10_000_000)
                    self._send(200, "text/html", body, Content_Encoding="gzip")
                else:
                    self._send(404, "text/plain", b"no such page")

            def _huge(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                chunk = b"<p>" + b"x" * 65_533
                try:
                    while site.huge_sent < HUGE_BYTES:
                        self.wfile.write(chunk)
                        site.huge_sent += len(chunk)
                except OSError:
                    pass  # the reader stopped

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def page(self) -> str:
        return f"""<!doctype html><html><head>
<meta charset="utf-8"><title>Fallback title</title>
<meta property="og:title" content="Launch plan &amp; timeline">
<meta property="og:description" content="Everything about   the launch.">
<meta property="og:site_name" content="Example Wiki">
<meta property="og:image" content="{self.base}/image.png">
</head><body><script>alert(1)</script></body></html>"""

    def start(self) -> "Site":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stop_slow.set()
        self.server.shutdown()
        self.server.server_close()
