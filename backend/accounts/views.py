"""Sign up (django-allauth's form, with the chat's rules on who may), password reset, the
first-run page, a guest's display name, API tokens, and a page for a GET of log out
(which only a POST does)."""

import math

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import connection, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.adapter import EmailNotSent
from accounts.forms import GuestNameForm, OwnerForm
from chat.access import SIGN_IN_REQUIRED
from chat.identity import guest_name_keep, identity_of
from chat.services import ActionRefused, people
from integrations.tokens import token_create, token_revoke, tokens_active
from organization.invitations import GENERAL_ROOM, InvitationGone, general_join
from organization.mail import EMAIL_NOT_SENT
from organization.models import Role
from organization.services import role_give


def _next_url(request, default: str = "/chat/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@require_http_methods(["GET", "POST"])
def signup(request):
    """allauth's sign-up, when CHAT_SIGNUP lets this visitor sign up (403 otherwise);
    all of it or nothing: an invitation used up meanwhile (410) or e-mail that can't be
    sent (503) leaves no account behind."""
    if not get_adapter(request).is_open_for_signup(request):
        context = {"mode": settings.CHAT_SIGNUP}
        return render(request, "account/signup_closed.html", context, status=403)
    try:
        with transaction.atomic():
            response = allauth_views.signup(request)
            if request.method == "POST" and response.status_code == 200:
                response.status_code = 400  # the form came back with its errors
            return response
    except InvitationGone as exc:
        return render(
            request, "organization/invitation_gone.html", {"detail": str(exc)}, status=410
        )
    except EmailNotSent:
        logout(request)
        return _email_not_sent(request)


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """allauth's password reset, which never says whether the address has an account;
    503 with the form again when the e-mail can't be sent."""
    try:
        return allauth_views.password_reset(request)
    except EmailNotSent:
        return _email_not_sent(request)


def _email_not_sent(request):
    context = {"detail": EMAIL_NOT_SENT, "again": request.get_full_path()}
    return render(request, "accounts/email_not_sent.html", context, status=503)


# The key of the advisory lock first-run pages take on PostgreSQL.
SETUP_LOCK = 0x5E7_0B


def setup_lock() -> None:
    """Make first-run pages sent at once wait for each other until the first commits, so
    only one owner is made: PostgreSQL's read-committed transactions would each see no
    account yet (SQLite's write lock, taken as a transaction begins, does it already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SETUP_LOCK])


@require_http_methods(["GET", "POST"])
def setup(request):
    """The first-run page: makes the owner while no account exists (404 after)."""
    if get_user_model().objects.exists():
        raise Http404("This chat is set up already.")
    form = OwnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            setup_lock()
            if get_user_model().objects.exists():  # made meanwhile in another tab
                raise Http404("This chat is set up already.")
            owner = form.save()
            role_give(owner, Role.OWNER)
            general_join(owner)
        login(request, owner, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(reverse("chat:room", args=[GENERAL_ROOM]) + "?welcome=1")
    return render(
        request, "accounts/setup.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def guest_name(request):
    """A guest picks the name others see; signed-in users always post as their username."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    if not settings.CHAT_GUESTS:
        return redirect_to_login(request.get_full_path())
    # A guest is made when they choose a name, not when they look at the form.
    identity = identity_of(request.user, request.session, create=request.method == "POST")
    form = GuestNameForm(
        request.POST or None,
        initial={"name": identity.name if identity else ""},
        guest_key=identity.key if identity else "",
    )
    if request.method == "POST" and form.is_valid():
        people.guest_rename(
            session=request.session, identity=identity, name=form.cleaned_data["name"]
        )
        return redirect(_next_url(request))
    status = 400 if form.errors else 200
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/guest_name.html", context, status=status)


def login_name(request, credentials: dict | None) -> str | None:
    """The name a log-in tried, for django-axes: allauth's form calls it "login" and
    passes it on as "username" or "email"; Django's admin form calls it "username"."""
    for source in (credentials or {}, getattr(request, "POST", {})):
        for field in ("login", "username", "email"):
            if source.get(field):
                return str(source[field]).strip().lower()
    return None


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a login refused after too many failures (the admin's too)."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"minutes": minutes, "next": _next_url(request)}
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class LogoutView(auth_views.LogoutView):
    """Django's log-out (a POST), and for a GET a page with the button that sends it."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "accounts/logout.html", {"next": _next_url(request)})


@require_POST
def guest(request):
    """Who the visitor is in chat, made a guest (with a session) if they weren't: the room
    page asks before it connects, so page views alone store no session."""
    if not settings.CHAT_GUESTS and not request.user.is_authenticated:
        return JsonResponse(
            {"type": "error", "code": "sign_in_required", "detail": SIGN_IN_REQUIRED}, status=401
        )
    identity = identity_of(request.user, request.session)
    if identity.is_guest:
        identity = guest_name_keep(identity, request.session)
    return JsonResponse({"user": identity.name, "guest": identity.is_guest})


NEW_TOKEN_KEY = "new_api_token"  # the session holds a new token until the page shows it


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """The account's personal API tokens: make one (its secret shown once, on the page
    the form leads to), revoke one."""
    error = ""
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                token_revoke(user=request.user, token_id=_int(request.POST["revoke"]))
            else:
                _, secret = token_create(user=request.user, name=request.POST.get("name", ""))
                request.session[NEW_TOKEN_KEY] = secret
            return redirect("tokens")
        except ActionRefused as exc:
            error = exc.detail
    context = {
        "tokens": tokens_active(user=request.user),
        "new_token": request.session.pop(NEW_TOKEN_KEY, ""),
        "error": error,
    }
    return render(request, "accounts/tokens.html", context, status=400 if error else 200)


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0
