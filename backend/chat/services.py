"""What the chat does, independent of how a client is connected.

Consumers and views call these functions; nothing else broadcasts.
"""

from datetime import UTC, datetime

from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from chat import events
from chat.rooms import room_group_name


class DeliveryFailed(Exception):
    """The channel layer (Redis) could not take the message."""


async def message_post(*, room_name: str, text: str) -> events.MessageEvent:
    """Broadcast a message to every connection in the room, across processes."""
    event: events.MessageEvent = {
        "type": "message",
        "message": text,
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    try:
        await get_channel_layer().group_send(
            room_group_name(room_name),
            {"type": events.GROUP_FRAME_TYPE, "text": events.event_encode(event)},
        )
    except (RedisError, OSError) as exc:
        raise DeliveryFailed(str(exc)) from exc
    return event
