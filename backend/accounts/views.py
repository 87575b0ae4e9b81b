"""Sign up, a guest's display name, API tokens, and a page for a GET of log out (which only a
POST does)."""

import math

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from integrations.tokens import token_create, token_revoke, tokens_active

from accounts.forms import GuestNameForm, SignUpForm
from chat.identity import guest_name_keep, identity_of
from chat.services import ActionRefused, people


def _next_url(request, default: str = "/chat/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_next_url(request))
    status = 400 if form.errors else 200
    return render(
        request, "accounts/signup.html", {"form": form, "next": _next_url(request)}, status=status
    )


@require_http_methods(["GET", "POST"])
def guest_name(request):
    """A guest picks the name others see; signed-in users always post as their username."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
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
