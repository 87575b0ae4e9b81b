"""Helpers for the tests of private rooms, direct messages and the API: people, rooms
with members, signed-in test clients and JSON requests."""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from chat.access import dm_name
from chat.identity import GUEST_ID_SESSION_KEY, GUEST_NAME_SESSION_KEY, Identity
from chat.models import Membership, Room
from chat.rooms import public_person_id
from chat.services.storing import message_store


def person_new(username: str, **fields):
    return get_user_model().objects.create_user(username=username, password=None, **fields)


def identity(user) -> Identity:
    return Identity(f"user:{user.pk}", user.username, False, user.pk, user.is_staff)


def person_id(user) -> str:
    """The public id of a signed-up person, as in frames."""
    return public_person_id(f"user:{user.pk}")


def private_room(name: str, owner, *members) -> Room:
    room = Room.objects.create(name=name, kind=Room.Kind.PRIVATE)
    Membership.objects.create(room=room, user=owner, is_owner=True)
    for member in members:
        Membership.objects.create(room=room, user=member)
    return room


def dm_room(first, second) -> Room:
    low, high = sorted((first.pk, second.pk))
    room = Room.objects.create(name=dm_name(low, high), kind=Room.Kind.DM, dm_pair=f"{low}:{high}")
    Membership.objects.bulk_create(
        [Membership(room=room, user=first), Membership(room=room, user=second)]
    )
    return room


def post(room_name: str, author, text: str = "hi"):
    """Store a message from ``author`` (a user) in the room; returns it."""
    return message_store(room_name=room_name, identity=identity(author), text=text, nonce=None)[0]


def guest_session_key(name: str | None = None) -> str:
    """A saved guest session, as the room page leaves one; returns its key."""
    session = SessionStore()
    session[GUEST_ID_SESSION_KEY] = secrets.token_hex(8)
    session[GUEST_NAME_SESSION_KEY] = name or f"guest-{secrets.randbelow(10_000):04d}"
    session.create()
    return session.session_key


def client_of(user=None, *, guest: bool = False) -> Client:
    """A test client signed in as ``user``, or holding a guest session, or neither."""
    client = Client()
    if user is not None:
        client.force_login(user)
    elif guest:
        client.cookies[settings.SESSION_COOKIE_NAME] = guest_session_key()
    return client


def api(client: Client, method: str, path: str, body: dict | None = None, **extra):
    """A JSON request to the API."""
    if body is None:
        return getattr(client, method)(path, **extra)
    return getattr(client, method)(path, json.dumps(body), "application/json", **extra)


def error_code(response) -> str:
    """The code of an API refusal (which must have the error shape)."""
    body = response.json()
    assert body["type"] == "error" and body["detail"], body
    return body["code"]


def room_listed(client: Client, name: str) -> dict | None:
    """The room ``name`` in the client's ``GET /api/rooms/``, or None."""
    response = client.get("/api/rooms/")
    assert response.status_code == 200
    return next((room for room in response.json()["rooms"] if room["name"] == name), None)


async def frames_until_close(client) -> tuple[list[dict], int | None]:
    """Every frame a ChatClient's connection gets until it is closed, and the close code."""
    frames = []
    while True:
        output = await client.communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.append(json.loads(output["text"]))


def staff_set(user, is_staff: bool) -> None:
    """Give or take staff, saving the account as the admin does (its notice goes out)."""
    user = get_user_model().objects.get(pk=user.pk)
    user.is_staff = is_staff
    user.save()
