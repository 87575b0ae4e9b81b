"""E-mail for what people missed (notifications.missed), through a real SMTP server, with
a fake clock: one e-mail per person per sweep, only what is still unread after
CHAT_EMAIL_NOTIFY_DELAY, never to someone with a tab open, in DND or who turned it off."""

import datetime

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Membership, Room
from chat.services.rooms import dm_open, read_mark
from chat.tests.helpers import user_session
from chat.tests.membership import api, client_of
from chat.tests.services.test_activity import _member, _post
from notifications.missed import missed_mail_sweep, unsubscribe_token
from people.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _short_delay(settings):
    settings.CHAT_EMAIL_NOTIFY_DELAY = 60
    settings.CHAT_SITE_URL = "https://chat.example.com/"


def _later(seconds: int = 61) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


async def _people(*names: str):
    from django.contrib.auth import get_user_model

    made = []
    for name in names:
        made.append(
            await get_user_model().objects.acreate(username=name, email=f"{name}@example.com")
        )
    return made


async def test_an_unread_mention_is_e_mailed_after_the_delay(smtp_server):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _post("design", alice, "@bob can you <b>check</b> the mockups?")
    assert await missed_mail_sweep(now=_later(30)) == 0  # not yet
    assert await missed_mail_sweep(now=_later()) == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail.recipients == ["bob@example.com"]
    assert mail.message["Subject"] == "You missed 1 message in design"
    assert "alice: @bob can you <b>check</b> the mockups?" in mail.body
    assert "https://chat.example.com/chat/design/#seq-1" in mail.body
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;check&lt;/b&gt;" in html and "<b>check</b>" not in html
    unsubscribe = str(mail.message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://chat.example.com/notifications/unsubscribe/")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_each_message_is_e_mailed_once(smtp_server):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _post("design", alice, "@bob one")
    assert await missed_mail_sweep(now=_later()) == 1
    assert await missed_mail_sweep(now=_later()) == 0
    await _post("design", alice, "@bob two")
    assert await missed_mail_sweep(now=_later()) == 1
    second = smtp_server.wait_for(2)[1]
    assert "two" in second.body and "one" not in second.body


async def test_reading_in_time_cancels_the_e_mail(smtp_server):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _post("design", alice, "@bob ping")
    room = await Room.objects.aget(name="design")
    await database_sync_to_async(read_mark)(room=room, user=bob, seq=1)
    assert await missed_mail_sweep(now=_later()) == 0
    assert smtp_server.messages == []


async def test_one_e_mail_gathers_several_rooms_and_dms(smtp_server):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _post("design", alice, "@bob mockups")
    dm, _ = await database_sync_to_async(dm_open)(user=alice, username="bob")
    await _post(dm.name, alice, "lunch?")
    await _post(dm.name, alice, "at noon")
    assert await missed_mail_sweep(now=_later()) == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail.message["Subject"] == "You missed 3 messages in 2 conversations"
    assert "a direct message from alice" in mail.body and "at noon" in mail.body


async def test_a_plain_message_in_a_room_is_not_e_mailed_at_the_default_level(smtp_server):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _post("design", alice, "no mention here")
    assert await missed_mail_sweep(now=_later()) == 0


async def test_someone_with_a_tab_open_is_not_e_mailed(smtp_server, connect_room):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _member("random", bob)
    tab = await connect_room("random", session=await user_session(bob))
    await tab.until(lambda frame: frame["type"] == "presence", timeout=5)
    await _post("design", alice, "@bob ping")
    assert await missed_mail_sweep(now=_later()) == 0


@pytest.mark.parametrize("quiet", ["dnd", "email_off", "level_nothing"])
async def test_no_e_mail_in_dnd_when_turned_off_or_for_a_silenced_room(smtp_server, quiet):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    if quiet == "dnd":
        await Profile.objects.acreate(user=bob, dnd_until=_later(3600))
    elif quiet == "email_off":
        await Profile.objects.acreate(user=bob, email_notify=False)
    else:
        await Membership.objects.filter(user=bob).aupdate(level=Membership.Level.NOTHING)
    await _post("design", alice, "@bob ping")
    assert await missed_mail_sweep(now=_later()) == 0


async def test_an_e_mail_the_server_refused_is_sent_at_the_next_sweep(smtp_server, settings):
    alice, bob = await _people("alice", "bob")
    await _member("design", bob)
    await _post("design", alice, "@bob ping")
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, 1  # nothing listens there
    assert await missed_mail_sweep(now=_later()) == 0
    settings.EMAIL_PORT = port
    assert await missed_mail_sweep(now=_later()) == 1
    smtp_server.wait_for(1)


def test_the_one_click_unsubscribe_turns_e_mail_off(bob):
    token = unsubscribe_token(bob)
    page = client_of().get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200 and b"Stop these e-mails" in page.content
    done = client_of().post(f"/notifications/unsubscribe/{token}/")
    assert done.status_code == 200
    assert Profile.objects.get(user=bob).email_notify is False
    assert api(client_of(bob), "get", "/api/me/").json()["email_notify"] is False


def test_a_forged_unsubscribe_link_changes_nothing(bob):
    response = client_of().post(f"/notifications/unsubscribe/{unsubscribe_token(bob)}x/")
    assert response.status_code == 400
    assert not Profile.objects.filter(user=bob, email_notify=False).exists()


async def test_a_dm_with_only_ones_own_messages_stops_being_looked_at(smtp_server):
    alice, bob = await _people("alice", "bob")
    dm, _ = await database_sync_to_async(dm_open)(user=alice, username="bob")
    await _post(dm.name, alice, "a note to bob")
    await Membership.objects.filter(user=bob).aupdate(last_read_seq=1)  # bob read it
    assert await missed_mail_sweep(now=_later()) == 0
    mine = await Membership.objects.aget(room=dm, user=alice)
    assert mine.emailed_seq == 1  # alice's own message: passed, not e-mailed


def test_nothing_is_swept_without_a_mail_server(settings):
    from notifications.missed import mail_configured

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    assert not mail_configured()
    settings.EMAIL_HOST = "smtp.example.com"
    assert mail_configured()
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert mail_configured()


async def test_the_e_mail_is_written_in_the_language_of_the_persons_profile(smtp_server):
    alice, bob = await _people("alice", "bob")
    await Profile.objects.acreate(user=bob, language="de")
    await _member("design", bob)
    await _post("design", alice, "@bob schau mal")
    assert await missed_mail_sweep(now=_later()) == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail.message["Subject"] == "Sie haben 1 Nachricht in design verpasst"
    assert mail.body.startswith("Hallo bob,")
    assert "während Sie weg waren, hat 1 Nachricht auf Sie gewartet." in mail.body
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="de" dir="ltr">' in html
