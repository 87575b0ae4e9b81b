"""Fetching on people's behalf (outbound): every refusal the link previews rely on,
against a real local web site — addresses inside, redirects to them, too many
redirects, other schemes, pages too large, slow, not HTML or compressed."""

import ipaddress

import pytest

from outbound.addresses import connection_allowed
from outbound.fetch import FetchRefused, Outbound
from previews.tests.site import HUGE_BYTES, Site

HTML = frozenset({"text/html"})


@pytest.fixture
def site():
    site = Site().start()
    yield site
    site.stop()


@pytest.fixture
def allowed(settings, site):
    settings.CHAT_OUTBOUND_ALLOW_HOSTS = frozenset({("127.0.0.1", site.port)})
    return site


async def _get(url: str, *, max_bytes: int = 1_000_000, seconds: float = 5.0):
    outbound = Outbound()
    try:
        return await outbound.get(url, types=HTML, max_bytes=max_bytes, seconds=seconds)
    finally:
        await outbound.aclose()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "ff02::1", "::",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1",
    ],
)  # fmt: skip
def test_addresses_inside_are_refused(address):
    assert not connection_allowed("example.com", ipaddress.ip_address(address), 80)


def test_a_public_address_is_allowed():
    assert connection_allowed("example.com", ipaddress.ip_address("93.184.216.34"), 443)
    assert connection_allowed("example.com", ipaddress.ip_address("2606:2800:220:1::1"), 443)


def test_a_listed_host_and_port_is_allowed_despite_its_address(settings):
    settings.CHAT_OUTBOUND_ALLOW_HOSTS = frozenset({("wiki.internal", 8080)})
    inside = ipaddress.ip_address("10.0.0.5")
    assert connection_allowed("wiki.internal", inside, 8080)
    assert connection_allowed("WIKI.internal.", inside, 8080)
    assert not connection_allowed("wiki.internal", inside, 8081)  # another port
    assert not connection_allowed("other.internal", inside, 8080)


async def test_a_page_on_a_listed_port_is_fetched(allowed):
    page = await _get(f"{allowed.base}/page")
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert b"Launch plan" in page.body


async def test_a_loopback_page_not_listed_is_refused_without_a_request(site):
    with pytest.raises(FetchRefused, match="not reachable"):
        await _get(f"{site.base}/page")
    assert site.requests == []


async def test_an_ipv4_mapped_loopback_address_is_refused(allowed):
    with pytest.raises(FetchRefused):
        await _get(f"http://[::ffff:127.0.0.1]:{allowed.port}/page")
    assert allowed.requests == []


async def test_localhost_by_name_is_refused(site):
    with pytest.raises(FetchRefused):
        await _get(f"http://localhost:{site.port}/page")
    assert site.requests == []


async def test_a_redirect_to_an_unlisted_loopback_port_is_refused(allowed):
    other = Site().start()
    try:
        with pytest.raises(FetchRefused, match="not reachable"):
            await _get(f"{allowed.base}/redirect?to={other.base}/page")
        assert other.requests == []
    finally:
        other.stop()


async def test_five_redirects_are_followed_and_six_refused(allowed):
    assert b"Launch plan" in (await _get(f"{allowed.base}/hops?n=4")).body  # 5 redirects
    with pytest.raises(FetchRefused, match="more than 5 redirects"):
        await _get(f"{allowed.base}/hops?n=5")


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x/"])
async def test_other_schemes_are_refused(url):
    with pytest.raises(FetchRefused, match="only http and https"):
        await _get(url)


async def test_a_redirect_to_another_scheme_is_refused(allowed):
    with pytest.raises(FetchRefused, match="only http and https"):
        await _get(f"{allowed.base}/redirect?to=file:///etc/passwd")


async def test_a_huge_page_is_read_no_further_than_the_limit(allowed):
    with pytest.raises(FetchRefused, match="more than 1000000 bytes"):
        await _get(f"{allowed.base}/huge")
    # The reader stopped: far less than the page went out (socket buffers aside).
    assert allowed.huge_sent < HUGE_BYTES // 2


async def test_a_slow_page_is_given_up(allowed):
    with pytest.raises(FetchRefused, match="no answer within 0.5 s"):
        await _get(f"{allowed.base}/slow", seconds=0.5)


async def test_a_page_of_another_type_is_refused(allowed):
    with pytest.raises(FetchRefused, match="text/plain"):
        await _get(f"{allowed.base}/plain")


async def test_a_compressed_page_is_refused_unread(allowed):
    with pytest.raises(FetchRefused, match="compressed"):
        await _get(f"{allowed.base}/gzip")


async def test_an_error_status_is_refused(allowed):
    with pytest.raises(FetchRefused, match="404"):
        await _get(f"{allowed.base}/missing")
