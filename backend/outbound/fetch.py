"""Fetching a URL on people's behalf, safely.

httpx-secure makes every connection: it resolves the host once, asks
``outbound.addresses.connection_allowed`` about the address it found, and connects
to that very address (a name that resolves elsewhere a moment later changes
nothing). Redirects are followed here, one at a time, at most ``MAX_REDIRECTS``,
each to an http(s) URL whose connection is checked the same way. A response is read
up to ``max_bytes`` without decompressing (``Accept-Encoding: identity``; a
compressed answer is refused), and the whole fetch, redirects included, must end
within ``seconds``. ``post`` sends an outgoing webhook's event or a slash command
the same way, following no redirect.
"""

import asyncio
import contextlib
from dataclasses import dataclass

import httpx
from httpx_secure import SSRFProtectionError, httpx_ssrf_protection

from outbound.addresses import connection_allowed

MAX_REDIRECTS = 5
USER_AGENT = "ChatLinkPreview/1.0 (+link previews for a self-hosted chat)"


class FetchRefused(Exception):
    """Why nothing was fetched: a refused address or scheme, too many redirects, an
    answer too large, slow, of another type, or an error."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where it was found, after redirects
    content_type: str  # lower case, without parameters
    charset: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Answered:
    status: int
    content_type: str  # lower case, without parameters
    body: bytes  # at most the bytes asked for


class Outbound:
    """A process's client for fetching on people's behalf (process().previews has
    it), made on first use on the process's event loop."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            client = httpx.AsyncClient(
                trust_env=False,  # no proxy from the environment: addresses are checked here
                follow_redirects=False,
                timeout=httpx.Timeout(5.0),
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            )
            self._client = httpx_ssrf_protection(
                client,
                check_globally_reachable=False,  # connection_allowed decides, the list included
                custom_validator=connection_allowed,
            )
        return self._client

    async def get(
        self, url: str, *, types: frozenset[str], max_bytes: int, seconds: float
    ) -> Fetched:
        """The body of ``url`` (following redirects) if it is one of ``types`` and at most
        ``max_bytes``; raises FetchRefused otherwise."""
        with _refusals(seconds, "the fetch failed"):
            async with asyncio.timeout(seconds):
                return await self._follow(url, types, max_bytes)

    async def _follow(self, url: str, types: frozenset[str], max_bytes: int) -> Fetched:
        client = self._get_client()
        for _ in range(MAX_REDIRECTS + 1):
            target = httpx.URL(url)
            if target.scheme not in ("http", "https") or not target.host:
                raise FetchRefused(f"only http and https links are fetched, not {url[:80]!r}")
            async with client.stream("GET", target) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    url = str(target.join(location))
                    continue
                return await _read(response, types, max_bytes)
        raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")

    async def post(
        self, url: str, *, body: bytes, headers: dict[str, str], seconds: float, max_bytes: int
    ) -> Answered:
        """POST ``body`` to ``url`` (no redirect followed: a 3xx is an answer like any
        other) and read at most ``max_bytes`` of the answer; raises FetchRefused when
        nothing was answered (a refused address, a timeout, a connection error)."""
        target = httpx.URL(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise FetchRefused(f"only http and https URLs are posted to, not {url[:80]!r}")
        with _refusals(seconds, "the request failed"):
            async with asyncio.timeout(seconds):
                request = self._get_client().stream("POST", target, content=body, headers=headers)
                async with request as response:
                    answer = bytearray()
                    async for chunk in response.aiter_raw():
                        answer += chunk[: max_bytes - len(answer)]
                        if len(answer) >= max_bytes:
                            break
                    content_type = response.headers.get("content-type", "").partition(";")[0]
                    return Answered(response.status_code, content_type.strip().lower(),
                                    bytes(answer))  # fmt: skip

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


@contextlib.contextmanager
def _refusals(seconds: float, failed: str):
    """What went wrong on the way out, as FetchRefused saying so."""
    try:
        yield
    except TimeoutError:
        raise FetchRefused(f"no answer within {seconds:g} s") from None
    except SSRFProtectionError as error:
        raise FetchRefused(f"{error.hostname} is not reachable from here") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as error:
        raise FetchRefused(f"{failed}: {type(error).__name__}") from None


async def _read(response: httpx.Response, types: frozenset[str], max_bytes: int) -> Fetched:
    if response.status_code != 200:
        raise FetchRefused(f"answered {response.status_code}")
    content_type, _, parameters = response.headers.get("content-type", "").partition(";")
    content_type = content_type.strip().lower()
    if content_type not in types:
        raise FetchRefused(f"{content_type or 'no type'} is not one of {', '.join(sorted(types))}")
    if response.headers.get("content-encoding", "identity").lower() not in ("identity", ""):
        raise FetchRefused("a compressed answer (identity was asked for)")
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise FetchRefused(f"{length} bytes, more than {max_bytes}")
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > max_bytes:
            raise FetchRefused(f"more than {max_bytes} bytes")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return Fetched(str(response.url), content_type, charset, bytes(body))
