"""Admission: a valid room name and a place under the connection caps, or a refusal."""

import pytest

from chat.protocol import CloseCode
from chat.ratelimit import connections_per_ip, connections_per_person
from chat.realtime.admission import HandshakeSlots, Refused, admit, handshake_slots
from chat.tests.helpers import HOST, ORIGIN, ChatClient, guest_session, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def scope_of(room: str, session_key: str | None = None, client=("10.0.0.1", 5000)) -> dict:
    headers = [session_cookie(session_key)] if session_key else []
    return {"url_route": {"kwargs": {"room_name": room}}, "headers": headers, "client": client}


async def test_a_valid_room_and_session_are_admitted_under_the_persons_name():
    admission = await admit(scope_of("café", await guest_session("alice")))
    try:
        assert admission.room_name == "café"
        assert admission.identity.name == "alice"
        assert connections_per_person.counts[admission.identity.key] == 1
    finally:
        admission.release()


async def test_a_bad_room_name_is_refused_with_4400():
    with pytest.raises(Refused) as refused:
        await admit(scope_of("semi;colon"))
    assert (refused.value.code, refused.value.close_code) == (
        "invalid_room",
        CloseCode.INVALID_ROOM,
    )


async def test_past_the_cap_a_connection_is_refused_and_takes_no_place(settings):
    settings.CHAT_MAX_CONNECTIONS_PER_IP = 1
    first = await admit(scope_of("capped"))
    try:
        with pytest.raises(Refused) as refused:
            await admit(scope_of("capped"))
        assert refused.value.close_code == CloseCode.TOO_MANY
        assert connections_per_ip.counts["10.0.0.1"] == 1
    finally:
        first.release()


async def test_releasing_gives_the_places_back_once():
    admission = await admit(scope_of("released"))
    admission.release()
    admission.release()  # safe to repeat
    assert "10.0.0.1" not in connections_per_ip.counts
    assert admission.identity.key not in connections_per_person.counts


def test_handshakes_past_the_limit_are_refused_with_a_time_to_come_back():
    slots = HandshakeSlots()
    assert slots.take(2) is None and slots.take(2) is None
    refusal = slots.take(2)
    assert (refusal.code, refusal.close_code) == ("try_again_later", CloseCode.TRY_AGAIN_LATER)
    assert refusal.retry_after >= 1
    slots.done(0.01)
    assert slots.take(2) is None


def test_refused_handshakes_are_given_turns_at_the_pace_the_process_takes_them():
    now = [100.0]
    slots = HandshakeSlots(clock=lambda: now[0])
    slots.mean_seconds = 0.05  # 100 at once: 2,000 handshakes a second
    slots.busy = 100
    waits = [slots.take(100).retry_after for _ in range(4_000)]
    assert waits == sorted(waits)
    assert waits[0] == pytest.approx(1.0, abs=0.001)
    assert waits[-1] == pytest.approx(3.0, abs=0.001)  # 4,000 turns over two seconds
    now[0] += 10  # the turns handed out are over: the next starts afresh
    assert slots.take(100).retry_after == pytest.approx(1.0, abs=0.001)


def test_a_process_that_knows_no_pace_yet_takes_turns_at_limit_a_second():
    slots = HandshakeSlots(clock=lambda: 0.0)  # just started: no handshake finished yet
    slots.busy = 200
    waits = [slots.take(200).retry_after for _ in range(1_000)]
    assert waits[-1] == pytest.approx(1.0 + 1_000 / 200, abs=0.001)


def test_the_time_to_come_back_is_at_most_thirty_seconds():
    slots = HandshakeSlots(clock=lambda: 0.0)
    slots.mean_seconds = 1.0
    slots.busy = 10
    waits = [slots.take(10).retry_after for _ in range(1_000)]
    assert max(waits) == 30.0


async def test_a_busy_process_answers_a_handshake_at_once_with_try_again_later(settings):
    settings.CHAT_HANDSHAKES_MAX = 3
    handshake_slots().busy = 3  # three handshakes under way in this process
    client = ChatClient("/ws/chat/busy/", [ORIGIN, HOST])
    connected, _ = await client.connect()
    assert connected
    frame = await client.next()
    assert (frame["type"], frame["code"]) == ("error", "try_again_later")
    assert frame["retry_after"] >= 1
    output = await client.communicator.receive_output()
    assert output == {"type": "websocket.close", "code": 1013}
    handshake_slots().busy = 0
    again = ChatClient("/ws/chat/busy/", [ORIGIN, HOST])
    await again.connect()
    assert (await again.read_until_ready())["type"] == "ready"
    await again.close()
