"""Who may open a chat connection: a valid room name, a person who may read the room,
and room under the connection caps.

``admit`` reads the handshake once (the room from the path, the person from
the session cookie, their access to the room and the rooms of their sidebar, in
one trip to the database) and either returns an ``Admission``, which holds the
connection's places under the caps until released, or raises ``Refused``
with the error frame's code and detail and the close code to send.
"""

from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from integrations.bearer import handshake_token
from integrations.tokens import InvalidToken, token_identity

from chat import selectors
from chat.access import Forbidden, room_access
from chat.identity import Identity, identity_of_handshake
from chat.loops import per_event_loop
from chat.protocol import CloseCode
from chat.ratelimit import (
    ConnectionCounter,
    TokenBucket,
    connections_per_ip,
    connections_per_person,
    person_buckets,
)
from chat.rooms import InvalidRoomName, room_name_clean


class Refused(Exception):
    """``close_code`` None: the handshake itself is refused (HTTP 403), not accepted
    to say why. ``retry_after``: seconds the client should wait before trying again."""

    def __init__(
        self, code: str, detail: str, close_code: CloseCode | None,
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.close_code = close_code
        self.retry_after = retry_after


UNAVAILABLE = ("unavailable", "The chat is briefly unavailable; retrying.")
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 1.0, 30.0


class HandshakeSlots:
    """The handshakes this process is setting up (from the first frame of the handshake
    to the history sent). Past ``limit`` of them, a new one is refused at once with a
    time to come back, instead of waiting behind work its client may give up on: a
    restart's reconnecting pages are then spread over the next seconds."""

    def __init__(self) -> None:
        self.busy = 0
        self.mean_seconds = 0.005  # of recent handshakes, to say how long to wait

    def take(self, limit: int) -> Refused | None:
        """A slot, or the refusal to send (None: taken; give it back with ``done``)."""
        if limit and self.busy >= limit:
            wait = min(max(self.busy * self.mean_seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)
            return Refused(
                "try_again_later",
                "The chat is busy setting up connections; this page reconnects shortly.",
                CloseCode.TRY_AGAIN_LATER,
                retry_after=round(wait, 1),
            )
        self.busy += 1
        return None

    def done(self, seconds: float) -> None:
        self.busy -= 1
        self.mean_seconds += (seconds - self.mean_seconds) * 0.05


@per_event_loop
def handshake_slots() -> HandshakeSlots:
    """The running event loop's (the server process's) handshakes under way."""
    return HandshakeSlots()


@dataclass(slots=True, eq=False)
class Admission:
    room_name: str
    identity: Identity
    rooms: frozenset[str]  # the rooms of the person's sidebar
    # Whether access must be checked again once subscribed (it may change between the
    # two): for private rooms, DMs and free names, not for existing public rooms.
    recheck: bool
    person_bucket: TokenBucket  # flood control shared by this person's connections here
    counted: tuple[tuple[ConnectionCounter, str], ...]

    def release(self) -> None:
        """Give back the places under the caps; safe to repeat."""
        if self.counted:
            for counter, key in self.counted:
                counter.close(key)
            person_buckets.release(self.identity.key)
            self.counted = ()


async def admit(scope: dict) -> Admission:
    """Admit the connection of ``scope``, or raise Refused."""
    try:
        room_name = room_name_clean(scope["url_route"]["kwargs"]["room_name"])
    except InvalidRoomName as exc:
        raise Refused("invalid_room", str(exc), CloseCode.INVALID_ROOM) from None
    try:
        identity, rooms, recheck = await database_sync_to_async(_person_in_room)(
            scope["headers"], scope.get("subprotocols", []), room_name
        )
    except Forbidden as exc:
        raise Refused(exc.code, exc.detail, CloseCode.FORBIDDEN) from None
    except InvalidToken as exc:  # never a fallback to the session or a guest
        raise Refused("invalid_token", str(exc), None) from None
    client = scope.get("client") or ("unknown", 0)
    counted = _take_places(
        (connections_per_person, identity.key, settings.CHAT_MAX_CONNECTIONS_PER_PERSON),
        (connections_per_ip, client[0], settings.CHAT_MAX_CONNECTIONS_PER_IP),
    )
    if counted is None:
        raise Refused(
            "too_many_connections",
            "Too many open chat tabs from you; close some and this one will reconnect.",
            CloseCode.TOO_MANY,
        )
    person_bucket = person_buckets.acquire(
        identity.key, settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST
    )
    return Admission(room_name, identity, rooms, recheck, person_bucket, counted)


def _person_in_room(
    headers, subprotocols: list[str], room_name: str
) -> tuple[Identity, frozenset[str], bool]:
    """The person of the handshake (its API token's, else its session's), their
    sidebar's rooms, and whether to check again; raises Forbidden when they may not
    read the room, InvalidToken for a token that signs no one in."""
    token = handshake_token(headers, subprotocols)
    identity = token_identity(token) if token is not None else identity_of_handshake(headers)
    room = room_access(room_name=room_name, user_id=identity.user_id).room
    recheck = room is None or room.private
    if identity.user_id is None:
        return identity, frozenset(), recheck
    return identity, selectors.person_room_names(user_id=identity.user_id), recheck


def _take_places(*limits: tuple[ConnectionCounter, str, int]):
    """A place under every (counter, key, limit), or under none (None)."""
    taken = []
    for counter, key, limit in limits:
        if not counter.try_open(key, limit):
            for done_counter, done_key in taken:
                done_counter.close(done_key)
            return None
        taken.append((counter, key))
    return tuple(taken)
