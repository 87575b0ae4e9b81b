"""docker/nginx/chat.conf, served by a real nginx in front of a server that echoes the
headers it was sent: whose X-Forwarded-For and X-Forwarded-Proto reach the chat."""

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devtools.nginx import Nginx, nginx_binary, site_config
from devtools.waiting import free_port


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _headers_seen(tmp_path, upstream: str, trusted_proxy: str) -> dict:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("no nginx")
    proxy = Nginx(
        binary, free_port(), [upstream], work_dir=tmp_path / "nginx", trusted_proxy=trusted_proxy
    ).start()
    try:
        request = urllib.request.Request(
            f"{proxy.base_url}/chat/",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    finally:
        proxy.stop()


def test_a_trusted_proxys_scheme_and_client_address_reach_the_chat(tmp_path, echo):
    # A TLS-terminating proxy on 127.0.0.1 in front of nginx: the chat must see https,
    # or it would redirect to https forever.
    seen = _headers_seen(tmp_path, echo, trusted_proxy="127.0.0.1/32")
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "203.0.113.9"


def test_anyone_elses_forwarded_headers_are_not_believed(tmp_path, echo):
    seen = _headers_seen(tmp_path, echo, trusted_proxy="192.0.2.1/32")
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-for"] == "127.0.0.1"


def test_the_site_configuration_names_its_upstreams_and_port():
    text = site_config(["127.0.0.1:9001", "127.0.0.1:9002"], 8123, trusted_proxy="10.0.0.0/8")
    assert "server 127.0.0.1:9001" in text and "server 127.0.0.1:9002" in text
    assert "listen 127.0.0.1:8123;" in text
    assert "${" not in text and "10.0.0.0/8 1;" in text
