import pytest
from channels.testing import WebsocketCommunicator
from prometheus_client import REGISTRY

from chat.realtime import post_gate
from chat.tests.helpers import HOST, ChatClient
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def errors_sent(code: str) -> float:
    return REGISTRY.get_sample_value("chat_errors_total", {"code": code}) or 0.0


async def test_a_message_comes_back_to_its_sender(connect_room):
    alice = await connect_room("lobby")
    await alice.send({"message": "hello"})
    frame = await alice.receive()
    assert frame["type"] == "message"
    assert frame["message"] == "hello"
    assert frame["sent_at"].endswith("Z")


async def test_an_open_connection_keeps_nothing_of_its_handshakes_scope(connect_room):
    alice = await connect_room("lobby", query="after=0")
    assert alice.communicator.scope == {"type": "websocket", "path": "/ws/chat/lobby/"}
    await alice.send({"type": "message", "message": "still works"})
    assert (await alice.receive())["message"] == "still works"


async def test_a_message_reaches_every_member_of_the_room(connect_room):
    alice = await connect_room("lobby")
    bob = await connect_room("lobby")
    carol = await connect_room("lobby")
    await alice.send({"message": "hi all"})
    for member in (alice, bob, carol):
        assert (await member.receive())["message"] == "hi all"


async def test_messages_sent_back_to_back_arrive_once_each_in_order(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 0  # as fast as the client can send
    alice = await connect_room("lobby")
    bob = await connect_room("lobby")
    for n in range(40):
        await alice.send({"message": f"m{n}", "nonce": f"n{n}"})
    for member in (alice, bob):
        frames = [await member.receive() for _ in range(40)]
        assert [f["message"] for f in frames] == [f"m{n}" for n in range(40)]
        assert [f["seq"] for f in frames] == list(range(1, 41))
        assert await member.receive_nothing()


@pytest.mark.parametrize(("room", "other_room"), [("lobby", "kitchen"), ("café", "cafe")])
async def test_rooms_do_not_leak_into_each_other(connect_room, room, other_room):
    """Also rooms whose names differ only by an accent."""
    alice = await connect_room(room)
    outsider = await connect_room(other_room)
    await alice.send({"message": "for this room only"})
    assert (await alice.receive())["message"] == "for this room only"
    assert await outsider.receive_nothing()


@pytest.mark.parametrize("room", ["café", "日本語", "Ελληνικά", "dev-ops_2", "x" * 100])
async def test_unicode_and_long_room_names_work(connect_room, room):
    alice = await connect_room(room)
    bob = await connect_room(room)
    await alice.send({"message": f"hello {room}"})
    assert (await bob.receive())["message"] == f"hello {room}"


async def test_the_tutorial_frame_format_still_works(connect_room):
    alice = await connect_room("lobby")
    await alice.send_text('{"message": "plain"}')
    assert (await alice.receive())["message"] == "plain"


async def test_an_explicit_message_type_is_accepted(connect_room):
    alice = await connect_room("lobby")
    await alice.send({"type": "message", "message": "typed"})
    assert (await alice.receive())["message"] == "typed"


BAD_FRAMES = [
    ("not json", "invalid_json"),
    ('["message", "hi"]', "invalid_frame"),
    ('"just a string"', "invalid_frame"),
    ("42", "invalid_frame"),
    ("{}", "missing_message"),
    ('{"text": "hi"}', "missing_message"),
    ('{"message": 42}', "invalid_message"),
    ('{"message": null}', "invalid_message"),
    ('{"message": ["a"]}', "invalid_message"),
    ('{"message": ""}', "empty_message"),
    ('{"message": " \\n\\t "}', "empty_message"),
    ('{"type": "shout", "message": "hi"}', "unknown_type"),
    ('{"message": "half a pair \\ud800"}', "invalid_message"),
    ('{"message": "nul \\u0000 inside"}', "invalid_message"),
    ('{"message": "hi", "nonce": "\\udfff"}', "invalid_nonce"),
]


@pytest.mark.parametrize(("text", "code"), BAD_FRAMES)
async def test_bad_frames_get_an_error_only_for_the_sender(connect_room, text, code):
    sender = await connect_room("lobby")
    other = await connect_room("lobby")
    await sender.send_text(text)
    error = await sender.receive()
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    assert await other.receive_nothing()


@pytest.mark.parametrize(("text", "code"), BAD_FRAMES)
async def test_the_connection_stays_usable_after_a_bad_frame(connect_room, text, code):
    sender = await connect_room("lobby")
    await sender.send_text(text)
    assert (await sender.receive())["code"] == code
    await sender.send({"message": "still here"})
    assert (await sender.receive())["message"] == "still here"


async def test_a_message_over_the_limit_is_refused(connect_room, settings):
    settings.CHAT_MESSAGE_MAX_LENGTH = 10
    sender = await connect_room("lobby")
    other = await connect_room("lobby")
    await sender.send({"message": "x" * 11})
    error = await sender.receive()
    assert error["code"] == "message_too_long"
    assert "limit is 10" in error["detail"]
    assert await other.receive_nothing()
    await sender.send({"message": "x" * 10})
    assert (await other.receive())["message"] == "x" * 10


async def test_the_default_limit_is_4000_characters(connect_room):
    sender = await connect_room("lobby")
    await sender.send({"message": "x" * 4000})
    assert (await sender.receive())["type"] == "message"
    await sender.send({"message": "x" * 4001})
    assert (await sender.receive())["code"] == "message_too_long"


async def test_a_binary_frame_is_refused_and_the_socket_stays_open(connect_room):
    sender = await connect_room("lobby")
    await sender.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await sender.receive())["code"] == "binary_frame"
    await sender.send({"message": "after binary"})
    assert (await sender.receive())["message"] == "after binary"


