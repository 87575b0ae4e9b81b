"""Who may join (CHAT_SIGNUP), invitations and join links, the first-run page, and the
e-mail of sign-up and password reset, sent through a real SMTP server."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.utils import timezone

from chat.models import Membership
from chat.tests.membership import api, client_of, error_code, person_new, private_room
from integrations.tokens import secret_hash
from organization.models import GuestAccount, Invitation

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-1"
User = get_user_model()


@pytest.fixture
def boss():
    return person_new("boss", is_staff=True)


@pytest.fixture
def invite_only(settings):
    settings.CHAT_SIGNUP = "invite"


@pytest.fixture
def domains(settings):
    settings.CHAT_SIGNUP = "domains"
    settings.CHAT_SIGNUP_DOMAINS = ["example.com"]
    settings.ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


def _invite(by, **body):
    return api(client_of(by), "post", "/api/invitations/", body)


def _sign_up(client: Client, username: str, email: str = ""):
    form = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    if email:
        form["email"] = email
    return client.post("/accounts/signup/", form)


def _path(url: str) -> str:
    return urlsplit(url).path


def _link(text: str) -> str:
    return re.search(r"https?://\S+", text).group(0)


# --- CHAT_SIGNUP=invite -------------------------------------------------------------------


def test_invite_only_sign_up_without_an_invitation_is_403_and_makes_nothing(invite_only):
    response = _sign_up(Client(), "stranger")
    assert response.status_code == 403
    assert 'id="signup-closed"' in response.content.decode()  # how to get invited
    assert not User.objects.filter(username="stranger").exists()


def test_an_invitation_signs_one_person_up_as_a_member_of_general(invite_only, boss):
    response = _invite(boss, role="member")
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "url", "expires_at", "role"} and body["role"] == "member"
    visitor = Client()
    assert visitor.get(_path(body["url"])).status_code == 302
    assert _sign_up(visitor, "newcomer").status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert not newcomer.is_staff
    assert Membership.objects.filter(user=newcomer, room__name="general").exists()
    again = Client().get(_path(body["url"]))
    assert again.status_code == 410 and "has been used" in again.content.decode()


def test_an_invitation_is_kept_only_as_the_hash_of_its_128_plus_bit_secret(boss):
    url = _invite(boss).json()["url"]
    secret = _path(url).rstrip("/").rpartition("/")[2]
    assert len(secret) >= 22  # 24 bytes of randomness, base64url
    stored = Invitation.objects.get()
    assert stored.token_hash == secret_hash(secret)
    assert secret not in {f.value_to_string(stored) for f in Invitation._meta.fields}


def test_an_admin_invitation_makes_an_admin(invite_only, boss):
    visitor = Client()
    visitor.get(_path(_invite(boss, role="admin").json()["url"]))
    _sign_up(visitor, "deputy")
    assert User.objects.get(username="deputy").is_staff


def test_a_guest_invitation_makes_a_guest_of_its_one_private_room(invite_only, boss):
    room = private_room("project-x", boss)
    until = (timezone.now() + timedelta(days=30)).isoformat()
    url = _invite(boss, role="guest", room="project-x", guest_until=until).json()["url"]
    visitor = Client()
    visitor.get(_path(url))
    _sign_up(visitor, "contractor")
    guest = User.objects.get(username="contractor")
    assert GuestAccount.objects.get(user=guest).until is not None
    rooms = set(Membership.objects.filter(user=guest).values_list("room__name", flat=True))
    assert rooms == {room.name}


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_an_expired_or_revoked_invitation_answers_410(invite_only, boss, how):
    body = _invite(boss).json()
    if how == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        assert api(client_of(boss), "delete", f"/api/invitations/{body['id']}/").status_code == 204
    assert Client().get(_path(body["url"])).status_code == 410


def test_invitations_are_listed_without_their_urls_and_only_to_admins(boss):
    made = _invite(boss, email="a@example.org").json()
    listed = api(client_of(boss), "get", "/api/invitations/").json()["invitations"]
    assert [(i["id"], i["url"], i["email"]) for i in listed] == [
        (made["id"], None, "a@example.org")
    ]
    member = person_new("alice")
    refused = api(client_of(member), "get", "/api/invitations/")
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    assert _invite(member).status_code == 403


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"role": "owner"}, "invalid_role"),
        ({"expires_in_days": 0}, "invalid_expiry"),
        ({"email": "not an address"}, "invalid_email"),
        ({"role": "member", "room": "general"}, "unknown_room"),
    ],
)
def test_a_bad_invitation_is_refused_by_name(boss, body, code):
    response = _invite(boss, **body)
    assert response.status_code in (400, 404) and error_code(response) == code
    assert not Invitation.objects.exists()


def test_a_join_link_is_used_up_to_its_uses_and_reset_to_a_new_url(invite_only, boss):
    body = _invite(boss, join_link=True, max_uses=2, expires_in_days=None).json()
    assert body["uses_left"] == 2 and body["expires_at"] is None
    for name in ("first", "second"):
        visitor = Client()
        visitor.get(_path(body["url"]))
        assert _sign_up(visitor, name).status_code == 302
    assert Client().get(_path(body["url"])).status_code == 410
    reset = api(client_of(boss), "post", f"/api/invitations/{body['id']}/reset/").json()
    assert reset["uses_left"] == 2 and reset["url"] != body["url"]
    assert Client().get(_path(reset["url"])).status_code == 302


# --- e-mail: invitations, sign-up by domain, password reset ----------------------------------


def test_an_invitation_with_an_address_is_e_mailed(boss, smtp_server):
    url = _invite(boss, email="New.Person@Example.org").json()["url"]
    (mail,) = smtp_server.wait_for(1)
    assert mail.recipients == ["new.person@example.org"]
    assert _link(mail.body) == url


def test_an_invitation_that_cant_be_e_mailed_is_503_and_not_made(boss, smtp_down):
    response = _invite(boss, email="someone@example.org")
    assert response.status_code == 503 and error_code(response) == "email_not_sent"
    assert not Invitation.objects.exists()


def test_domains_sign_up_refuses_other_domains(domains):
    response = _sign_up(Client(), "outsider", "outsider@elsewhere.net")
    assert response.status_code == 400
    assert "Sign up with an e-mail address at example.com" in response.content.decode()
    assert not User.objects.filter(username="outsider").exists()


def test_domains_sign_up_needs_the_e_mailed_link_before_signing_in(domains, smtp_server):
    visitor = Client()
    assert _sign_up(visitor, "insider", "insider@example.com").status_code == 302
    assert SESSION_KEY not in visitor.session
    (mail,) = smtp_server.wait_for(1)
    assert mail.recipients == ["insider@example.com"]
    login = {"login": "insider", "password": PASSWORD}
    early = Client()
    early.post("/accounts/login/", login)
    assert SESSION_KEY not in early.session  # not before the link is followed
    confirm = _path(_link(mail.body))
    assert visitor.post(confirm).status_code == 302
    browser = Client()
    browser.post("/accounts/login/", login)
    assert browser.session[SESSION_KEY] == str(User.objects.get(username="insider").pk)


def test_sign_up_whose_e_mail_cant_be_sent_makes_no_account(domains, smtp_down):
    response = _sign_up(Client(), "insider", "insider@example.com")
    assert response.status_code == 503
    assert 'id="email-not-sent"' in response.content.decode()
    assert not User.objects.filter(username="insider").exists()


def test_an_address_differing_only_in_case_or_unicode_form_is_taken(settings):
    settings.CHAT_SIGNUP = "open"
    assert _sign_up(Client(), "first", "anna@bücher.example").status_code == 302
    decomposed = "ANNA@BU\u0308cher.Example"  # U + combining diaeresis, other case
    response = _sign_up(Client(), "second", decomposed)
    assert response.status_code == 400
    assert "already registered with this email" in response.content.decode()
    assert not User.objects.filter(username="second").exists()


def test_password_reset_mails_a_link_that_sets_a_new_password(smtp_server):
    person = person_new("alice", email="alice@example.com")
    response = Client().post("/accounts/password/reset/", {"email": "Alice@Example.com"})
    assert response.status_code == 302
    (mail,) = smtp_server.wait_for(1)
    browser = Client()
    form_page = browser.get(_path(_link(mail.body)), follow=True)
    new = {"password1": "another-long-passphrase", "password2": "another-long-passphrase"}
    assert browser.post(form_page.redirect_chain[-1][0], new).status_code == 302
    person.refresh_from_db()
    assert person.check_password("another-long-passphrase")


def test_password_reset_does_not_say_whether_an_address_has_an_account(smtp_server):
    person_new("alice", email="alice@example.com")
    known = Client().post("/accounts/password/reset/", {"email": "alice@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_password_reset_whose_e_mail_cant_be_sent_says_so(smtp_down):
    person_new("alice", email="alice@example.com")
    response = Client().post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 503
    assert 'id="email-not-sent"' in response.content.decode()


# --- the first-run page -----------------------------------------------------------------------


def test_the_first_run_page_makes_the_owner_and_general_then_is_gone():
    browser = Client()
    assert browser.get("/setup/").status_code == 200
    form = {"username": "founder", "password1": PASSWORD, "password2": PASSWORD}
    response = browser.post("/setup/", form)
    assert response.status_code == 302 and response["Location"] == "/chat/general/?welcome=1"
    founder = User.objects.get(username="founder")
    assert founder.is_superuser and founder.is_staff
    assert Membership.objects.filter(user=founder, room__name="general").exists()
    assert browser.session[SESSION_KEY] == str(founder.pk)
    assert Client().get("/setup/").status_code == 404
    assert Client().post("/setup/", {**form, "username": "usurper"}).status_code == 404
    assert not User.objects.filter(username="usurper").exists()


def test_an_owner_made_with_createsuperuser_is_in_general_too():
    from django.core.management import call_command

    call_command("createsuperuser", "--noinput", "--username=keeper",
                 "--email=keeper@example.com", verbosity=0)  # fmt: skip
    keeper = User.objects.get(username="keeper")
    assert keeper.is_superuser
    assert Membership.objects.filter(user=keeper, room__name="general").exists()


@pytest.mark.django_db(transaction=True)
def test_first_run_pages_sent_at_once_make_one_owner():
    import threading

    from django.db import close_old_connections, connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's write lock, taken as a transaction begins, serializes them")
    start = threading.Barrier(3)
    answers = []

    def first_run(name: str) -> None:
        try:
            start.wait()
            form = {"username": name, "password1": PASSWORD, "password2": PASSWORD}
            answers.append(Client().post("/setup/", form).status_code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=first_run, args=(f"founder{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [302, 404, 404]
    assert User.objects.filter(is_superuser=True).count() == 1
