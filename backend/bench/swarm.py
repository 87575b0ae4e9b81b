"""The load generator's clients: picows WebSockets on uvloop, in several processes.

A ``Swarm`` starts ``processes`` children; each holds its share of every room's
clients and answers the parent's commands (connect, settle, send, finish, close)
over a pipe. Rooms are split over the children, so a room's messages are
received by several processes at once, and the senders of different rooms post
from different processes. Every child reports the CPU time it used, so a run
whose generator was the limit can say so.

Every message's text is ``b <sender> <n> <send time in ns>``: receivers tell which
messages they got (lost and duplicated deliveries) and how late. ``perf_counter``
is the system's monotonic clock, the same in every process. One message in
``FORMATTED_EVERY`` goes on with Markdown and an @mention of its sender (what
a chat's posts carry now and then); the others are plain words.

Clients may come as a page does: its visitor made a guest (the page, then the POST to
``/accounts/guest/`` that gives the session cookie) before connecting; or with a
cookie they are handed (people signed in beforehand).

A client may reconnect when its socket closes (the storm): it waits as a page
does (full jitter, doubling from 0.5 s), then asks for what came after the last
``seq`` it saw. A sender keeps what it posted until its own copy comes back,
and posts it again, with the same nonce, after reconnecting.
"""

import asyncio
import json
import multiprocessing
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
import uvloop
from picows import WSListener, WSMsgType, WSTransport, ws_connect

from server.limits import raise_open_file_limit

HANDSHAKES_IN_FLIGHT = 25  # per process
FORMATTED_EVERY = 10
# The untimed preparation's requests (a page, then /accounts/guest/), per process: at
# 25, the chat on PostgreSQL opened more database connections than PostgreSQL's default
# 100 and answered 500.
REQUESTS_IN_FLIGHT = 10
CONNECT_ATTEMPTS = 4  # a refused or dropped handshake is tried again, as a page would
HANDSHAKE_TIMEOUT = 30.0  # seconds to the 101 answer, and again to ``ready``
BACKOFF_BASE = 0.5
BACKOFF_MAX = 15.0
PRESENCE_TYPES = frozenset({"presence", "join", "leave", "presence_changes"})
# The room page's CSRF token, as ``json_script`` embeds it (main.js: ``embedded``).
CSRF_TOKEN = re.compile(r'<script id="csrf-token"[^>]*>(.*?)</script>', re.S)


def room_url(base_url: str, room: str, after: int | None = None) -> str:
    url = base_url.replace("http://", "ws://", 1) + f"/ws/chat/{quote(room)}/"
    return url if after is None else f"{url}?after={after}"


class Client(WSListener):
    """One socket's frames: what it saw, how late, and whether it should come back."""

    def __init__(self, swarm: "Child", room: str) -> None:
        self.swarm, self.room = swarm, room
        self.transport: WSTransport | None = None
        self.seen: set[tuple[str, str]] = set()
        self.duplicated = 0
        self.max_seq = 0
        self.last = 0.0  # when the last test message came
        self.heard = 0.0  # when any frame came
        self.presence_frames = 0
        self.ready: asyncio.Future | None = None
        self.closed = False
        self.coming_back = False
        self.cookie: str | None = None
        self.guest_name: str | None = None  # the name /accounts/guest/ gave it
        self.identity: dict | None = None  # the chat's first ``identity`` frame
        self.unacked: dict[str, str] = {}  # nonce -> text, a sender's posts not yet seen back
        self.caught_up = 0.0  # when it last got a message sent before the storm's cutoff
        self.retry_after = 0.0  # seconds a busy server asked it to wait (try_again_later)
        self.back = 0.0  # when it last came back (``ready`` after a reconnect)

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.TEXT:
            self._text(frame.get_payload_as_bytes())
        elif kind == WSMsgType.PING:
            transport.send_pong(frame.get_payload_as_bytes())
        elif kind == WSMsgType.CLOSE:
            self.close_code = frame.get_close_code()
            transport.send_close()
            transport.disconnect()

    def _text(self, payload: bytes) -> None:
        now = time.perf_counter()
        self.heard = now
        data = json.loads(payload)
        message = data.get("message")
        kind = data.get("type")
        if isinstance(message, str) and message.startswith("b "):
            if (seq := data.get("seq")) is not None and seq > self.max_seq:
                self.max_seq = seq
            self.unacked.pop(data.get("nonce"), None)
            _, sender, n, sent = message.split(" ", 4)[:4]
            key = (sender, n)
            if key in self.seen:
                self.duplicated += 1
                return
            self.seen.add(key)
            sent = int(sent) / 1e9
            self.swarm.latencies.append(now - sent)
            self.last = now
            if sent < self.swarm.cutoff:
                self.caught_up = now
            else:
                self.swarm.late_after = max(self.swarm.late_after, now - sent)
        elif kind == "identity":
            if self.identity is None:
                self.identity = data
        elif kind == "ready":
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(None)
        elif kind == "error" and data.get("code") == "try_again_later":
            self.retry_after = float(data.get("retry_after") or 0)
        elif kind in PRESENCE_TYPES:
            self.presence_frames += 1

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.transport = None
        if self.ready is not None and not self.ready.done():
            code = getattr(self, "close_code", None)
            self.ready.set_exception(ConnectionError(f"closed before ready (code {code})"))
        if self.swarm.reconnect and not self.closed and not self.coming_back:
            task = asyncio.get_running_loop().create_task(self.swarm.come_back(self))
            self.swarm.returning.add(task)  # a task nothing refers to may be collected
            task.add_done_callback(self.swarm.returning.discard)

    @property
    def who(self) -> str:
        """As whom the chat took it: ``user`` (signed in), ``guest`` (the guest its
        session made), ``visitor`` (a guest for this connection alone), or ``none``."""
        if self.identity is None:
            return "none"
        if not self.identity.get("guest"):
            return "user"
        return "guest" if self.identity.get("user") == self.guest_name else "visitor"

    def send(self, text: str, nonce: str) -> None:
        if self.swarm.reconnect:
            self.unacked[nonce] = text
        if self.transport is not None:
            payload = json.dumps({"message": text, "nonce": nonce}).encode()
            self.transport.send(WSMsgType.TEXT, payload)


