"""Several workers behind one port, graceful restarts, and slow readers."""

import asyncio
import signal
import socket

import pytest
import websockets

from devtools.chat_client import ChatClient
from e2e.ws_client import run

CLIENTS = 12
SENDERS = 4
MESSAGES_EACH = 10


async def _clients_on_both_workers(base_url: str, room: str) -> list[ChatClient]:
    clients = [await ChatClient.connect(base_url, room) for _ in range(CLIENTS)]
    # The kernel picks the worker, and one idle worker can take connection after
    # connection made one by one: open more, several at once, until both serve some.
    for _ in range(20):
        if len({client.worker for client in clients}) >= 2:
            return clients
        clients += await asyncio.gather(*(ChatClient.connect(base_url, room) for _ in range(4)))
    raise AssertionError("every connection landed on the same worker")


def test_clients_on_different_workers_chat_with_no_loss(start_server):
    server = start_server(workers=2, CHAT_RATE_LIMIT="0")

    async def scenario() -> None:
        clients = await _clients_on_both_workers(server.base_url, "two-workers")
        senders = clients[:SENDERS]
        for n in range(MESSAGES_EACH):
            for index, sender in enumerate(senders):
                await sender.send({"message": f"{index}:{n}", "nonce": f"{index}-{n}"})
        total = SENDERS * MESSAGES_EACH
        for client in clients:
            await client.until(lambda f: f["type"] == "message" and f["seq"] == total, timeout=20)
        for client in clients:
            seqs = sorted(frame["seq"] for frame in client.messages())
            assert seqs == list(range(1, total + 1)), f"{client.worker} lost or doubled"
        for client in clients:
            await client.close()

    run(scenario())


class PresenceList:
    """Who a connection's presence frames say is in the room, applied as a page does."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.version = -1
        self.read = 0  # frames of the client applied so far

    def apply(self, frame: dict) -> bool:
        """Apply a presence frame (others are ignored); always true, for ``until``."""
        if frame["type"] == "presence_changes":
            for change in frame["changes"]:
                self.apply(change)
        elif frame["type"] == "presence" and frame["v"] >= self.version:
            self.version, self.ids = frame["v"], {user["id"] for user in frame["users"]}
        elif frame["type"] in ("join", "leave") and frame["v"] > self.version:
            self.version = frame["v"]
            if frame["type"] == "join":
                self.ids.add(frame["user"]["id"])
            else:
                self.ids.discard(frame["user"]["id"])
        return True

    async def until(self, client: ChatClient, condition, timeout: float = 10) -> None:
        """Apply the client's frames (those read so far, then new ones) until
        ``condition()`` holds."""
        for frame in client.frames[self.read :]:
            self.apply(frame)
        self.read = len(client.frames)
        if not condition():
            await client.until(lambda frame: self.apply(frame) and condition(), timeout)
            self.read = len(client.frames)


def test_presence_is_right_across_workers(start_server):
    server = start_server(workers=2)

    async def scenario() -> None:
        clients = await _clients_on_both_workers(server.base_url, "two-workers-presence")
        watcher = clients[-1]
        others = [c for c in clients if c.worker != watcher.worker]
        listed = PresenceList()
        # Every guest once, from both workers, within a second or two (joins of a room
        # reach Redis together, at most every 0.2 s per worker).
        await listed.until(watcher, lambda: len(listed.ids) == len(clients))
        version = listed.version
        gone = next(f["id"] for f in others[0].frames if f["type"] == "identity")
        await others[0].close()
        await listed.until(watcher, lambda: gone not in listed.ids)
        assert listed.version > version
        assert len(listed.ids) == len(clients) - 1
        for client in clients:
            await client.close()

    run(scenario())


def test_sigterm_closes_websockets_with_1012_and_pages_resume(start_server):
    server = start_server(workers=2, CHAT_RATE_LIMIT="0")

    async def before() -> tuple[ChatClient, int]:
        client = await ChatClient.connect(server.base_url, "graceful")
        await client.send({"message": "before", "nonce": "b"})
        ack = await client.until(lambda f: f["type"] == "message")
        return client, ack["seq"]

    async def closed_with(client: ChatClient) -> int:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.until(lambda f: False, timeout=15)
        return closed.value.rcvd.code

    async def scenario() -> None:
        client, last_seq = await before()
        server.process.send_signal(signal.SIGTERM)
        assert await closed_with(client) == 1012
        await asyncio.to_thread(server.process.wait, 20)
        await asyncio.to_thread(server.start)
        writer = await ChatClient.connect(server.base_url, "graceful")
        await writer.send({"message": "after the restart", "nonce": "a"})
        back = await ChatClient.connect(server.base_url, "graceful", after=last_seq)
        if not back.messages():
            await back.until(lambda f: f["type"] == "message")
        assert [f["message"] for f in back.messages()] == ["after the restart"]
        await writer.close()
        await back.close()

    run(scenario())


def test_a_slow_reader_is_cut_off_and_then_resumes_with_everything(start_server):
    bound = 256 * 1024
    server = start_server(CHAT_RATE_LIMIT="0", CHAT_SEND_BUFFER_MAX_BYTES=str(bound))
    big = "x" * 3900
    count = 250  # about 1 MB over 5 s: past the bound for longer than its grace

    async def scenario() -> None:
        # A small receive buffer and max_queue=1: once one frame is waiting, the
        # client stops reading, and the server's unsent frames pile up.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((server.host, server.port))
        slow = await ChatClient.connect(server.base_url, "slow", max_queue=1, sock=sock)
        writer = await ChatClient.connect(server.base_url, "slow", max_queue=None)  # reads all
        for n in range(count):  # over about 3 s: longer than the bound's grace period
            await writer.send({"message": f"{n} {big}", "nonce": str(n)})
            await asyncio.sleep(0.012)
        await writer.until(lambda f: f["type"] == "message" and f["seq"] == count, timeout=60)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await slow.next(timeout=30)
        assert closed.value.rcvd.code == 4408
        got = {frame["seq"] for frame in slow.messages()}
        assert len(got) < count  # it really was cut off before the end
        resumed = await ChatClient.connect(server.base_url, "slow", after=max(got, default=0))
        while len(got) + len(resumed.messages()) < count:
            await resumed.until(lambda f: f["type"] in ("message", "ready"))
        seqs = sorted(got | {frame["seq"] for frame in resumed.messages()})
        assert seqs == list(range(1, count + 1))
        await writer.close()
        await resumed.close()

    run(scenario())
