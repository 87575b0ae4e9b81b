"""The load generator: asyncio WebSocket clients that post and time messages.

Every message's text is ``b|<sender>|<n>|<send time>``, so each receiver can tell
which messages it got (lost and duplicated deliveries) and how late. It speaks
the tutorial's frames (``{"message": ...}`` in and out), which the chat and both
references understand; the chat's other frames are ignored.
"""

import asyncio
import json
import statistics
import time
from dataclasses import asdict, dataclass, field

import websockets

from devtools.chat_client import ChatClient

QUIET_SECONDS = 5.0  # a run ends when every client has everything, or nothing came for this long
SETTLE_SECONDS = 0.5  # timing starts once the clients have heard nothing for this long
SETTLE_LIMIT_SECONDS = 10.0


@dataclass
class Result:
    server: str
    scenario: str
    clients: int
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    seconds: float = 0.0
    per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    connects_per_second: float = 0.0
    memory_per_connection_kib: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Receiver:
    connection: object
    seen: set = field(default_factory=set)
    duplicated: int = 0
    latencies: list = field(default_factory=list)
    last: float = 0.0  # when the last test message came
    heard: float = 0.0  # when any frame came

    async def run(self) -> None:
        try:
            async for text in self.connection:
                self.heard = time.perf_counter()
                message = json.loads(text).get("message")
                if not isinstance(message, str) or not message.startswith("b|"):
                    continue
                now = time.perf_counter()
                _, sender, n, sent = message.split("|")
                key = (sender, n)
                if key in self.seen:
                    self.duplicated += 1
                    continue
                self.seen.add(key)
                self.latencies.append(now - float(sent))
                self.last = now
        except websockets.ConnectionClosed:
            pass


async def open_clients(base_url: str, room: str, count: int) -> tuple[list, float]:
    """Open ``count`` connections (at most 20 handshakes at a time); returns them and the
    connect rate."""
    started = time.perf_counter()
    limit = asyncio.Semaphore(20)

    async def one():
        async with limit:
            client = await ChatClient.connect(
                base_url, room, ready=False, max_queue=None, open_timeout=60
            )
            return client.connection  # read raw: the receivers only look for test messages

    connections = await asyncio.gather(*(one() for _ in range(count)))
    return connections, count / (time.perf_counter() - started)


async def _send(connection, sender: int, n: int) -> None:
    text = f"b|{sender}|{n}|{time.perf_counter()!r}"
    await connection.send(json.dumps({"message": text, "nonce": f"{sender}-{n}"}))


async def _settled(receivers: list[Receiver]) -> None:
    """Wait until the server has finished greeting the clients (history, who is
    online): no frame for SETTLE_SECONDS, or SETTLE_LIMIT_SECONDS at most."""
    started = time.perf_counter()
    while time.perf_counter() - started < SETTLE_LIMIT_SECONDS:
        await asyncio.sleep(0.1)
        heard = max((r.heard for r in receivers), default=0.0)
        if time.perf_counter() - max(heard, started) >= SETTLE_SECONDS:
            return


async def _finish(receivers: list[Receiver], expected_each: int) -> None:
    while True:
        await asyncio.sleep(0.1)
        if all(len(r.seen) >= expected_each for r in receivers):
            return
        newest = max((r.last for r in receivers), default=0.0)
        if newest and time.perf_counter() - newest > QUIET_SECONDS:
            return


async def broadcast_run(
    server: str,
    scenario: str,
    base_url: str,
    *,
    clients: int,
    senders: int,
    messages: int,
    rate: float | None,
    rooms: int = 1,
) -> Result:
    """``senders`` of the ``clients`` (spread over ``rooms``) each post ``messages``,
    ``rate`` per second each or as fast as possible; everyone in a room should get all."""
    run_id = f"{scenario}-{time.time_ns()}"
    per_room = clients // rooms
    connections, connect_rate = [], 0.0
    for index in range(rooms):
        opened, connect_rate = await open_clients(base_url, f"{run_id}-{index}", per_room)
        connections.extend(opened)
    receivers = [Receiver(connection) for connection in connections]
    tasks = [asyncio.create_task(receiver.run()) for receiver in receivers]
    await _settled(receivers)

    async def sender_loop(sender: int, connection) -> None:
        for n in range(messages):
            await _send(connection, sender, n)
            if rate:
                await asyncio.sleep(1 / rate)

    # Senders are the first clients of each room.
    sending = [connections[room * per_room + s] for room in range(rooms) for s in range(senders)]
    started = time.perf_counter()
    await asyncio.gather(*(sender_loop(i, c) for i, c in enumerate(sending)))
    expected_each = senders * messages
    await _finish(receivers, expected_each)
    finished = max(r.last for r in receivers) if any(r.last for r in receivers) else started
    for connection in connections:
        await connection.close()
    await asyncio.gather(*tasks)

    latencies = sorted(lat for r in receivers for lat in r.latencies)
    delivered = sum(len(r.seen) for r in receivers)
    expected = expected_each * len(receivers)
    seconds = max(finished - started, 1e-9)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(
        server=server,
        scenario=scenario,
        clients=clients,
        expected=expected,
        delivered=delivered,
        lost=expected - delivered,
        duplicated=sum(r.duplicated for r in receivers),
        seconds=round(seconds, 3),
        per_second=round(delivered / seconds, 1),
        p50_ms=round(quantiles[49] * 1000, 2),
        p99_ms=round(quantiles[98] * 1000, 2),
        max_ms=round((latencies[-1] if latencies else 0.0) * 1000, 2),
        connects_per_second=round(connect_rate, 1),
    )


def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


IDLE_PER_ROOM = 50


async def idle_run(server: str, base_url: str, *, connections: int, pids: list[int]) -> Result:
    """Hold ``connections`` idle connections (50 to a room); report the server's memory
    per connection."""
    before = _rss_kib(pids)
    started = time.perf_counter()
    opened = []
    for index in range(0, connections, IDLE_PER_ROOM):
        count = min(IDLE_PER_ROOM, connections - index)
        room = f"idle-{time.time_ns()}-{index}"
        opened.extend((await open_clients(base_url, room, count))[0])
    connect_rate = connections / (time.perf_counter() - started)
    await asyncio.sleep(2)  # let the server settle
    after = _rss_kib(pids)
    for connection in opened:
        await connection.close()
    return Result(
        server=server,
        scenario="idle",
        clients=connections,
        connects_per_second=round(connect_rate, 1),
        memory_per_connection_kib=round((after - before) / connections, 1),
    )
