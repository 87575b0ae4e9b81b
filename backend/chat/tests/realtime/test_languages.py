"""Error frames' ``detail`` in the connection's language (its person's profile's, else
the handshake's language cookie or Accept-Language), worked out when an error is sent;
``code`` is the same in every language."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from chat.tests.helpers import HOST, ORIGIN, ChatClient, session_cookie, user_session
from chat.tests.membership import person_new
from people.profiles import profile_update

pytestmark = pytest.mark.django_db(transaction=True)

NOT_JSON_DE = "Der Frame ist kein gültiges JSON"
EMPTY = {"message": "   ", "nonce": "n-1"}


def _headers(*extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [ORIGIN, HOST, *extra]


async def test_an_error_detail_comes_in_the_browsers_language(connect_room):
    client = await connect_room(
        "sprachen", headers=_headers((b"accept-language", b"de-DE,de;q=0.9,en;q=0.8"))
    )
    await client.send_text("not json")
    error = await client.receive()
    assert error["code"] == "invalid_json"
    assert error["detail"].startswith(NOT_JSON_DE)
    await client.send(EMPTY)
    error = await client.receive()
    assert error == {
        "type": "error", "code": "empty_message", "detail": "Die Nachricht ist leer.",
        "nonce": "n-1",
    }  # fmt: skip


async def test_without_a_language_of_its_own_a_connection_errs_in_language_code(connect_room):
    client = await connect_room("sprachen")
    await client.send(EMPTY)
    assert (await client.receive())["detail"] == "The message is empty."
    assert settings.LANGUAGE_CODE == "en"


async def test_the_switchers_cookie_wins_over_accept_language(connect_room):
    cookie = (b"cookie", f"{settings.LANGUAGE_COOKIE_NAME}=ar".encode())
    client = await connect_room("sprachen", headers=_headers(cookie, (b"accept-language", b"de")))
    await client.send(EMPTY)
    assert (await client.receive())["detail"] == "الرسالة فارغة."


async def test_the_profiles_language_wins_over_the_browsers(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(profile_update)(alice, {"language": "ar"})
    session = await user_session(alice)
    client = await connect_room(
        "sprachen", headers=_headers(session_cookie(session), (b"accept-language", b"de"))
    )
    await client.send(EMPTY)
    assert (await client.receive())["detail"] == "الرسالة فارغة."


async def test_a_new_profile_language_reaches_open_connections(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    session = await user_session(alice)
    client = await connect_room(
        "sprachen", headers=_headers(session_cookie(session), (b"accept-language", b"ar"))
    )
    await client.send(EMPTY)
    assert (await client.receive())["detail"] == "الرسالة فارغة."
    await database_sync_to_async(profile_update)(alice, {"language": "de"})
    # The profile's notices, in the order sent: its face (an identity frame), its language.
    await client.until(lambda frame: frame["type"] == "identity")
    await client.send(EMPTY)
    error = await client.until(lambda frame: frame["type"] == "error")
    assert error["detail"] == "Die Nachricht ist leer."


async def test_a_refused_handshake_says_why_in_the_browsers_language():
    client = ChatClient("/ws/chat/semi;colon/", headers=_headers((b"accept-language", b"de")))
    connected, _ = await client.connect()
    assert connected
    error = await client.receive()
    assert error["code"] == "invalid_room"
    assert error["detail"] == (
        "Raumnamen dürfen nur Buchstaben, Ziffern, „-“, „_“ und „.“ enthalten, aber nicht: „;“."
    )
    await client.close()
