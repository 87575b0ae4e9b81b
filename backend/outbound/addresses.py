"""Which network addresses the server may connect to on people's behalf.

Not this machine or the networks around it: loopback, private, link-local,
multicast, reserved and unspecified addresses are refused (an IPv4 address inside an
IPv6 one is judged as IPv4), unless the host and port as written in the URL are
listed in ``CHAT_OUTBOUND_ALLOW_HOSTS`` (an intranet's wiki, a test's local server).
"""

import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_is_local(address: IPAddress) -> bool:
    """Whether ``address`` is loopback, private, link-local, multicast, reserved,
    unspecified or otherwise not global (shared address space, documentation ranges…;
    an IPv4 address inside an IPv6 one is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        address = address.ipv4_mapped or address.sixtofour or address
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def host_allowed(host: str, port: int) -> bool:
    """Whether ``host:port`` (as written in a URL) is listed as reachable despite its
    address."""
    return (host.rstrip(".").lower(), port) in settings.CHAT_OUTBOUND_ALLOW_HOSTS


def connection_allowed(host: str, address: IPAddress, port: int) -> bool:
    """Whether a connection to ``address:port``, which ``host`` resolved to, may be made."""
    return host_allowed(host, port) or not address_is_local(address)
