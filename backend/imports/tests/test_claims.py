"""People signing up for the accounts an import made for them: whatever way they sign
up, the address of an imported person gets them that account and its history, which
opens once the address is confirmed (e-mail through a real SMTP server, single sign-on
through a real OpenID Connect provider)."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client

from accounts.tests.test_sso import _sso_sign_in, provider, sso  # noqa: F401 - its fixtures
from chat.models import Message, Reaction
from chat.tests.membership import api, client_of, person_new
from imports.models import SlackPerson
from imports.services import slack_import
from imports.tests.slack_export import ALICE, CAROL, export_write, workspace

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-1"
User = get_user_model()


@pytest.fixture
def slack(tmp_path):
    """The sample workspace, imported: its people by Slack id."""
    slack_import(path=export_write(tmp_path / "export.zip", **workspace()))
    return {person.slack_id: person.user for person in SlackPerson.objects.select_related("user")}


def _sign_up(client: Client, username: str, email: str):
    form = {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/signup/", form)


def _confirm(mail) -> None:
    link = re.search(r"https?://\S+", mail.body).group(0)
    assert Client().post(urlsplit(link).path).status_code == 302


def _choose_password(smtp_server, email: str, already: int) -> None:
    """What the confirmation page leads to: a reset link by e-mail, then the password."""
    assert Client().post("/accounts/password/reset/", {"email": email}).status_code == 302
    mail = smtp_server.wait_for(already + 1)[-1]
    link = re.search(r"https?://\S+", mail.body).group(0)
    browser = Client()
    form_page = browser.get(urlsplit(link).path, follow=True)
    chosen = {"password1": PASSWORD, "password2": PASSWORD}
    assert browser.post(form_page.redirect_chain[-1][0], chosen).status_code == 302


def _signed_in(username: str) -> Client:
    browser = Client()
    browser.post("/accounts/login/", {"login": username, "password": PASSWORD})
    return browser


def test_signing_up_with_an_imported_address_takes_that_account(slack, smtp_server):
    accounts = User.objects.count()
    browser = Client()
    response = _sign_up(browser, "alice", "ALICE@example.com")
    assert response.status_code == 302
    alice = User.objects.get(pk=slack[ALICE].pk)
    assert alice.username == "alice" and alice.email == "alice@example.com"
    assert alice.is_active and not alice.has_usable_password()  # chosen once confirmed
    assert SlackPerson.objects.get(slack_id=ALICE).joined is not None
    assert User.objects.count() == accounts
    assert alice.memberships.filter(room__name="general").exists()


def test_the_account_signs_in_with_its_history_once_the_address_is_confirmed(slack, smtp_server):
    browser = Client()
    _sign_up(browser, "alice", "alice@example.com")
    assert SESSION_KEY not in browser.session
    (mail,) = smtp_server.wait_for(1)
    assert mail.recipients == ["alice@example.com"]
    assert SESSION_KEY not in _signed_in("alice").session  # not before the link is followed
    _confirm(mail)
    assert SESSION_KEY not in _signed_in("alice").session  # no password kept from sign-up
    _choose_password(smtp_server, "alice@example.com", already=1)
    browser = _signed_in("alice")
    assert browser.session[SESSION_KEY] == str(slack[ALICE].pk)
    private = browser.get("/api/rooms/secret-plans/messages/").json()["messages"]
    assert [m["message"] for m in private] == ["The launch is on Friday"]


def test_a_claimed_account_may_take_another_username(slack, smtp_server):
    _sign_up(Client(), "alice.archer", "alice@example.com")
    alice = User.objects.get(pk=slack[ALICE].pk)
    assert alice.username == "alice.archer"
    assert set(Message.objects.filter(author=alice).values_list("author_name", flat=True)) == {
        "alice.archer"
    }
    assert not User.objects.filter(username="alice").exists()


def test_an_imported_name_stays_taken_for_everyone_else(slack):
    response = _sign_up(Client(), "alice", "someone@example.org")
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert not User.objects.filter(email="someone@example.org").exists()


def test_an_invitation_signs_up_into_the_imported_account_with_its_role(
    slack, smtp_server, settings
):
    settings.CHAT_SIGNUP = "invite"
    boss = person_new("boss", is_staff=True)
    url = api(client_of(boss), "post", "/api/invitations/", {"role": "admin"}).json()["url"]
    browser = Client()
    browser.get(urlsplit(url).path)
    assert _sign_up(browser, "alice", "alice@example.com").status_code == 302
    alice = User.objects.get(pk=slack[ALICE].pk)
    assert alice.is_active and alice.is_staff


def test_an_allowed_domain_signs_up_into_the_imported_account(slack, smtp_server, settings):
    settings.CHAT_SIGNUP = "domains"
    settings.CHAT_SIGNUP_DOMAINS = ["example.com"]
    settings.ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    assert _sign_up(Client(), "carol", "carol@example.com").status_code == 302
    (mail,) = smtp_server.wait_for(1)
    _confirm(mail)
    _choose_password(smtp_server, "carol@example.com", already=1)
    assert _signed_in("carol").session[SESSION_KEY] == str(slack[CAROL].pk)


@pytest.mark.usefixtures("sso")
def test_single_sign_on_signs_up_into_the_imported_account(slack, settings):
    settings.CHAT_SIGNUP = "open"
    browser = Client()
    _sso_sign_in(browser, "carol")  # the provider's carol@example.com, confirmed there
    carol = User.objects.get(pk=slack[CAROL].pk)
    assert browser.session[SESSION_KEY] == str(carol.pk)
    assert carol.is_active and carol.email == "carol@example.com"
    assert User.objects.filter(email="carol@example.com").count() == 1
    history = browser.get("/api/rooms/mpdm-alice--bob--carol-1/messages/").json()["messages"]
    assert [m["message"] for m in history] == ["Cake at four"]


def test_someone_with_the_address_confirmed_here_gets_the_history_in_their_account(tmp_path):
    boss = person_new("boss")
    EmailAddress.objects.create(user=boss, email="alice@example.com", verified=True, primary=True)
    imported = slack_import(path=export_write(tmp_path / "export.zip", **workspace()))
    assert (imported.accounts_new, imported.accounts_kept) == (2, 1)
    assert not User.objects.filter(username="alice").exists()
    hello = Message.objects.get(body__startswith="Hello")
    assert (hello.author_id, hello.author_name) == (boss.pk, "boss")
    assert SlackPerson.objects.get(slack_id=ALICE).joined is not None
    assert Reaction.objects.filter(sender_key=f"user:{boss.pk}").count() == 0  # gave none


def test_someone_who_signs_up_with_anothers_address_never_gets_in(slack, smtp_server):
    """A squatter types Alice's imported address and a password of theirs; Alice follows
    the confirmation link she was sent: the squatter's password still opens nothing."""
    _sign_up(Client(), "squatter", "alice@example.com")
    (mail,) = smtp_server.wait_for(1)
    response = Client().post(urlsplit(re.search(r"https?://\S+", mail.body).group(0)).path)
    assert response["Location"] == "/accounts/password/reset/"  # the owner chooses one
    assert SESSION_KEY not in _signed_in("squatter").session
    assert not User.objects.get(pk=slack[ALICE].pk).has_usable_password()
