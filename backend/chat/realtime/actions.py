"""What a connection asks to do to a message already in the room: edit, react, delete,
mute its author. Each goes to the service that stores it and tells the room."""

from chat.protocol import frames
from chat.realtime.session import Session
from chat.services import editing, moderation, reactions

MessageAction = frames.Edit | frames.React | frames.Delete | frames.Mute


async def message_act(session: Session, frame: MessageAction) -> None:
    """Carry out ``frame`` as the session's person; raises ActionRefused."""
    where = {"room_name": session.room_name, "seq": frame.seq, "identity": session.identity}
    match frame:
        case frames.Edit(text=text):
            await editing.message_edit(**where, text=text)
        case frames.React(emoji=emoji):
            await reactions.reaction_toggle(**where, emoji=emoji)
        case frames.Delete():
            await moderation.message_delete(**where)
        case frames.Mute(minutes=minutes):
            await session.send_event(await moderation.person_mute(**where, minutes=minutes))