def _text(client: Client, sender: int, n: int) -> str:
    text = f"b {sender} {n} {time.perf_counter_ns()}"
    if n % FORMATTED_EVERY == FORMATTED_EVERY - 1:
        name = (client.identity or {}).get("user") or "someone"
        text += f" **all** of `this` matters, @{name}"
    return text


async def _guests(base_url: str, clients: list[Client]) -> None:
    """Each client becomes a guest as the room page makes its visitor one: it loads its
    room's page, then POSTs ``/accounts/guest/`` with the page's CSRF token and cookie,
    and keeps the cookies it was given (the session's among them), so it stays one
    person across reconnects and its nonces are recognised."""
    limit = asyncio.Semaphore(REQUESTS_IN_FLIGHT)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def one(client: Client) -> None:
            async with limit:
                async with http.get(f"{base_url}/chat/{quote(client.room)}/") as page:
                    page.raise_for_status()
                    cookies = {name: morsel.value for name, morsel in page.cookies.items()}
                    found = CSRF_TOKEN.search(await page.text())
                token = json.loads(found.group(1)) if found else cookies.get("csrftoken", "")
                headers = {
                    "Origin": base_url,
                    "X-CSRFToken": token,
                    "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
                }
                async with http.post(f"{base_url}/accounts/guest/", headers=headers) as made:
                    made.raise_for_status()
                    cookies |= {name: morsel.value for name, morsel in made.cookies.items()}
                    answer = await made.json()
            if not answer.get("guest"):
                raise RuntimeError(f"/accounts/guest/ made no guest: {answer}")
            client.guest_name = answer.get("user")
            client.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())

        await asyncio.gather(*(one(client) for client in clients))


