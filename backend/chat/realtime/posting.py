"""A connection's posts in flight: pipelined, answered, and withdrawn together on failure.

A connection reads its next frame while its last post is being stored, so a
fast sender's messages share transactions and broadcasts (see
chat.services.messages). Each post is answered when it is stored: usually the
room's broadcast is the answer; a repeated nonce, or a broadcast Redis could
not carry, is acknowledged to the sender directly; a refusal is an error frame
naming the post's nonce. A post that could not be stored withdraws the
connection's later ones and closes it, so the page re-sends them all in order;
while storing keeps failing (a full disk), the close waits a little longer each
time (``messages.storage``), so that pages re-sending in a loop back off.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.utils.translation import gettext_lazy as _

from chat.process import detach, process
from chat.protocol import events, frames
from chat.realtime.session import Session
from chat.services import ActionRefused, messages
from chat.services.messages import message_post
from chat.services.storing import UNSTORABLE, Post
from integrations.commands import command_find, command_identity, command_parse, command_run
from observability import metrics

logger = logging.getLogger(__name__)

# Messages of one connection being stored at once; past this, its next frame waits.
MAX_POSTS_IN_FLIGHT = 64


class PostsInFlight:
    __slots__ = ("session", "on_failure", "sleep", "slots", "posting", "failed")

    def __init__(
        self,
        session: Session,
        on_failure: Callable[[], Awaitable[None]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``on_failure`` closes the connection after a post could not be stored."""
        self.session = session
        self.on_failure = on_failure
        self.sleep = sleep
        self.slots = asyncio.Semaphore(MAX_POSTS_IN_FLIGHT)
        self.posting: set[asyncio.Future] = set()
        self.failed = False

    async def post(self, frame: frames.SendMessage) -> None:
        """Give the post its place in the room's order now; answer it once stored."""
        if self.failed:
            return  # closing: the page sends it again once reconnected
        if frame.text.startswith("/") and (asked := command_parse(frame.text)):
            try:
                command = await database_sync_to_async(command_find)(
                    asked[0], room_name=self.session.room_name,
                    sender_key=self.session.identity.key,
                )  # fmt: skip
            except ActionRefused as exc:
                await self.session.send_error(exc, nonce=frame.nonce)
                return
            if command is not None:
                detach(self._command(command, asked[1], frame.nonce))
                return
        await self.slots.acquire()
        session = self.session
        posted = message_post(
            room_name=session.room_name, identity=session.identity, text=frame.text,
            nonce=frame.nonce, reply_to=frame.reply_to, attachments=frame.attachments,
            may_create=not session.existing_room, confirm=frame.confirm, thread=frame.thread,
            also_room=frame.also_room,
        )  # fmt: skip
        self.posting.add(posted)
        posted.add_done_callback(self.posting.discard)
        # Not cancelled on disconnect: a message sent just before closing is kept.
        detach(self._answer(posted, frame.nonce))

    async def _command(self, command, args: str, nonce: str | None) -> None:
        """Run a slash command instead of posting; its answer goes to the sender alone, or
        to the room as the command's bot."""
        session = self.session
        try:
            answer = await command_run(command, args=args, room=session.room_name,
                                       identity=session.identity,
                                       post=process().deliveries.post)  # fmt: skip
            if answer.in_channel and answer.text:
                bot = command_identity(command.pk, command.name)
                [outcome] = await messages.messages_post(
                    room_name=session.room_name, posts=[Post(bot, answer.text, may_create=False)]
                )
                if isinstance(outcome, Exception):
                    raise outcome
        except ActionRefused as exc:
            await session.send_error(exc, nonce=nonce)
            return
        except UNSTORABLE:
            refused = ActionRefused(
                "command_failed", _("The answer could not be posted; try again.")
            )
            await session.send_error(refused, nonce=nonce)
            return
        shown = None if answer.in_channel else answer.text
        await session.send_event(events.command_reply_event(command.name, nonce, shown))

    async def _answer(self, posted: asyncio.Future, nonce: str | None) -> None:
        try:
            result = await posted
        except ActionRefused as exc:
            await self.session.send_error(exc, nonce=nonce)
            return
        except Exception as exc:
            if self.failed:
                return  # a later post of a batch that failed: the connection is closing
            self.failed = True
            if not isinstance(exc, UNSTORABLE):  # those are logged once per incident
                self.session.log.exception("could not store a message")
            for later in list(self.posting):
                later.cancel()
            await self.sleep(messages.storage.backoff())
            await self.on_failure()
            return
        except asyncio.CancelledError:
            return  # withdrawn after an earlier message failed
        finally:
            self.slots.release()
        # A repeated nonce, or Redis is away: the message is stored either way, so
        # acknowledge it to its sender directly, unless this connection has that seq
        # already (from a catch-up after Redis came back, say): a seq is sent once.
        sent = not result.broadcast and await self.session.send_message_frame(
            result.message.seq, result.frame
        )
        if sent:
            metrics.MESSAGES_DELIVERED.inc()
