"""Who may open a chat connection: a valid room name, a person who may read the room,
and room under the connection caps.

``admit`` reads the handshake once (the room from the path, the person from
the session cookie, their access to the room and the rooms of their sidebar, in
one trip to the database) and either returns an ``Admission``, which holds the
connection's places under the caps until released, or raises ``Refused``
with the error frame's code and detail and the close code to send.
"""

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.mfa import MFA_REQUIRED, mfa_covers, people_without_mfa
from chat import selectors
from chat.access import Forbidden, SignInRequired, access_decide, guest_accounts, name_reserved
from chat.identity import (
    Identity,
    handshake_session_key,
    identities_of_sessions,
    identity_of_session,
    visitor_identity,
)
from chat.models import Room
from chat.process import process
from chat.protocol import CloseCode
from chat.ratelimit import (
    ConnectionCounter,
    TokenBucket,
    connections_per_ip,
    connections_per_person,
    person_buckets,
)
from chat.realtime.hub import hub
from chat.realtime.known import FREE, KnownPerson
from chat.rooms import InvalidRoomName, room_group_name, room_name_clean
from chat.services.batching import Batcher
from chat.services.broadcast import person_address
from integrations.bearer import handshake_token
from integrations.tokens import InvalidToken, token_identity


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


UNAVAILABLE = ("unavailable", _("The chat is briefly unavailable; retrying."))
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 1.0, 30.0


class HandshakeSlots:
    """The handshakes this process is setting up (from the first frame of the handshake
    to the history sent). Past ``limit`` of them, a new one is refused at once with a
    time to come back, instead of waiting behind work its client may give up on.

    Each refused handshake is given its own turn: while full, the process finishes
    about ``limit`` handshakes every ``mean_seconds`` (the time one takes, waiting
    included), so turns are that far apart. A restart's reconnecting pages then come
    back at the pace the process takes them, not all at once again."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.busy = 0
        # Of recent handshakes. It starts as if a full process took a second for ``limit``
        # of them (200 a second by default), not less: a process just started, with
        # every page of a restart knocking, mustn't tell them all to come back at once.
        self.mean_seconds = 1.0
        self.clock = clock
        self.last_turn = 0.0  # the latest time a refused handshake was told to come back

    def take(self, limit: int) -> Refused | None:
        """A slot, or the refusal to send (None: taken; give it back with ``done``)."""
        if not limit or self.busy < limit:
            self.busy += 1
            return None
        now = self.clock()
        spacing = self.mean_seconds / limit
        self.last_turn = max(self.last_turn, now + RETRY_AFTER_MIN) + spacing
        return Refused(
            "try_again_later",
            _("The chat is busy setting up connections; this page reconnects shortly."),
            CloseCode.TRY_AGAIN_LATER,
            retry_after=round(min(self.last_turn - now, RETRY_AFTER_MAX), 3),
        )

    def done(self, seconds: float) -> None:
        self.busy -= 1
        self.mean_seconds += (seconds - self.mean_seconds) * 0.05


def handshake_slots() -> HandshakeSlots:
    """This server process's handshakes under way."""
    return process().handshakes


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
    # What signed the person in: ("session", key) or ("token", secret); None for a visitor.
    credential: tuple[str, str] | None = None
    # Whether the room existed (else its name was free, and the first post makes it).
    existing_room: bool = False

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
        raise Refused("invalid_room", exc.detail, CloseCode.INVALID_ROOM) from None
    try:
        identity, rooms, recheck, credential, existing_room = await _person_in_room(
            scope["headers"], scope.get("subprotocols", []), room_name
        )
    except SignInRequired as exc:
        raise Refused(exc.code, exc.detail, CloseCode.SIGNED_OUT) from None
    except Forbidden as exc:
        raise Refused(exc.code, exc.detail, CloseCode.FORBIDDEN) from None
    except InvalidToken as exc:  # never a fallback to the session or a guest
        raise Refused("invalid_token", exc.detail, None) from None
    except MfaMissing:
        raise Refused("mfa_required", MFA_REQUIRED, CloseCode.SIGNED_OUT) from None
    client = scope.get("client") or ("unknown", 0)
    counted = _take_places(
        (connections_per_person, identity.key, settings.CHAT_MAX_CONNECTIONS_PER_PERSON),
        (connections_per_ip, client[0], settings.CHAT_MAX_CONNECTIONS_PER_IP),
    )
    if counted is None:
        raise Refused(
            "too_many_connections",
            _("Too many open chat tabs from you; close some and this one will reconnect."),
            CloseCode.TOO_MANY,
        )
    person_bucket = person_buckets.acquire(
        identity.key, settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST
    )
    return Admission(
        room_name, identity, rooms, recheck, person_bucket, counted, credential, existing_room
    )


