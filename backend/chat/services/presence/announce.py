"""Telling a room's connections, in every process, who joined and who left."""

from chat.protocol import events
from chat.services.broadcast import room_address, send_to
from chat.services.presence.store import Change, Snapshot


async def announce(room_name: str, change: Change | Snapshot | None) -> None:
    """Tell the room who joined and who left."""
    if change is None or not change.events:
        return
    frames = [
        [version, events.event_encode(
            events.join_event(who, version) if kind == "join" else events.leave_event(who, version)
        )]
        for kind, version, who in change.events
    ]  # fmt: skip
    if len(frames) == 1:
        [[version, text]] = frames
        await publish(room_name, {"type": events.PRESENCE_TYPE, "v": version, "text": text})
    else:  # several people at once: one broadcast, and one frame to each connection
        # ("text": that frame, the same for every connection that has the change before)
        version = frames[-1][0]
        text = events.presence_changes_text([text for _, text in frames], version)
        await publish(
            room_name,
            {"type": events.PRESENCE_TYPE, "v": version, "changes": frames, "text": text},
        )


async def publish(room_name: str, message: dict) -> None:
    """Broadcast to the room, once more on a closed connection (see ``store.script_run``)."""
    try:
        await send_to(room_address(room_name), message)
    except Exception:
        await send_to(room_address(room_name), message)
