"""Slash commands: registered by admins, run from a room's WebSocket against a real local
HTTP server, answered to the sender alone or to the room, refused saying why."""

from urllib.parse import parse_qs

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from chat.tests.helpers import user_session
from chat.tests.membership import api, client_of, error_code, person_new, private_room
from devtools.webhook_receiver import Receiver
from integrations.commands import command_parse

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    receiver = Receiver().start()
    settings.CHAT_OUTBOUND_ALLOW_HOSTS = frozenset({("127.0.0.1", receiver.port)})
    yield receiver
    receiver.stop()


def command_new(receiver, name: str = "weather") -> dict:
    admin = person_new("admin", is_staff=True)
    body = {"name": name, "url": receiver.url, "description": "The weather"}
    response = api(client_of(admin), "post", "/api/commands/", body)
    assert response.status_code == 201, response.content
    return response.json()


async def room_with_alice():
    alice = await database_sync_to_async(person_new)("alice")
    bob = await database_sync_to_async(person_new)("bob")
    await database_sync_to_async(private_room)("plans", alice, bob)
    return alice, bob


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("/weather paris  ", ("weather", "paris")),
        ("/Deploy", ("deploy", "")),
        ("/deploy api\nnow", ("deploy", "api\nnow")),
        ("/etc/hosts", None),
        ("hello /weather", None),
        ("/", None),
    ],
)
def test_a_command_is_a_slash_and_a_name_at_the_start(text, parsed):
    assert command_parse(text) == parsed


def test_admins_register_commands_and_everyone_may_list_them(receiver):
    made = command_new(receiver)
    assert made["secret"] and made["name"] == "weather"
    listed = api(client_of(person_new("someone")), "get", "/api/commands/").json()
    assert [c["name"] for c in listed["commands"]] == ["weather"]
    assert "secret" not in listed["commands"][0]


def test_a_member_may_not_register_one(receiver):
    body = {"name": "weather", "url": receiver.url}
    response = api(client_of(person_new("someone")), "post", "/api/commands/", body)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "url", "code"),
    [
        ("Not a name!", None, "invalid_name"),
        ("weather", None, "name_taken"),
        ("other", "http://10.1.1.1/x", "invalid_url"),
        ("other", "gopher://x", "invalid_url"),
    ],
)
def test_a_bad_command_is_refused_saying_why(receiver, name, url, code):
    command_new(receiver)
    staff = person_new("staff", is_staff=True)
    body = {"name": name, "url": url or receiver.url}
    response = api(client_of(staff), "post", "/api/commands/", body)
    assert response.status_code == 400 and error_code(response) == code
    assert response.json()["detail"]


async def test_an_ephemeral_answer_goes_to_the_sender_alone(connect_room, receiver):
    made = await database_sync_to_async(command_new)(receiver)
    receiver.reply = {"text": "Sunny, 21 °C", "response_type": "ephemeral"}
    alice, _ = await room_with_alice()
    tab = await connect_room("plans", session=await user_session(alice))
    await tab.send({"message": "/weather paris", "nonce": "n-1"})
    reply = await tab.until(lambda f: f["type"] == "command_reply", timeout=10)
    assert reply == {"type": "command_reply", "command": "/weather", "nonce": "n-1",
                     "text": "Sunny, 21 °C"}  # fmt: skip
    [asked] = receiver.received
    form = {key: values[0] for key, values in parse_qs(asked.body.decode()).items()}
    assert form["command"] == "/weather" and form["text"] == "paris"
    assert form["room"] == "plans" and form["user_name"] == "alice"
    assert form["token"] == made["secret"] and asked.signed_by(made["secret"])
    assert not await database_sync_to_async(Message.objects.filter(room__name="plans").exists)()


async def test_an_in_channel_answer_is_posted_to_the_room_as_the_command(connect_room, receiver):
    await database_sync_to_async(command_new)(receiver, "deploy")
    receiver.reply = {"text": "Deployed api", "response_type": "in_channel"}
    alice, bob = await room_with_alice()
    tab = await connect_room("plans", session=await user_session(alice))
    other = await connect_room("plans", session=await user_session(bob))
    await tab.send({"message": "/deploy api", "nonce": "n-1"})
    posted = await other.until(lambda f: f["type"] == "message", timeout=10)
    assert (posted["message"], posted["user"], posted["bot"]) == ("Deployed api", "deploy", True)
    reply = await tab.until(lambda f: f["type"] == "command_reply", timeout=10)
    assert reply["text"] is None and reply["nonce"] == "n-1"


async def test_a_failing_command_is_an_error_for_its_sender(connect_room, receiver):
    await database_sync_to_async(command_new)(receiver)
    receiver.fail = 1
    alice, _ = await room_with_alice()
    tab = await connect_room("plans", session=await user_session(alice))
    await tab.send({"message": "/weather", "nonce": "n-1"})
    error = await tab.until(lambda f: f["type"] == "error", timeout=10)
    assert error["code"] == "command_failed" and error["nonce"] == "n-1"
    assert "503" in error["detail"]


async def test_a_slash_that_names_no_command_is_a_message(connect_room, receiver):
    await database_sync_to_async(command_new)(receiver)  # /weather, not /shrug
    alice, _ = await room_with_alice()
    tab = await connect_room("plans", session=await user_session(alice))
    posted = await tab.post("/shrug it happens")
    assert posted["message"] == "/shrug it happens"
    assert receiver.received == []


async def test_someone_muted_in_the_room_cannot_run_a_command(connect_room, receiver):
    from datetime import timedelta

    from django.utils import timezone

    from chat.models import Mute, Room

    await database_sync_to_async(command_new)(receiver)
    alice, _ = await room_with_alice()

    def mute():
        room = Room.objects.get(name="plans")
        until = timezone.now() + timedelta(minutes=5)
        Mute.objects.create(room=room, sender_key=f"user:{alice.pk}", until=until)

    await database_sync_to_async(mute)()
    tab = await connect_room("plans", session=await user_session(alice))
    await tab.send({"message": "/weather", "nonce": "n-1"})
    error = await tab.until(lambda f: f["type"] == "error", timeout=10)
    assert error["code"] == "muted" and error["nonce"] == "n-1"
    assert receiver.received == []