async def _person_in_room(
    headers, subprotocols: list[str], room_name: str
) -> tuple[Identity, frozenset[str], bool, tuple[str, str] | None, bool]:
    """The person of the handshake (its API token's, else its session's), their
    sidebar's rooms, whether to check access again once subscribed, the credential
    that signed them in (for ``credential_identity``), and whether the room exists
    (not a free name); raises Forbidden
    when they may not read the room, InvalidToken for a token that signs no one in.

    What the process keeps (chat.realtime.known) answers without the database; what it
    doesn't is read in one trip, and kept for the next handshakes."""
    known = hub().known
    group = room_group_name(room_name)
    token = handshake_token(headers, subprotocols)
    session_key = handshake_session_key(headers) if token is None else None
    person = known.person(session_key) if session_key is not None else None
    kind = known.room_kind(group)
    if token is None and kind is not None and (person is not None or session_key is None):
        identity = person.identity if person is not None else visitor_identity()
        rooms = person.rooms if person is not None else frozenset()
        signed_in = identity.user_id is not None
        access_decide(room_name=room_name, kind=None if kind == FREE else kind,
                      member=room_name in rooms, signed_in=signed_in,
                      rooms_only=identity.rooms_only)  # fmt: skip
        credential = ("session", session_key) if person is not None else None
        return identity, rooms, kind != Room.Kind.PUBLIC, credential, kind != FREE
    mark = known.mark()
    kept = kind
    identity, rooms, read_kind = await process().person_reads.submit(
        (token, session_key, room_name if kept is None else None)
    )
    kind = read_kind if kept is None else None if kept == FREE else kept
    access_decide(room_name=room_name, kind=kind, member=room_name in rooms,
                  signed_in=identity is not None and identity.user_id is not None,
                  rooms_only=identity is not None and identity.rooms_only)  # fmt: skip
    # A kept kind may have changed while the person was read: then check access again.
    changed = kept is not None and mark != known.changes
    if session_key is not None and identity is not None:
        address = person_address(identity.key).key
        known.keep_person(mark, session_key,
                          KnownPerson(identity, rooms, address, known.person_until()))  # fmt: skip
    if kind is not None or not name_reserved(room_name):  # a DM is made without a notice
        known.keep_room(mark, group, kind or FREE)
    credential = ("token", token) if token is not None else ("session", session_key)
    if identity is None:
        identity, credential = visitor_identity(), None
    return identity, rooms, changed or kind != Room.Kind.PUBLIC, credential, kind is not None


class MfaMissing(Exception):
    """A session of someone CHAT_REQUIRE_MFA covers, who has no second factor."""


def credential_identity(credential: tuple[str, str]) -> Identity | None:
    """Who a connection's credential signs in now (None: no one: logged out, revoked,
    the password changed, the account gone); raises MfaMissing for a session whose
    person must set up a second factor first."""
    kind, secret = credential
    if kind == "token":
        try:
            return _rooms_only_marked([token_identity(secret)])[0]
        except InvalidToken:
            return None
    identity = identity_of_session(secret)
    if identity is not None and _mfa_missing([identity]):
        raise MfaMissing
    return _rooms_only_marked([identity])[0]


def _rooms_only_marked(people: list) -> list:
    """``people`` with their guest accounts marked ``rooms_only`` (one query)."""
    user_ids = {person.user_id for person in people
                if isinstance(person, Identity) and person.user_id is not None}  # fmt: skip
    guests = guest_accounts(user_ids)
    if not guests:
        return people
    return [dataclasses.replace(person, rooms_only=True)
            if isinstance(person, Identity) and person.user_id in guests else person
            for person in people]  # fmt: skip


def _mfa_missing(people: list) -> set[int]:
    """The user ids of ``people`` (session identities) CHAT_REQUIRE_MFA asks a second
    factor of and who have none; no query while it is off."""
    if settings.CHAT_REQUIRE_MFA == "off":
        return set()
    covered = {person.user_id for person in people
               if isinstance(person, Identity) and person.user_id is not None
               and mfa_covers(staff=person.is_staff)}  # fmt: skip
    return people_without_mfa(covered)


class PersonReads(Batcher):
    """The handshakes' reads from the database, together: while one batch is read, the
    handshakes that come meanwhile wait for the next, which reads all of them in a
    fixed number of queries (a restart's reconnecting tabs come by the hundred)."""

    def __init__(self) -> None:
        super().__init__(self._read)

    @staticmethod
    async def _read(items: list[tuple[str | None, str | None, str | None]]) -> list:
        return await database_sync_to_async(_read_people_in_rooms)(items)


def _read_people_in_rooms(
    items: list[tuple[str | None, str | None, str | None]],
) -> list[tuple[Identity | None, frozenset[str], str | None]]:
    """For each (API token, session key, room name or None) of a handshake: the person
    (None: no one), their sidebar's rooms and the kind of the room (None: not asked,
    or no such room yet). An invalid token is its item's InvalidToken."""
    sessions = [session_key for token, session_key, _ in items if token is None and session_key]
    by_session = dict(zip(sessions, identities_of_sessions(sessions), strict=True))
    people: list[Identity | InvalidToken | None] = []
    for token, session_key, _room in items:
        if token is not None:
            try:
                people.append(token_identity(token))
            except InvalidToken as exc:
                people.append(exc)
        else:
            people.append(by_session.get(session_key))
    sessions_people = [by_session.get(key) for token, key, _ in items if token is None]
    if missing := _mfa_missing(sessions_people):
        people = [MfaMissing() if token is None and isinstance(person, Identity)
                  and person.user_id in missing else person
                  for person, (token, _, _) in zip(people, items, strict=True)]  # fmt: skip
    people = _rooms_only_marked(people)
    user_ids = {person.user_id for person in people
                if isinstance(person, Identity) and person.user_id is not None}  # fmt: skip
    sidebars = selectors.people_room_names(user_ids) if user_ids else {}
    names = {room_name for _, _, room_name in items if room_name is not None}
    kinds = dict(Room.objects.filter(name__in=names).values_list("name", "kind")) if names else {}
    found = []
    for person, (_token, _session, room_name) in zip(people, items, strict=True):
        if isinstance(person, InvalidToken | MfaMissing):
            found.append(person)
            continue
        user_id = person.user_id if person is not None else None
        rooms = sidebars[user_id] if user_id is not None else frozenset()
        found.append((person, rooms, kinds.get(room_name) if room_name is not None else None))
    return found


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
