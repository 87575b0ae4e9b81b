"""The scenarios: clients (bench/swarm.py) against one running server, timed.

Every scenario speaks the tutorial's frames (``{"message": ...}`` in and out),
which the chat and both references understand; the chat's other frames are
ignored, except ``ready`` (a connection counts as open once the chat sent it),
``identity`` (as whom the chat took a client) and the presence frames (counted in
``connect``).
"""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from bench.swarm import Swarm

QUIET_SECONDS = 5.0  # a run ends when every client has everything, or nothing came for this long
SETTLE_SECONDS = 0.5  # timing starts once the clients have heard nothing for this long
SETTLE_LIMIT_SECONDS = 20.0
FINISH_LIMIT_SECONDS = 120.0
# After a restart nothing arrives until clients are back: the storm waits longer.
STORM_QUIET_SECONDS = 60.0
GENERATOR_BOUND = 0.9  # of its cores: past this, the figures say more about the generator
# Who connects in the chat's ``connect`` scenario, each case a row of its own
# (``connect-<case>``): a visitor with no cookie, a returning guest (the session its page
# made), a signed-in person. The references have no pages or accounts: their ``connect``
# is the visitor's.
CONNECT_CASES = ("visitor", "guest", "user")
SIDEBAR_ROOMS = 20  # a signed-in person's rooms (memberships), the scenario's among them
IDLE_CPU = 0.05  # of one core: below this the server is idle again


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
    stored_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    connects_per_second: float = 0.0
    memory_per_connection_kib: float | None = None
    server_cpu_us_per_message: float | None = None  # per delivered message
    server_cpu_us_per_post: float | None = None  # per stored message
    server_cpu_ms_per_connection: float | None = None
    presence_frames_per_client: float | None = None
    catch_up_s: float | None = None  # storm: from /healthz to every client having everything
    post_after_restart_ms: float | None = None  # storm: slowest post sent after /healthz
    back_p95_s: float | None = None  # storm: from /healthz to ``ready`` again, 95th percentile
    failures: dict | None = None  # storm: come-backs' failed tries, by why
    generator_cpu_pct: float = 0.0  # of the generator's cores, while timed
    connect_retries: int = 0  # handshakes refused or dropped (and tried again)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def generator_bound(self) -> bool:
        return self.generator_cpu_pct >= GENERATOR_BOUND * 100


def server_cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes ``pids`` (and their waited-for children)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def _split(count: int, parts: int, first: int = 0) -> list[int]:
    """``count`` clients over ``parts`` children; the odd ones go to the children from
    ``first`` on (so rooms of one client each are spread over all the children)."""
    return [
        count // parts + (1 if (index - first) % parts < count % parts else 0)
        for index in range(parts)
    ]


def _rooms(run_id: str, rooms: int) -> list[str]:
    return [f"{run_id}-{index}" for index in range(rooms)]


def _open(
    swarm: Swarm,
    base_url: str,
    per_room: dict[str, int],
    *,
    ready: bool,
    reconnect: bool = False,
    guests: bool = False,
    cookies: dict[str, list[str]] | None = None,
    after: int | None = None,
    pids: list[int] = (),
) -> float:
    """Open the clients, each room's spread over the children, asking for the messages
    after ``after`` (None: the history); returns the seconds taken to connect. With
    ``guests``, each client first becomes a guest as a page does; with ``cookies``
    (``cookies[room]``: one for each of the room's clients), each connects with its own;
    neither is counted in the time. The server's CPU time (``pids``) when the connecting
    began is left in ``swarm.connect_cpu_start`` (the generator's is counted from then
    on: ``swarm.cpu_seconds()``), and as whom the chat took the clients
    (``Client.who``, counted) in ``swarm.connected_as``."""
    split = {
        room: _split(count, swarm.processes, first=index % swarm.processes)
        for index, (room, count) in enumerate(per_room.items())
    }
    swarm.layout.update(split)
    counts = [{room: counts[index] for room, counts in split.items()}
              for index in range(swarm.processes)]  # fmt: skip
    if cookies is not None:
        prepare = []
        for index, child in enumerate(counts):
            handed = {}
            for room, count in child.items():
                first = sum(split[room][:index])  # of the room's clients, in earlier children
                handed[room] = cookies[room][first : first + count]
            prepare.append({"base_url": base_url, "counts": child, "cookies": handed})
        swarm.run_each("prepare", prepare)
    elif guests:
        swarm.run_each("prepare", [{"base_url": base_url, "counts": c} for c in counts])
    swarm.cpu_seconds()  # the generator's, from here
    cpu_before = server_cpu_seconds(pids)
    answers = swarm.run_each("connect", [
        {"base_url": base_url, "counts": c, "ready": ready, "reconnect": reconnect,
         "after": after}
        for c in counts
    ])  # fmt: skip
    swarm.connect_errors = sum(answer["errors"] for answer in answers)  # retried, so far
    swarm.connect_cpu_start = cpu_before
    swarm.connected_as = {}
    for answer in answers:
        for who, count in answer["who"].items():
            swarm.connected_as[who] = swarm.connected_as.get(who, 0) + count
    return max(answer["seconds"] for answer in answers)


