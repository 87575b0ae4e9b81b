"""The chat WebSocket: admit the connection, open its session, hand it each frame.

A connection's path, end to end: ``admit`` (room name, identity, access, caps) →
``Session.open`` (subscribed to the room) → accept → ``Session.start``
(identity, history, presence) → frames in ``receive``, each answered by a
service or the session → ``disconnect``. Broadcasts reach the session through
the process's hub, not through this consumer.
"""

import logging
import time
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat.protocol import CloseCode, events, frames
from chat.protocol.frames import BINARY_FRAME_ERROR, FrameError, frame_parse
from chat.ratelimit import bucket_new
from chat.realtime.actions import message_act
from chat.realtime.admission import UNAVAILABLE, Admission, Refused, admit, handshake_slots
from chat.realtime.asgi import closer, drain_waiter, text_sender
from chat.realtime.hub import hub
from chat.realtime.post_gate import PostGate
from chat.realtime.posting import PostsInFlight
from chat.realtime.session import Session
from chat.rooms import room_group_name
from chat.services import ActionRefused
from chat.services.broadcast import LAYER_ERRORS, person_address
from chat.services.typing import typing_announce
from integrations.bearer import CHAT_SUBPROTOCOL
from observability import metrics
from people.languages import HandshakeLanguage, text_in

logger = logging.getLogger(__name__)