async def test_html_in_a_message_is_delivered_as_plain_text(connect_room):
    alice = await connect_room("lobby")
    payload = "<img src=x onerror=alert(1)>"
    await alice.send({"message": payload})
    assert (await alice.receive())["message"] == payload


async def test_a_cross_origin_handshake_is_denied():
    # Denied before accept; Daphne answers such a handshake with HTTP 403 (see e2e).
    communicator = WebsocketCommunicator(
        application, "/ws/chat/lobby/", headers=[(b"origin", b"http://evil.example"), HOST]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_handshake_without_origin_is_rejected():
    communicator = WebsocketCommunicator(application, "/ws/chat/lobby/", headers=[HOST])
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.parametrize(
    ("room", "reason"),
    [("semi;colon", "can't be used"), ("x" * 101, "at most 100"), ("", "Enter a room name")],
)
async def test_a_bad_room_name_is_closed_with_4400(room, reason):
    errors_before = errors_sent("invalid_room")
    client = ChatClient(f"/ws/chat/{room}/")
    connected, _ = await client.connect()
    assert connected
    error = await client.receive()
    assert error["code"] == "invalid_room"
    assert reason in error["detail"]
    closed = await client.communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4400}
    assert errors_sent("invalid_room") == errors_before + 1


async def test_frames_that_follow_a_refusal_are_dropped_without_harm():
    client = ChatClient("/ws/chat/semi;colon/")
    await client.connect()
    assert (await client.receive())["code"] == "invalid_room"
    await client.send({"message": "are you there?"})
    await client.send({"type": "typing"})
    await client.send_text("not json")
    assert await client.communicator.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": 4400,
    }
    assert await client.communicator.receive_nothing(timeout=0.2)
    assert not client.communicator.future.done()  # the connection's work did not fail


async def test_an_unknown_websocket_path_is_closed_with_4404():
    client = ChatClient("/ws/nowhere/")
    await client.connect()
    assert (await client.receive())["code"] == "not_found"
    closed = await client.communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4404}


async def test_deletes_past_the_burst_are_refused_with_rate_limited(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 0.01
    settings.CHAT_RATE_BURST = 2
    alice = await connect_room("flood-deletes")
    ack = await alice.post("mine")
    await alice.send({"type": "delete", "seq": ack["seq"]})
    assert (await alice.receive())["type"] == "delete"
    await alice.send({"type": "delete", "seq": ack["seq"]})
    assert (await alice.receive())["code"] == "rate_limited"


async def test_a_flooding_connection_is_logged_once_however_much_more_it_sends(
    connect_room, settings, caplog
):
    settings.CHAT_RATE_LIMIT = 0.01
    settings.CHAT_RATE_BURST = 1
    alice = await connect_room("flood-logged")
    await alice.post("allowed")
    for _ in range(30):
        await alice.send({"message": "refused"})
    outputs = []
    while not await alice.communicator.receive_nothing(timeout=0.5):
        outputs.append(await alice.communicator.receive_output())
    assert outputs.count({"type": "websocket.close", "code": 4429}) == 1
    logged = [r for r in caplog.records if "keeps flooding" in r.getMessage()]
    assert len(logged) == 1


async def test_a_resume_past_the_connections_allowance_waits_its_turn(connect_room, monkeypatch):
    monkeypatch.setattr(post_gate, "RESUME_BURST", 1)
    monkeypatch.setattr(post_gate, "RESUME_INTERVAL", 2.0)
    alice = await connect_room("resumes")
    await alice.send({"type": "resume", "after": 0})
    await alice.send({"type": "resume", "after": 0})
    assert (await alice.receive())["type"] == "ready"
    assert await alice.receive_nothing(timeout=0.5, kinds={"ready", "error"})
    assert (await alice.receive(timeout=5))["type"] == "ready"  # slowed down, not refused


async def test_a_connection_ends_without_a_trip_to_the_database_thread(connect_room, monkeypatch):
    trips = []

    async def close_old_connections():
        trips.append("closed old database connections")

    monkeypatch.setattr("channels.generic.websocket.aclose_old_connections", close_old_connections)
    alice = await connect_room("lobby")
    await alice.close()
    assert trips == []
