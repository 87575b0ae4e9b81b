"""Which endpoint hosts pushes may go to: not this machine or a private network."""

import ipaddress
import socket

import pytest

from notifications.endpoints import address_is_local, host_refusal, resolved_refusal


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_local_and_private_addresses(address):
    assert address_is_local(ipaddress.ip_address(address))
    assert host_refusal(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_internet_addresses(address):
    assert not address_is_local(ipaddress.ip_address(address))
    assert host_refusal(address) is None


@pytest.mark.parametrize("name", ["localhost", "LocalHost.", "a.b.localhost"])
def test_localhost_names_are_refused_unresolved(name):
    assert "this machine" in host_refusal(name)


def addresses(*found: str):
    """A ``getaddrinfo`` that finds these addresses for any name."""

    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in found
        ]

    return getaddrinfo


def test_a_name_with_any_local_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", addresses("8.8.8.8", "10.0.0.7"))
    assert "resolves to 10.0.0.7" in resolved_refusal("push.example.com", 443)


def test_a_name_with_internet_addresses_only_is_taken(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", addresses("8.8.8.8", "2001:4860:4860::8888"))
    assert resolved_refusal("push.example.com", 443) is None


def test_a_name_that_does_not_resolve_raises(monkeypatch):
    def getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OSError):
        resolved_refusal("push.invalid", 443)
