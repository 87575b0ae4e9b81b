"""Signed-in people for the ``connect`` scenario, made directly in the chat's database.

    python -m bench.people --count N ROOM [ROOM ...]

Run with the chat server's environment and ``DJANGO_SETTINGS_MODULE=config.settings``,
from backend/. Makes ``N`` users with unusable passwords (no password hashing), the
public rooms ``ROOM`` that don't exist yet, a membership for each person in each of
them (their sidebar), and a signed-in session for each person, as
``django.contrib.auth.login`` stores it. Prints ``{"cookie": <the session cookie's
name>, "sessions": [<session key>, ...]}``, one key a person.
"""

import argparse
import json
import secrets
import sys
from importlib import import_module

import django

# What ``login`` stores for a person signed in with a password (axes' backend, first in
# AUTHENTICATION_BACKENDS, only counts failures).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def people(count: int, rooms: list[str]) -> dict:
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.db import transaction

    from chat.models import Membership, Room
    from chat.rooms import room_name_clean

    if MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        raise SystemExit(f"{MODEL_BACKEND} is not in AUTHENTICATION_BACKENDS")
    names = [room_name_clean(room) for room in rooms]
    user_model = get_user_model()
    prefix = f"bench-{secrets.token_hex(4)}"
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        users = [user_model(username=f"{prefix}-{number}") for number in range(count)]
        for user in users:
            user.set_unusable_password()
        user_model.objects.bulk_create(users)  # sets their ids (PostgreSQL, SQLite ≥ 3.35)
        Room.objects.bulk_create([Room(name=name) for name in names], ignore_conflicts=True)
        room_ids = list(Room.objects.filter(name__in=names).values_list("pk", flat=True))
        Membership.objects.bulk_create(
            [Membership(room_id=room_id, user_id=user.pk) for user in users for room_id in room_ids]
        )
        keys = []
        for user in users:
            session = session_store()
            session[SESSION_KEY] = user._meta.pk.value_to_string(user)
            session[BACKEND_SESSION_KEY] = MODEL_BACKEND
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            keys.append(session.session_key)
    return {"cookie": settings.SESSION_COOKIE_NAME, "sessions": keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True, help="how many people")
    parser.add_argument("rooms", nargs="+", metavar="ROOM", help="the rooms of each sidebar")
    args = parser.parse_args()
    django.setup()
    json.dump(people(args.count, args.rooms), sys.stdout)


if __name__ == "__main__":
    main()
