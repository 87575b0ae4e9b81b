"""The chat's HTTP protocol: Daphne's, with request bodies bounded before they are read.

Twisted reads a request's whole body (into memory, or a temporary file past
100 KiB) before Daphne hands it to the application, so a limit checked by the
application is checked too late: two 1 GiB bodies were already on the server.
Here each request's limit is known as soon as its headers are: a body declared
larger (``Content-Length``) is answered ``413`` at once, unread; a chunked body
is counted as it arrives and answered ``413`` on the chunk that passes the
limit. The answer is the API's error shape, ``{"type": "error", "code":
"body_too_large", "detail": ...}``; what the client still sends is dropped
unread until it stops or ``LINGER_SECONDS`` have passed, so it gets to read the
answer instead of a reset.
"""

import json
import re
from dataclasses import dataclass

from daphne.http_protocol import HTTPFactory, WebRequest

# How long a refused client may go on sending (dropped) before the connection is cut.
LINGER_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """The most bytes a body may have, and the refusal of one that has more."""

    max_bytes: int
    code: str = "body_too_large"
    detail: str = ""  # or a lazy translation

    def refusal(self, headers=()) -> bytes:
        """The whole response to a body over the limit, its detail in the language of the
        request's ``headers`` ((name, value) pairs, names in lower case): the language
        cookie's, else Accept-Language's (no session is read this early)."""
        from django.utils import translation

        from people.languages import HandshakeLanguage

        with translation.override(HandshakeLanguage(headers).of()):
            detail = str(self.detail) or translation.gettext(
                "The request's body is over {size} bytes."
            ).format(size=f"{self.max_bytes:,}")
        body = json.dumps({"type": "error", "code": self.code, "detail": detail}).encode()
        return (
            b"HTTP/1.1 413 Content Too Large\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n"
            b"Connection: close\r\n"
            b"\r\n" % len(body)
        ) + body


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """A request's body limit: the first of ``larger`` (a pattern of the path, and its
    limit) that matches the request's path, else ``default``."""

    default: BodyLimit
    larger: tuple[tuple[re.Pattern[bytes], BodyLimit], ...] = ()

    def of(self, path: bytes) -> BodyLimit:
        path = path.split(b"?", 1)[0]
        for pattern, limit in self.larger:
            if pattern.fullmatch(path):
                return limit
        return self.default


class BoundedWebRequest(WebRequest):
    """Daphne's request, refusing a body over its path's limit before reading it."""

    limits: BodyLimits  # set on the class made for a factory (bounded_request_class)
    clock = None  # the reactor, or a test's clock

    refused = False
    received = 0
    body_limit: BodyLimit
    _linger = None

    def __init__(self, *args, **kwargs) -> None:
        # Twisted would parse a form or multipart body into request.args, a second copy
        # of every upload in memory that Daphne never reads.
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)

    def gotLength(self, length: int | None) -> None:
        # Called once the headers are in; the path is the channel's, parsed from the
        # request line (checks.py makes sure Twisted still keeps it there).
        self.body_limit = self.limits.of(self.channel._path)
        if length is not None and length > self.body_limit.max_bytes:
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self.received += len(data)
        if self.received > self.body_limit.max_bytes:
            self._refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version) -> None:
        if self.refused:  # the rest of a refused body arrived: nothing to hand on
            return
        super().requestReceived(command, path, version)

    def _refuse(self) -> None:
        self.refused = True
        self.content = None
        # No "100 Continue" after the answer: the channel sends one when asked to.
        self.requestHeaders.removeHeader(b"Expect")
        transport = self.channel.transport
        headers = [(name.lower(), value) for name, values in self.requestHeaders.getAllRawHeaders()
                   for value in values]  # fmt: skip
        transport.write(self.body_limit.refusal(headers))
        close_writing = getattr(transport, "loseWriteConnection", None)
        if close_writing is None:
            transport.loseConnection()
            return
        close_writing()
        self._linger = self.clock.callLater(LINGER_SECONDS, transport.abortConnection)

    def connectionLost(self, reason) -> None:
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        self._linger = None
        super().connectionLost(reason)


def bounded_request_class(limits: BodyLimits, clock) -> type[BoundedWebRequest]:
    return type("BoundedWebRequest", (BoundedWebRequest,), {"limits": limits, "clock": clock})


class BoundedHTTPFactory(HTTPFactory):
    """Daphne's HTTP factory, whose connections make bounded requests."""

    def __init__(self, server, *, limits: BodyLimits, clock) -> None:
        super().__init__(server)
        self.request_class = bounded_request_class(limits, clock)

    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = self.request_class
        return protocol