@dataclass
class Child:
    """A child's clients and its side of the commands."""

    base_url: str = ""
    ready: bool = True
    reconnect: bool = False
    cutoff: float = float("inf")
    late_after: float = 0.0  # the latest delivery of a message sent after the cutoff
    clients: list[Client] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    connect_errors: int = 0
    sending: asyncio.Task | None = None
    prepared: list[Client] = field(default_factory=list)
    returning: set[asyncio.Task] = field(default_factory=set)
    failures: Counter = field(default_factory=Counter)  # a come-back's failed tries, by why

    async def open(self, client: Client, after: int | None = None) -> None:
        headers = {"Origin": self.base_url}
        if client.cookie:
            headers["Cookie"] = client.cookie
        client.ready = asyncio.get_running_loop().create_future() if self.ready else None
        url = room_url(self.base_url, client.room, after)
        transport, _ = await ws_connect(lambda: client, url, extra_headers=headers,
                                        websocket_handshake_timeout=HANDSHAKE_TIMEOUT)  # fmt: skip
        # A server going away while it handshakes can leave a transport already gone.
        if transport.is_disconnected:
            if client.ready is not None and client.ready.done():
                client.ready.exception()  # retrieved: the error raised here says it
            code = getattr(client, "close_code", None)
            raise ConnectionError(f"closed during the handshake (code {code})")
        if client.ready is not None:
            try:
                await asyncio.wait_for(client.ready, HANDSHAKE_TIMEOUT)
            except BaseException:
                transport.disconnect()
                raise

    async def come_back(self, client: Client) -> None:
        """Reconnect as a page does, then post again what wasn't seen back."""
        client.coming_back = True
        attempt = 0
        try:
            while not client.closed:
                if client.retry_after:  # as the page does: what it was told, a quarter more
                    wait, client.retry_after = client.retry_after * (1 + random.random() / 4), 0.0
                else:
                    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2**attempt)
                    wait = ceiling / 2 + random.random() * ceiling / 2
                await asyncio.sleep(wait)
                try:
                    await self.open(client, after=client.max_seq)
                except Exception as error:
                    self.failures[_why(error)] += 1
                    attempt += 1
                    continue
                client.back = time.perf_counter()
                for nonce, text in list(client.unacked.items()):
                    client.send(text, nonce)
                return
        finally:
            client.coming_back = False

    # --- commands ---------------------------------------------------------------------

    async def prepare(
        self, base_url: str, counts: dict[str, int], cookies: dict[str, list[str]] | None = None
    ) -> dict:
        """Make the next ``connect``'s clients, ``counts[room]`` in each room: with
        ``cookies``, each connects with its own (``cookies[room]``, one a client); else
        each becomes a guest as a browser's page does (``_guests``) and connects with
        that session (a returning guest)."""
        self.prepared = [Client(self, room) for room, count in counts.items() for _ in range(count)]
        if cookies is None:
            await _guests(base_url, self.prepared)
        else:
            handed = [cookie for room in counts for cookie in cookies[room]]
            for client, cookie in zip(self.prepared, handed, strict=True):
                client.cookie = cookie
        return {}

    async def connect(
        self,
        base_url: str,
        counts: dict[str, int],
        ready: bool,
        reconnect: bool = False,
        after: int | None = None,
    ) -> dict:
        """Open ``counts[room]`` clients in each room (those ``prepare`` made, if any),
        asking for the messages after ``after`` (None: the history); also says as whom
        the chat took them (``Client.who``), counted."""
        self.base_url, self.ready, self.reconnect = base_url, ready, reconnect
        self.connect_errors = 0
        limit = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
        new, self.prepared = self.prepared, []
        if not new:
            new = [Client(self, room) for room, count in counts.items() for _ in range(count)]

        async def one(client: Client) -> None:
            for attempt in range(CONNECT_ATTEMPTS):
                async with limit:
                    try:
                        await self.open(client, after=after)
                        return
                    except Exception:
                        self.connect_errors += 1
                        if attempt == CONNECT_ATTEMPTS - 1:
                            raise
                await asyncio.sleep(BACKOFF_BASE * 2**attempt * (0.5 + random.random() / 2))

        started = time.perf_counter()
        await asyncio.gather(*(one(client) for client in new))
        seconds = time.perf_counter() - started
        self.clients.extend(new)
        who: dict[str, int] = {}
        for client in new:
            who[client.who] = who.get(client.who, 0) + 1
        return {"seconds": seconds, "errors": self.connect_errors, "who": who}

    async def settle(self, quiet: float, limit: float) -> dict:
        """Until no client heard anything for ``quiet`` seconds (or ``limit``)."""
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            await asyncio.sleep(0.1)
            heard = max((c.heard for c in self.clients), default=0.0)
            if time.perf_counter() - max(heard, started) >= quiet:
                break
        return {}

    async def send(
        self,
        senders: list[tuple[str, int, int]],
        messages: int | None,
        rate,
        background: bool = False,
    ) -> dict:
        """Each ``(room, sender id, slot)``: this child's ``slot``-th client of the room
        posts ``messages`` (None: until ``wait_sending``), ``rate`` a second or as fast
        as it can. In the ``background``, the command returns at once."""  # fmt: skip
        self.sent: dict[str, int] = {}
        self.stop_sending = False

        async def loop(room: str, sender: int, slot: int) -> None:
            client = [c for c in self.clients if c.room == room][slot]
            n = 0
            while (n < messages) if messages is not None else not self.stop_sending:
                client.send(_text(client, sender, n), f"{sender}-{n}")
                n += 1
                self.sent[room] = self.sent.get(room, 0) + 1
                await asyncio.sleep(1 / rate if rate else 0)

        sending = asyncio.gather(*(loop(*spec) for spec in senders))
        if background:
            self.sending = asyncio.ensure_future(sending)
        else:
            await sending
        return {}

    async def wait_sending(self) -> dict:
        """Stop posting (if it goes on until told) and say how many went to each room."""
        self.stop_sending = True
        if self.sending is not None:
            await self.sending
        return {"sent": self.sent}

    def set_cutoff(self, cutoff: float) -> dict:
        self.cutoff = cutoff
        return {}

    async def finish(self, expected: dict[str, int], quiet: float, limit: float) -> dict:
        """Until every client has ``expected[room]`` messages, or nothing new came for
        ``quiet`` seconds; then what each saw."""
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            await asyncio.sleep(0.05)
            if all(len(c.seen) >= expected.get(c.room, 0) for c in self.clients):
                break
            newest = max((c.last for c in self.clients), default=0.0)
            if time.perf_counter() - max(newest, started) > quiet:
                break
        return {
            "delivered": sum(len(c.seen) for c in self.clients),
            "expected": sum(expected.get(c.room, 0) for c in self.clients),
            "duplicated": sum(c.duplicated for c in self.clients),
            "last": max((c.last for c in self.clients), default=0.0),
            "caught_up": max((c.caught_up for c in self.clients), default=0.0),
            "late_after": self.late_after,
            "back": [c.back for c in self.clients if c.back],
            "failures": dict(self.failures),
            "presence_frames": sum(c.presence_frames for c in self.clients),
            "latencies": self.latencies,
        }

    async def close(self) -> dict:
        self.cutoff, self.late_after = float("inf"), 0.0
        for client in self.clients:
            client.closed = True
            if client.transport is not None:
                client.transport.send_close()
                client.transport.disconnect()
        self.clients, self.latencies = [], []
        self.failures = Counter()
        return {}