def _idle(pids: list[int], limit: float = SETTLE_LIMIT_SECONDS) -> None:
    """Until the server used less than ``IDLE_CPU`` of a core for half a second (or
    ``limit``): what came before (connections closing) isn't counted in what comes next."""
    started = time.perf_counter()
    before = server_cpu_seconds(pids)
    while time.perf_counter() - started < limit:
        time.sleep(0.5)
        now = server_cpu_seconds(pids)
        if now - before < IDLE_CPU * 0.5:
            return
        before = now


def _sender_specs(swarm: Swarm, senders: dict[str, int]) -> list[list[tuple[str, int, int]]]:
    """Which child posts as which sender: a room's senders are its clients in the
    children that hold some, taken in turn (each child's next client of the room)."""
    specs: list[list[tuple[str, int, int]]] = [[] for _ in range(swarm.processes)]
    number = 0
    for room, count in senders.items():
        holding = [child for child, held in enumerate(swarm.layout[room]) if held]
        for j in range(count):
            child = holding[j % len(holding)]
            slot = sum(1 for spec in specs[child] if spec[0] == room)
            specs[child].append((room, number, slot))
            number += 1
    return specs


def _quantiles(latencies: list[float]) -> dict:
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else 0.0) * 1000, 2),
    }


def _gathered(answers: list[dict]) -> dict:
    latencies = [lat for answer in answers for lat in answer["latencies"]]
    delivered = sum(a["delivered"] for a in answers)
    expected = sum(a["expected"] for a in answers)
    return {
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicated": sum(a["duplicated"] for a in answers),
        **_quantiles(latencies),
    }


