"""Admission: a valid room name and a place under the connection caps, or a refusal."""

import pytest

from chat.protocol import CloseCode
from chat.ratelimit import connections_per_ip, connections_per_person
from chat.realtime.admission import Refused, admit
from chat.tests.helpers import guest_session, session_cookie

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