class ChatConsumer(AsyncWebsocketConsumer):
    """One browser tab in one room."""

    admission: Admission | None = None
    session: Session | None = None
    gate: PostGate | None = None
    posts: PostsInFlight | None = None  # made on the first post
    is_open = False  # accepted, and counted in the metrics
    # Channels' group list, which this consumer never joins (the hub brings broadcasts):
    # not a new empty list per connection.
    groups = ()

    async def __call__(self, scope, receive, send) -> None:
        """Handle each event (connect, a frame, disconnect) in turn. Unlike Channels' own,
        no channel-layer channel (the hub brings broadcasts) and no hop to the database
        thread per event (database_sync_to_async does that where it is needed)."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                message = await receive()
                await getattr(self, get_handler_name(message))(message)
        except StopConsumer:
            pass
        finally:
            self._release()  # also when the work failed or was cancelled

    async def connect(self) -> None:
        slots = handshake_slots()
        refusal = slots.take(settings.CHAT_HANDSHAKES_MAX)
        if refusal is not None:
            await self._refuse(refusal)
            return
        started = time.perf_counter()
        try:
            opened = await self._open()
        finally:
            slots.done(time.perf_counter() - started)
        if opened:
            await self.session.join_presence()

    async def _open(self) -> bool:
        """Admit, accept and start the connection up to its history; False if refused."""
        try:
            # Notices to people that reach this process from now on: one that comes before
            # the session follows its person (below) may have changed what admit() read.
            try:
                await hub().follow_people()
            except LAYER_ERRORS:
                raise Refused(*UNAVAILABLE, CloseCode.TRY_AGAIN_LATER) from None
            mark = hub().known.mark()
            self.admission = admission = await admit(self.scope)
            send = self.base_send
            self.session = Session(
                admission.room_name, admission.identity, text_sender(send),
                drain_waiter(self.scope), rooms=admission.rooms,
                forbid=closer(send, CloseCode.FORBIDDEN), credential=admission.credential,
                sign_out=closer(send, CloseCode.SIGNED_OUT), existing_room=admission.existing_room,
                language=HandshakeLanguage(self.scope["headers"]),
            )  # fmt: skip
            try:
                await self.session.open()
            except LAYER_ERRORS:
                self.session.log.warning("Redis unreachable on connect")
                raise Refused(*UNAVAILABLE, CloseCode.TRY_AGAIN_LATER) from None
        except Refused as refusal:
            self._release()
            await self._refuse(refusal)
            return False
        await self.accept(self._subprotocol())
        query = parse_qs(self.scope["query_string"].decode("latin-1"), keep_blank_values=True)
        after = query.get("after", [None])[0]
        self._let_go_of_the_scope()
        metrics.CONNECTIONS_OPEN.inc()
        self.is_open = True
        rate, burst = settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST
        self.gate = PostGate(bucket_new(rate, burst), admission.person_bucket,
                             abuse_limit=5 * burst)  # fmt: skip
        # Read before the session was subscribed: checked again if a notice that could
        # change it reached this process meanwhile (it went past the session).
        recheck = admission.recheck or hub().known.changed_since(
            mark, person_address(admission.identity.key).key, room_group_name(admission.room_name)
        )
        return await self.session.start(after=after, recheck=recheck, presence=False)

    def _let_go_of_the_scope(self) -> None:
        """An idle connection keeps its scope for hours (the server's and this consumer's
        frames hold it); once open, everything in it has been read: its headers, query,
        addresses, route and extensions go, the dict emptied in place."""
        path = self.scope.get("path", "")
        self.scope.clear()
        self.scope.update(type="websocket", path=path)

    async def websocket_disconnect(self, message: dict) -> None:
        """As Channels' own, without its trip to the database thread to close old
        database connections: nothing here holds one between events (each database call
        goes through ``database_sync_to_async``, which closes them), and every
        connection ends, refused ones and a restart's thousands included."""
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            await self.session.leave()
        self._release()

    def _release(self) -> None:
        """Let go of what this connection holds in the process; safe to repeat."""
        if self.admission is not None:
            self.admission.release()
        if self.session is not None:
            self.session.close()
        if self.is_open:
            self.is_open = False
            metrics.CONNECTIONS_OPEN.dec()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.is_open or self.gate.closing:
            return  # refused or flooding, and closing: frames still on their way are dropped
        session, gate = self.session, self.gate
        if text_data is None:
            await session.send_error(BINARY_FRAME_ERROR)
            return
        try:
            frame = frame_parse(text_data, max_length=settings.CHAT_MESSAGE_MAX_LENGTH)
            match frame:
                case frames.SendMessage():
                    await self._post(frame)
                case frames.Resume(after=after):
                    sent = await session.replay_after(after, wait=gate.resume_wait())
                    gate.replayed(sent, settings.CHAT_REPLAY_MAX)
                case frames.Typing():
                    if gate.typing_due():
                        await typing_announce(session.room_name, session.identity)
                case frames.Edit() | frames.React() | frames.Delete() | frames.Mute():
                    if not await self._refused(gate.action_refusal()):  # flood control
                        await message_act(session, frame)
        except (FrameError, ActionRefused) as exc:
            await session.send_error(exc)
        if gate.close_now():
            session.log.info("closing a connection that keeps flooding")
            await self.close(code=CloseCode.TOO_MANY)

    async def _post(self, frame: frames.SendMessage) -> None:
        """Post a message, or refuse it (naming its nonce) when it comes too fast."""
        if await self._refused(self.gate.refusal(frame.nonce), nonce=frame.nonce):
            return
        if self.posts is None:
            on_failure = closer(self.base_send, CloseCode.SERVER_ERROR)
            self.posts = PostsInFlight(self.session, on_failure=on_failure)
        await self.posts.post(frame)

    async def _refused(self, refusal: ActionRefused | None, nonce: str | None = None) -> bool:
        """Send the refusal (flood control's), if any; whether there was one."""
        if refusal is None:
            return False
        metrics.RATE_LIMITED.inc()
        await self.session.send_error(refusal, nonce=nonce)
        return True

    def _subprotocol(self) -> str | None:
        """``chat`` if the client offered it (as one sending its token as a subprotocol
        does), else none."""
        return CHAT_SUBPROTOCOL if CHAT_SUBPROTOCOL in self.scope.get("subprotocols", ()) else None

    async def _refuse(self, refusal: Refused) -> None:
        """Accept only to say why in an error frame, then close; or refuse the handshake."""
        metrics.ERRORS.labels(code=refusal.code).inc()
        if refusal.close_code is None:
            logger.info("refused a handshake: %s", refusal.detail)
            await self.close()  # before accepting: the handshake is answered 403
            return
        await self.accept(self._subprotocol())
        detail = text_in(refusal.detail, HandshakeLanguage(self.scope["headers"]).of())
        event = events.error_event(refusal.code, detail, refusal.retry_after)
        await self.send(text_data=events.event_encode(event))
        await self.close(code=refusal.close_code)
