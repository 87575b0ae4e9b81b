"""A message refused for what it holds is answered with its nonce, so the sender's page
stops waiting for it (and doesn't send it again on every reconnect)."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("message", "code"),
    [("\u200b\u200b", "empty_message"), ("a" + "\u0301" * 3999, "too_many_marks")],
)
async def test_a_refused_message_is_answered_with_its_nonce(connect_room, message, code):
    client = await connect_room("refused-nonce")
    await client.send({"message": message, "nonce": "n-7"})
    error = await client.receive()
    assert (error["type"], error["code"], error.get("nonce")) == ("error", code, "n-7")
