"""Numbers too big for Python's int conversion or the database, and JSON nested too
deep, are refused with their error code over a live connection; nothing is logged as an
error and the connection stays usable."""

import logging

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

HUGE = "9" * 5000


def _errors_logged(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_huge_after_in_the_query_gets_invalid_after_and_the_history(connect_room, caplog):
    client = await connect_room("huge-query", query=f"after={HUGE}")
    assert [error["code"] for error in client.errors] == ["invalid_after"]
    assert (await client.post("still here"))["seq"] == 1
    assert not _errors_logged(caplog)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f'{{"type": "resume", "after": "{HUGE}"}}', "invalid_after"),
        (f'{{"type": "delete", "seq": "{HUGE}"}}', "invalid_seq"),
        (f'{{"type": "delete", "seq": {2**64}}}', "invalid_seq"),
        (f'{{"type": "resume", "after": {HUGE}}}', "invalid_json"),
        ('{"message": ' + "[" * 5000 + "]" * 5000 + "}", "invalid_json"),
    ],
)
async def test_a_frame_with_a_huge_number_or_deep_nesting_gets_its_error(
    connect_room, caplog, text, code
):
    client = await connect_room("huge-frames")
    await client.send_text(text)
    error = await client.receive()
    assert (error["type"], error["code"]) == ("error", code)
    assert (await client.post("still here"))["type"] == "message"
    assert not _errors_logged(caplog)
