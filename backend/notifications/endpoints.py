"""Where pushes may be sent: not to this machine or the networks around it.

A subscription's endpoint comes from the browser, so anyone signed in chooses a
URL the server will POST to. Endpoints whose host is ``localhost`` or a local or
private IP address are refused when subscribing (``host_refusal``); before each
push the host is resolved and the push skipped if any of its addresses is one
(``resolved_refusal``), which catches names that point inside.

``CHAT_PUSH_ALLOW_HTTP_ENDPOINTS`` turns both checks off (and allows http://),
for tests and development against a push service on this machine.
"""

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_is_local(address: IPAddress) -> bool:
    """Whether ``address`` is loopback, private, link-local, multicast, reserved
    or unspecified (an IPv4 address inside an IPv6 one is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        address = address.ipv4_mapped or address.sixtofour or address
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def host_refusal(host: str) -> str | None:
    """Why pushes may not go to ``host`` as written (a name or an IP address,
    without brackets), or None. Names are not resolved here."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"The endpoint's host {host} is this machine; push services are on the internet."
    address = _address(name)
    if address is not None and address_is_local(address):
        return (
            f"The endpoint's address {host} is local or private; push services are on the internet."
        )
    return None


def resolved_refusal(host: str, port: int) -> str | None:
    """Why pushes may not go to ``host``: it is refused as written or resolves to
    a local or private address; else None. Blocks on DNS; raises ``OSError``
    when the name doesn't resolve."""
    refusal = host_refusal(host)
    if refusal:
        return refusal
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = _address(sockaddr[0])
        if address is None or address_is_local(address):
            return f"{host} resolves to {sockaddr[0]}, a local or private address: not sent."
    return None


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