def broadcast_run(
    swarm: Swarm,
    server: str,
    scenario: str,
    base_url: str,
    pids: list[int],
    *,
    clients: int,
    senders: int,
    messages: int,
    rate: float | None,
    rooms: int = 1,
    ready: bool = True,
    close: bool = True,
) -> Result:
    """``senders`` of each room's clients (``clients`` spread over ``rooms``) post
    ``messages`` each, ``rate`` a second or as fast as possible; everyone in a room
    should get all of its room's."""
    names = _rooms(f"{scenario.replace('+', '-')}-{time.time_ns()}", rooms)
    per_room = {room: clients // rooms for room in names}
    connect_seconds = _open(swarm, base_url, per_room, ready=ready)
    swarm.run("settle", quiet=SETTLE_SECONDS, limit=SETTLE_LIMIT_SECONDS)
    posting = {room: senders for room in names}
    specs = _sender_specs(swarm, posting)
    cpu_before, _ = server_cpu_seconds(pids), swarm.cpu_seconds()
    started = time.perf_counter()
    sends = [{"senders": spec, "messages": messages, "rate": rate} for spec in specs]
    swarm.run_each("send", sends)
    expected = {room: senders * messages for room in names}
    answers = swarm.run("finish", expected=expected, quiet=QUIET_SECONDS,
                        limit=FINISH_LIMIT_SECONDS)  # fmt: skip
    finished = max((a["last"] for a in answers), default=0.0) or started
    seconds = max(finished - started, 1e-9)
    server_cpu = server_cpu_seconds(pids) - cpu_before
    generator_cpu = swarm.cpu_seconds()
    if close:
        swarm.run("close")
    totals = _gathered(answers)
    stored = rooms * senders * messages
    return Result(
        server=server,
        scenario=scenario,
        clients=clients,
        **totals,
        seconds=round(seconds, 3),
        per_second=round(totals["delivered"] / seconds, 1),
        stored_per_second=round(stored / seconds, 1),
        connects_per_second=round(clients / connect_seconds, 1),
        server_cpu_us_per_message=round(server_cpu / max(totals["delivered"], 1) * 1e6, 2),
        server_cpu_us_per_post=round(server_cpu / stored * 1e6, 1),
        generator_cpu_pct=round(generator_cpu / (seconds * swarm.processes) * 100, 1),
        connect_retries=swarm.connect_errors,
    )


def connect_run(
    swarm: Swarm, server: str, base_url: str, pids: list[int], *, rooms: int, per_room: int,
    ready: bool = True, case: str | None = None,
    people: Callable[[list[str], int], list[str]] | None = None,
) -> Result:  # fmt: skip
    """``rooms`` × ``per_room`` clients connect at once (``HANDSHAKES_IN_FLIGHT`` per
    generator process); the rate to the ``ready`` frame, the server's CPU per
    connection, and the presence frames each client got until all was quiet.

    Who connects is the chat's ``case`` (one of ``CONNECT_CASES``; None: a reference's
    clients, cookie-less): ``visitor``, no cookie; ``guest``, each client first became a
    guest as a page makes its visitor one, and connects with that session; ``user``,
    people signed in beforehand by ``people(rooms, count)`` (which makes ``count``
    people, each a member of every room of ``rooms``, and returns a session cookie for
    each), each with ``SIDEBAR_ROOMS`` rooms, connecting with ``?after=0`` as a page
    that comes back does. None of that is timed. The chat must take every client as
    ``case`` says (its ``identity`` frame), or this raises RuntimeError."""
    names = _rooms(f"connect-{case or 'ref'}-{time.time_ns()}", rooms)
    clients = rooms * per_room
    per_room_counts = dict.fromkeys(names, per_room)
    cookies = None
    if case == "user":
        more = _rooms(f"{names[0]}-more", max(SIDEBAR_ROOMS - rooms, 0))
        handed = iter(people(names + more, clients))
        cookies = {room: [next(handed) for _ in range(per_room)] for room in names}
    _idle(pids)
    seconds = _open(swarm, base_url, per_room_counts, ready=ready, guests=case == "guest",
                    cookies=cookies, after=0 if case == "user" else None, pids=pids)  # fmt: skip
    generator_cpu = swarm.cpu_seconds()
    connected_as = swarm.connected_as
    swarm.run("settle", quiet=SETTLE_SECONDS, limit=SETTLE_LIMIT_SECONDS)
    server_cpu = server_cpu_seconds(pids) - swarm.connect_cpu_start  # presence fan-out too
    answers = swarm.run("finish", expected={}, quiet=0, limit=0)
    swarm.run("close")
    if case is not None and connected_as != {case: clients}:
        raise RuntimeError(f"connect-{case}: the chat took the {clients} clients as {connected_as}")
    return Result(
        server=server,
        scenario=f"connect-{case}" if case else "connect",
        clients=clients,
        seconds=round(seconds, 3),
        connects_per_second=round(clients / seconds, 1),
        server_cpu_ms_per_connection=round(server_cpu / clients * 1000, 3),
        presence_frames_per_client=round(sum(a["presence_frames"] for a in answers) / clients, 1),
        generator_cpu_pct=round(generator_cpu / (seconds * swarm.processes) * 100, 1),
        connect_retries=swarm.connect_errors,
    )


def sockets_run(
    swarm: Swarm, server: str, base_url: str, pids: list[int], *, connections: int,
    per_room: int, steady: dict | None, ready: bool = True,
) -> list[Result]:  # fmt: skip
    """Hold ``connections`` open (``per_room`` to a room): the server's memory per
    connection; then, with all of them still open, a ``steady`` broadcast elsewhere."""
    rooms = max(connections // per_room, 1)
    names = _rooms(f"sockets-{time.time_ns()}", rooms)
    before = rss_kib(pids)
    seconds = _open(swarm, base_url, dict.fromkeys(names, connections // rooms), ready=ready)
    swarm.run("settle", quiet=SETTLE_SECONDS, limit=SETTLE_LIMIT_SECONDS)
    after = rss_kib(pids)
    held = Result(
        server=server,
        scenario="sockets",
        clients=connections,
        seconds=round(seconds, 3),
        connects_per_second=round(connections / seconds, 1),
        memory_per_connection_kib=round((after - before) / connections, 1),
        connect_retries=swarm.connect_errors,
    )
    results = [held]
    if steady:
        results.append(
            broadcast_run(swarm, server, "sockets+steady", base_url, pids, ready=ready, **steady)
        )
    swarm.run("close")
    return results


def storm_run(
    swarm: Swarm, base_url: str, *, rooms: int, per_room: int, rate: float,
    before_s: float, after_s: float, restart: Callable[[], None],
) -> Result:  # fmt: skip
    """``rooms`` × ``per_room`` clients that come back like pages do, one sender per room
    posting ``rate`` a second; ``restart()`` stops the server and starts it again
    (returning once it answers /healthz) ``before_s`` into the posting, which goes on
    until ``after_s`` past that. Every client should end with every message, once:
    ``catch_up_s`` is how long after /healthz the last client had every message posted
    before it, ``post_after_restart_ms`` the slowest delivery of one posted after it."""
    names = _rooms(f"storm-{time.time_ns()}", rooms)
    posting = dict.fromkeys(names, 1)
    _open(swarm, base_url, dict.fromkeys(names, per_room), ready=True, reconnect=True,
          guests=True)  # fmt: skip
    swarm.run("settle", quiet=SETTLE_SECONDS, limit=SETTLE_LIMIT_SECONDS)
    specs = _sender_specs(swarm, posting)
    swarm.run_each("send", [
        {"senders": spec, "messages": None, "rate": rate, "background": True} for spec in specs
    ])  # fmt: skip
    time.sleep(before_s)  # posting goes on in the generator meanwhile
    restart()
    healthy = time.perf_counter()
    swarm.run("set_cutoff", cutoff=healthy)
    time.sleep(after_s)
    expected: dict[str, int] = {}
    for answer in swarm.run("wait_sending"):
        for room, count in answer["sent"].items():
            expected[room] = expected.get(room, 0) + count
    answers = swarm.run("finish", expected=expected, quiet=STORM_QUIET_SECONDS,
                        limit=FINISH_LIMIT_SECONDS)  # fmt: skip
    swarm.run("close")
    totals = _gathered(answers)
    caught_up = max(a["caught_up"] for a in answers)
    back = sorted(max(at - healthy, 0.0) for a in answers for at in a["back"])
    failures: dict[str, int] = {}
    for answer in answers:
        for why, count in answer["failures"].items():
            failures[why] = failures.get(why, 0) + count
    print(f"storm: failed tries to come back, by why: {failures or 'none'}", flush=True)
    return Result(
        server="chat",
        scenario="storm",
        clients=rooms * per_room,
        **totals,
        seconds=round(max(a["last"] for a in answers) - healthy, 3),
        catch_up_s=round(max(caught_up - healthy, 0.0), 2),
        post_after_restart_ms=round(max(a["late_after"] for a in answers) * 1000, 1),
        back_p95_s=round(back[int(len(back) * 0.95)], 2) if back else None,
        failures=failures,
        connect_retries=sum(failures.values()),
    )
