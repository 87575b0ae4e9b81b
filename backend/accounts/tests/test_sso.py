"""Single sign-on through a real OpenID Connect provider (oidc-provider, run with Node):
the sign-up policy applies to people it signs in for the first time."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client

from chat.models import Membership
from chat.tests.membership import api, client_of, person_new
from devtools.oidc_provider import OidcProvider

pytestmark = pytest.mark.django_db

CHAT = "http://testserver"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    started = OidcProvider(CHAT).start(tmp_path_factory.mktemp("oidc") / "provider.log")
    yield started
    started.stop()


@pytest.fixture
def sso(settings, provider):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Example SSO",
                    "client_id": provider.client_id,
                    "secret": provider.client_secret,
                    "settings": {"server_url": provider.issuer},
                }
            ]
        }
    }
    return provider


def _sso_sign_in(client: Client, login: str):
    """Press "Sign in with …", sign in at the provider as ``login`` (its own pages, in a
    second HTTP client standing for the browser there), and come back with its code."""
    response = client.post("/accounts/oidc/sso/login/")
    assert response.status_code == 302, response.content[:500]
    at_provider = requests.Session()
    location = response["Location"]
    for _ in range(12):
        if location.startswith(CHAT):
            split = urlsplit(location)
            return client.get(f"{split.path}?{split.query}")
        page = at_provider.get(location, allow_redirects=False, timeout=10)
        while page.status_code == 200:  # the provider's sign-in page, then its consent page
            action = urljoin(page.url, re.search(r'action="([^"]+)"', page.text).group(1))
            fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
            if fields.get("prompt") == "login":
                fields |= {"login": login, "password": "any"}
            page = at_provider.post(action, data=fields, allow_redirects=False, timeout=10)
        location = urljoin(page.url, page.headers["Location"])
    raise AssertionError("the provider never sent the browser back")


def test_the_login_page_names_the_provider(sso):
    page = Client().get("/accounts/login/").content.decode()
    assert "Sign in with Example SSO" in page


def test_open_sign_up_makes_an_account_at_the_first_sso_sign_in(settings, sso):
    settings.CHAT_SIGNUP = "open"
    browser = Client()
    response = _sso_sign_in(browser, "carol")
    assert response.status_code == 302
    carol = get_user_model().objects.get(username="carol")
    assert carol.email == "carol@example.com"
    assert browser.session[SESSION_KEY] == str(carol.pk)
    assert Membership.objects.filter(user=carol, room__name="general").exists()


def test_an_sso_account_signs_in_again_as_itself(settings, sso):
    settings.CHAT_SIGNUP = "open"
    _sso_sign_in(Client(), "carol")
    again = Client()
    _sso_sign_in(again, "carol")
    assert get_user_model().objects.filter(username="carol").count() == 1
    assert again.session[SESSION_KEY] == str(get_user_model().objects.get(username="carol").pk)


def test_a_deactivated_person_signing_in_by_sso_is_refused_saying_so(settings, sso):
    settings.CHAT_SIGNUP = "open"
    _sso_sign_in(Client(), "carol")
    get_user_model().objects.filter(username="carol").update(is_active=False)
    browser = Client()
    response = _sso_sign_in(browser, "carol")
    page = browser.get(response["Location"]) if response.status_code == 302 else response
    assert 'id="account-inactive"' in page.content.decode()
    assert SESSION_KEY not in browser.session


def test_invite_only_refuses_an_unknown_sso_person_without_an_invitation(settings, sso):
    settings.CHAT_SIGNUP = "invite"
    browser = Client()
    response = _sso_sign_in(browser, "stranger")
    assert 'id="signup-closed"' in response.content.decode()
    assert not get_user_model().objects.filter(username="stranger").exists()
    assert SESSION_KEY not in browser.session


def test_invite_only_signs_up_an_sso_person_with_an_invitation(settings, sso):
    settings.CHAT_SIGNUP = "invite"
    boss = person_new("boss", is_staff=True)
    url = api(client_of(boss), "post", "/api/invitations/", {"role": "admin"}).json()["url"]
    browser = Client()
    browser.get(urlsplit(url).path)
    _sso_sign_in(browser, "deputy")
    assert get_user_model().objects.get(username="deputy").is_staff


def test_auto_sign_up_lets_sso_people_in_without_an_invitation(settings, sso):
    settings.CHAT_SIGNUP = "invite"
    settings.CHAT_OIDC_AUTO_SIGNUP = True
    _sso_sign_in(Client(), "colleague")
    assert get_user_model().objects.filter(username="colleague").exists()


def test_domains_sign_up_takes_sso_addresses_at_the_domains_only(settings, sso):
    settings.CHAT_SIGNUP = "domains"
    settings.CHAT_SIGNUP_DOMAINS = ["example.org"]
    _sso_sign_in(Client(), "outsider")  # the provider's addresses are @example.com
    assert not get_user_model().objects.filter(username="outsider").exists()


def test_an_invitation_used_up_during_sso_sign_up_leaves_no_account(rf, settings):
    """The invitation was good when the provider sent the person back, and gone (another
    person used it) by the time their account is saved: the 410 page, no account."""
    from allauth.core.exceptions import ImmediateHttpResponse
    from allauth.socialaccount.models import SocialAccount, SocialLogin
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.adapter import SocialAccountAdapter
    from organization.invitations import SESSION_KEY as INVITATION_KEY
    from organization.models import Invitation

    settings.CHAT_SIGNUP = "invite"
    boss = person_new("boss", is_staff=True)
    made = api(client_of(boss), "post", "/api/invitations/", {"role": "member"}).json()
    Invitation.objects.filter(pk=made["id"]).update(uses=1)  # used up meanwhile
    request = rf.get("/accounts/oidc/sso/login/callback/")
    request.session = SessionStore()
    request.session[INVITATION_KEY] = made["id"]
    user = get_user_model()(username="latecomer")
    login = SocialLogin(user=user, account=SocialAccount(provider="sso", uid="late-1"))
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().save_user(request, login)
    assert refused.value.response.status_code == 410
    assert not get_user_model().objects.filter(username="latecomer").exists()
    assert not SocialAccount.objects.filter(uid="late-1").exists()
