"""Who a message is from: decided by the server, never by the frame."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.identity import InvalidDisplayName, display_name_clean
from chat.tests.helpers import guest_session, user_session

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password="pw-for-tests-1")


async def test_a_guest_keeps_one_name_in_every_tab(connect_room):
    session = await guest_session("guest-1234")
    tab_one = await connect_room("names", session=session)
    tab_two = await connect_room("names", session=session)
    assert (tab_one.identity["user"], tab_one.identity["guest"]) == ("guest-1234", True)
    assert tab_two.identity == tab_one.identity
    assert (await tab_one.post("one"))["user"] == "guest-1234"
    await tab_two.receive()
    assert (await tab_two.post("two"))["user"] == "guest-1234"


async def test_two_sessions_are_two_guests(connect_room):
    alice = await connect_room("guests", session=await guest_session())
    bob = await connect_room("guests", session=await guest_session())
    await alice.post("hi", nonce="n")
    await bob.receive()
    # The nonce is scoped to the sender, so bob's identical nonce is a new message.
    assert (await bob.post("hi", nonce="n"))["seq"] == 2


async def test_a_new_visitor_is_given_a_guest_name(connect_room):
    client = await connect_room("fresh")
    assert client.identity["guest"] is True
    assert client.identity["user"].startswith("guest-")


async def test_a_signed_in_user_posts_under_their_username(connect_room):
    user = await make_user("alice")
    client = await connect_room("users", session=await user_session(user))
    assert (client.identity["user"], client.identity["guest"]) == ("alice", False)
    ack = await client.post("hello")
    assert (ack["user"], ack["guest"]) == ("alice", False)


async def test_the_author_in_a_frame_is_ignored(connect_room):
    await make_user("admin")
    client = await connect_room("forge", session=await guest_session("guest-0001"))
    await client.send({"message": "trust me", "user": "admin", "guest": False})
    ack = await client.receive()
    assert (ack["user"], ack["guest"]) == ("guest-0001", True)


def test_a_guest_cannot_take_a_registered_name(db):
    get_user_model().objects.create_user(username="Alice", password="pw-for-tests-1")
    for attempt in ("Alice", "alice", "ALICE", " alice "):
        with pytest.raises(InvalidDisplayName, match="belongs to a registered user"):
            display_name_clean(attempt)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "Enter a name"),
        ("x" * 33, "at most 32"),
        ("<b>", "“<” can't be used"),
        ("..", "letter"),
    ],
)
def test_bad_display_names_are_refused_with_the_reason(db, raw, reason):
    with pytest.raises(InvalidDisplayName, match=reason):
        display_name_clean(raw)


def test_display_names_in_any_script_are_accepted(db):
    assert display_name_clean("  Zoë   日本 ") == "Zoë 日本"


async def test_renaming_reaches_open_tabs_and_later_messages(connect_room):
    session = await guest_session("guest-7777")
    tab = await connect_room("rename", session=session)

    @database_sync_to_async
    def rename_over_http():
        client = Client()
        client.cookies["sessionid"] = session
        page = client.get("/accounts/name/")
        return client.post(
            "/accounts/name/",
            {"name": "Marie", "csrfmiddlewaretoken": page.context["csrf_token"]},
        )

    response = await rename_over_http()
    assert response.status_code == 302
    renamed = await tab.receive()
    assert (renamed["type"], renamed["user"], renamed["guest"]) == ("identity", "Marie", True)
    assert (await tab.post("bonjour"))["user"] == "Marie"
    again = await connect_room("rename", session=session)
    assert again.identity["user"] == "Marie"


async def test_a_visitor_without_a_session_is_a_guest_for_that_connection_alone(connect_room):
    first, second = await connect_room("fresh"), await connect_room("fresh")
    assert first.identity["id"] != second.identity["id"]
    # "#" is in no name a guest can choose or be given, so it can't pose as one.
    assert first.identity["user"].startswith("guest-#")


@pytest.fixture
def writes(monkeypatch):
    """Every statement that changes the database, from any thread, while the test runs."""
    from django.db.backends.utils import CursorWrapper

    seen: list[str] = []
    execute = CursorWrapper.execute

    def recording(self, sql, params=None):
        if sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
            seen.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", recording)
    return seen


async def test_a_handshake_writes_nothing_to_the_database(connect_room, writes):
    user_key = await user_session(await make_user("alice"))
    guest_key = await guest_session("guest-1234")
    writes.clear()
    for session in (None, guest_key, user_key):
        client = await connect_room("quiet", session=session)
        await client.close()
    assert writes == []


def _signed_in_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db
def test_sessions_read_together_are_who_each_session_alone_is():
    from django.contrib.sessions.models import Session

    from chat.identity import identities_of_sessions, identity_of_session
    from chat.tests.membership import guest_session_key

    people = get_user_model().objects
    staff = people.create_user(username="staffer", password="pw-for-tests-1", is_staff=True)
    member = people.create_user(username="member", password="pw-for-tests-1")
    inactive = people.create_user(username="gone", password="pw-for-tests-1")
    changed = people.create_user(username="changed", password="pw-for-tests-1")
    deleted = people.create_user(username="deleted", password="pw-for-tests-1")
    keys = {
        "staff": _signed_in_session(staff),
        "member": _signed_in_session(member),
        "guest": guest_session_key("guest-0042"),
        "inactive": _signed_in_session(inactive),
        "password changed": _signed_in_session(changed),
        "account deleted": _signed_in_session(deleted),
        "expired": _signed_in_session(people.create_user(username="late", password="pw-1-ab")),
        "unknown": "no-such-session-key",
    }
    inactive.is_active = False
    inactive.save()
    changed.set_password("another-pw-for-tests")
    changed.save()
    deleted.delete()
    Session.objects.filter(session_key=keys["expired"]).update(expire_date=timezone.now())
    order = [*keys.values(), keys["member"]]  # a session twice: two tabs
    with CaptureQueriesContext(connection) as queries:
        together = identities_of_sessions(order)
    alone = [identity_of_session(key) for key in order]
    assert together == alone
    assert [identity.name if identity else None for identity in together] == [
        "staffer", "member", "guest-0042", None, None, None, None, None, "member"
    ]  # fmt: skip
    assert len(queries) == 2  # the sessions, then their users


@pytest.mark.django_db
def test_a_session_of_a_backend_no_longer_allowed_signs_no_one_in(settings):
    from chat.identity import identities_of_sessions

    user = get_user_model().objects.create_user(username="elsewhere", password="pw-for-tests-1")
    key = _signed_in_session(user)
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend"]
    assert identities_of_sessions([key]) == [None]
