"""Where pushes may be sent: not to this machine or the networks around it.

A subscription's endpoint comes from the browser, so anyone signed in chooses a
URL the server will POST to. Endpoints whose host is ``localhost`` or a local or
private IP address are refused when subscribing (``host_refusal``); before each
push the host is resolved and the push skipped if any of its addresses is one
(``resolved_refusal``), which catches names that point inside. A name can point
elsewhere a moment later (DNS rebinding), so the address each connection is
actually made to is checked as well, before anything is sent on it
(``checked_session``); and a push service's redirect is never followed.

``CHAT_PUSH_ALLOW_HTTP_ENDPOINTS`` turns both checks off (and allows http://),
for tests and development against a push service on this machine.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from outbound.addresses import IPAddress, address_is_local


def host_refusal(host: str) -> str | None:
    """Why pushes may not go to ``host`` as written (a name or an IP address,
    without brackets), or None. Names are not resolved here."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return format_lazy(
            _("The endpoint's host {host} is this machine; push services are on the internet."),
            host=host,
        )
    address = _address(name)
    if address is not None and address_is_local(address):
        return format_lazy(
            _(
                "The endpoint's address {host} is local or private; push services are on the "
                "internet."
            ),
            host=host,
        )
    return None


def resolved_refusal(host: str, port: int) -> str | None:
    """Why pushes may not go to ``host``: it is refused as written or resolves to
    a local or private address; else None. Blocks on DNS; raises ``OSError``
    when the name doesn't resolve."""
    refusal = host_refusal(host)
    if refusal:
        return refusal
    for *_found, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = _address(sockaddr[0])
        if address is None or address_is_local(address):
            return format_lazy(
                _("{host} resolves to {address}, a local or private address: not sent."),
                host=host, address=sockaddr[0],
            )  # fmt: skip
    return None


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class EndpointRefused(Exception):
    """The endpoint's host is, or resolves to, a local or private address; or its push
    service answered with a redirect."""


class _PeerChecked:
    """A connection that, once connected, refuses to go on if the address it reached is
    local or private, whatever the name resolved to when it was checked."""

    def connect(self) -> None:
        super().connect()
        peer = self.sock.getpeername()[0]
        address = _address(peer)
        if address is None or address_is_local(address):
            self.close()
            raise EndpointRefused(
                f"{self.host} led to {peer}, a local or private address, when connecting: not sent."
            )


class _CheckedHTTPConnection(_PeerChecked, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerChecked, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def _redirect_refused(response: requests.Response, **kwargs) -> None:
    if response.is_redirect:
        target = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
        raise EndpointRefused(
            f"the push service answered {response.status_code}, a redirect to {target}: "
            "not followed."
        )


def checked_session(*, check_addresses: bool = True) -> requests.Session:
    """A session for requests to push services: redirects are refused, and (unless
    ``check_addresses`` is off, for a push service on this machine) so is a connection
    that reaches a local or private address."""
    session = requests.Session()
    session.hooks["response"].append(_redirect_refused)
    if check_addresses:
        adapter = _CheckedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
