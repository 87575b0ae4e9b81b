"""What a server process holds: one ``Process``, made on first use by its event loop.

A server process runs one event loop, so "one per loop" means "one per
process". Tests run each test on a loop of its own, and each gets a fresh
``Process``; the one of a closed loop is dropped when the next loop makes its own.
"""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor


class Process:
    """Everything a server process keeps beyond its connections; each part is bounded.

    - ``hub``: the process's one member of the channel layer, with the handshake
      caches its broadcasts keep right (``hub.history``: the latest page of at most
      ``HISTORY_ROOMS`` rooms; ``hub.known``: sessions and room kinds, least recently
      used first out past ``KNOWN_SESSIONS`` and ``KNOWN_ROOMS``); ``history_reads``:
      the handshakes' reads of what ``hub.history`` doesn't hold, together;
    - ``redis_watch``: notices Redis coming back; it has the hub forget what it
      may have missed, then tells connections and ``presence`` to catch up;
    - ``presence``: this process's people in each room and their heartbeat;
      ``presence_updates``: rooms' joins and leaves on their way to Redis;
    - ``posting``: posts on their way to the database, a queue per room that has some,
      and the link previews of those stored (at most a few fetched at once, a bounded
      number waiting, and the HTTP client that fetches them);
    - ``handshakes``: the handshakes being set up (``CHAT_HANDSHAKES_MAX``);
      ``person_reads``: their reads of people and rooms from the database, together;
    - ``redis_clients``: one Redis client (or Sentinel) per address;
    - ``tasks``: work that outlives the connection that started it (``detach``);
    - ``chores``: one thread for periodic work on the database (e-mail for what people
      missed, outgoing webhooks' queues): one connection, never the thread that stores
      posts;
    - ``deliveries``: the outgoing webhooks this process delivers to now (each webhook by
      one process at a time), and their HTTP client.

    Rooms by name for posting (``chat.services.storing``) are kept per process as
    well, by the database thread, not by the event loop.
    """

    def __init__(self) -> None:
        # Imported here, not above: each of these modules reaches its process
        # through ``process()``, so importing them first would be circular.
        from channels.layers import get_channel_layer

        from chat.realtime.admission import HandshakeSlots, PersonReads
        from chat.realtime.history_cache import HistoryReads
        from chat.realtime.hub import Hub
        from chat.redis_watch import RedisWatch
        from chat.services.messages import Posting
        from chat.services.presence import PresenceTracker, RoomUpdates
        from integrations.outgoing import process_deliveries

        self.tasks: set[asyncio.Task] = set()
        self.redis_clients: dict[tuple, object] = {}
        self.hub = Hub(get_channel_layer())
        self.history_reads = HistoryReads(self.hub.history)
        self.redis_watch = RedisWatch(before=self.hub.redis_recovered)
        self.presence = PresenceTracker(watch=self.redis_watch)
        self.presence_updates = RoomUpdates(self.presence)
        self.posting = Posting()
        self.handshakes = HandshakeSlots()
        self.person_reads = PersonReads()
        self.chores = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chores")
        self.deliveries = process_deliveries()


# Not weak: the parts' own tasks hold their loop, so it would never go.
_made: dict[asyncio.AbstractEventLoop, Process] = {}


def process() -> Process:
    """The running event loop's (that is, this server process's) ``Process``."""
    loop = asyncio.get_running_loop()
    try:
        return _made[loop]
    except KeyError:
        for closed in [other for other in _made if other.is_closed()]:
            del _made[closed]
        _made[loop] = made = Process()
        return made


def detach(work: Coroutine) -> None:
    """Run ``work`` to its end, even if whoever started it (a connection) goes away first."""
    task = asyncio.get_running_loop().create_task(work)
    tasks = process().tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)