def _why(error: Exception) -> str:
    """A failed connection attempt's reason, in a word or two: its close code, or
    its kind of error."""
    text = str(error)
    if "(code " in text:
        return f"closed {text.rsplit('(code ', 1)[1].rstrip(')')}"
    return type(error).__name__


def _child_main(pipe) -> None:
    raise_open_file_limit()

    async def serve() -> None:
        child = Child()
        while True:
            command, kwargs = await asyncio.to_thread(pipe.recv)
            if command == "exit":
                return
            try:
                result = getattr(child, command)(**kwargs)
                if asyncio.iscoroutine(result):
                    result = await result
            except Exception as error:  # told to the parent, which raises it
                result = {"error": f"{type(error).__name__}: {error}"}
            result["cpu"] = time.process_time()
            pipe.send(result)

    uvloop.run(serve())


class Swarm:
    """The parent's handle on the children; each call runs a command on all of them and
    returns their answers."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or os.cpu_count() or 1
        context = multiprocessing.get_context("spawn")
        self.pipes, self.children = [], []
        for _ in range(self.processes):
            mine, theirs = context.Pipe()
            child = context.Process(target=_child_main, args=(theirs,), daemon=True)
            child.start()
            self.pipes.append(mine)
            self.children.append(child)
        self.cpu = [0.0] * self.processes
        self.connect_errors = 0  # of the last connect, over all children
        self.connected_as: dict[str, int] = {}  # and as whom the server took its clients
        self.layout: dict[str, list[int]] = {}  # room -> its clients in each child

    def _all(self, command: str, per_child: list[dict]) -> list[dict]:
        for pipe, kwargs in zip(self.pipes, per_child, strict=True):
            pipe.send((command, kwargs))
        answers = [pipe.recv() for pipe in self.pipes]
        for answer in answers:
            if "error" in answer:
                raise RuntimeError(f"load generator: {command}: {answer['error']}")
        return answers

    def run(self, command: str, **kwargs) -> list[dict]:
        return self._all(command, [kwargs] * self.processes)

    def run_each(self, command: str, per_child: list[dict]) -> list[dict]:
        return self._all(command, per_child)

    def cpu_seconds(self) -> float:
        """CPU time the children used since the last call."""
        answers = self.run("settle", quiet=0, limit=0)
        total = sum(a["cpu"] for a in answers) - sum(self.cpu)
        self.cpu = [a["cpu"] for a in answers]
        return total

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(("exit", {}))
        for child in self.children:
            child.join(5)
            if child.is_alive():
                child.kill()
