"""An open connection ends when what signed it in no longer does: a log-out of its
session, a revoked token, an account changed. Checked once per notice, never per message."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat.services.people import person_credentials_changed
from chat.tests.helpers import HOST, ChatClient, user_session
from chat.tests.membership import person_new, staff_set
from integrations.tokens import token_create, token_revoke

pytestmark = pytest.mark.django_db(transaction=True)


async def _closed_signed_out(client: ChatClient) -> None:
    frame = await client.until(lambda frame: frame["type"] == "error", timeout=2)
    assert frame["code"] == "signed_out"
    assert await client.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4401,
    }


@database_sync_to_async
def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def test_logging_out_closes_that_sessions_sockets_within_two_seconds(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    browser = await _signed_in(alice)
    tab = await connect_room("creds", session=browser.cookies["sessionid"].value)
    await database_sync_to_async(browser.post)("/accounts/logout/")
    await _closed_signed_out(tab)


async def test_logging_out_leaves_the_persons_other_sessions_open(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    browser = await _signed_in(alice)
    await connect_room("creds", session=browser.cookies["sessionid"].value)
    phone = await connect_room("creds", session=await user_session(alice))
    await database_sync_to_async(browser.post)("/accounts/logout/")
    assert (await phone.post("still here"))["message"] == "still here"


async def test_revoking_a_token_closes_the_sockets_it_opened():
    alice = await database_sync_to_async(person_new)("alice")
    token, secret = await database_sync_to_async(token_create)(user=alice, name="script")
    client = ChatClient("/ws/chat/creds/", [HOST, (b"authorization", f"Bearer {secret}".encode())])
    assert (await client.connect())[0]
    await client.read_until_ready()
    await database_sync_to_async(token_revoke)(user=alice, token_id=token.pk)
    await _closed_signed_out(client)
    await client.close()


async def test_losing_staff_is_seen_by_open_sockets(connect_room):
    boss = await database_sync_to_async(person_new)("boss", is_staff=True)
    tab = await connect_room("creds", session=await user_session(boss))
    assert tab.identity["staff"] is True

    await database_sync_to_async(staff_set)(boss, False)
    frame = await tab.until(lambda frame: frame["type"] == "identity", timeout=2)
    assert frame["staff"] is False


async def test_a_session_named_as_ended_closes_before_it_is_removed(connect_room):
    """Django tells of a log-out before it flushes the session: the notice names it."""
    alice = await database_sync_to_async(person_new)("alice")
    key = await user_session(alice)
    tab = await connect_room("creds", session=key)
    await database_sync_to_async(person_credentials_changed)(user_id=alice.pk, ended_session=key)
    await _closed_signed_out(tab)
