"""How django-allauth signs people up here: who may (``CHAT_SIGNUP``: an invitation, an
e-mail domain, or anyone), which usernames and e-mail addresses are taken, what an
invitation gives the new account, and e-mail that could not be sent. Someone who signs
up with the address of an account an import made for them (imports.claims) gets that
account, and signs in once the address is confirmed."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chat.identity import USERNAME_LOOKS_TAKEN, username_alike
from chat.services.mentions import BROADCAST_WORDS
from imports.claims import (
    account_claim,
    account_claimable,
    account_waits_for_password,
    address_unconfirmed,
    history_names_keep,
)
from organization.invitations import (
    SESSION_KEY,
    InvitationGone,
    general_join,
    invitation_pending,
    invitation_use,
)
from organization.mail import MAIL_ERRORS, email_normalized
from people.groups import group_named


class EmailNotSent(Exception):
    """The e-mail server could not be reached or refused the message."""


def email_domain_allowed(email: str) -> bool:
    domain = email.rpartition("@")[2]
    return domain in settings.CHAT_SIGNUP_DOMAINS


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        if settings.CHAT_SIGNUP == "invite":
            return invitation_pending(request.session) is not None
        return True

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """allauth's checks, and no name that looks like another account's (a Cyrillic
        "а" for a Latin "a", full-width letters, another case…), as for guests. Signing up
        with an imported account's address, its own name may be kept."""
        claimed = None if shallow else self._account_claimed()
        besides = claimed.pk if claimed is not None else None
        username = super().clean_username(username, shallow=shallow or besides is not None)
        if besides is not None and _username_taken(username, besides=besides):
            raise self.validation_error("username_taken")
        if not shallow and username_alike(username, besides=besides) is not None:
            raise ValidationError(USERNAME_LOOKS_TAKEN.format(name=username))
        if username.lower() in BROADCAST_WORDS or group_named(username):
            raise ValidationError(
                _("@{name} already mentions many people; pick another.").format(name=username)
            )
        return username

    def clean_email(self, email: str) -> str:
        email = email_normalized(super().clean_email(email))
        request = self.request
        invited = request is not None and invitation_pending(request.session) is not None
        if settings.CHAT_SIGNUP == "domains" and not invited and not email_domain_allowed(email):
            domains = ", ".join(settings.CHAT_SIGNUP_DOMAINS)
            raise ValidationError(
                _("Sign up with an e-mail address at {domains}.").format(domains=domains)
            )
        return email

    def _account_claimed(self):
        """The imported account whose address the sign-up form gives, if any."""
        request = self.request
        if request is None or request.method != "POST":
            return None
        return account_claimable(request.POST.get("email", ""))

    def save_user(self, request, user, form, commit=True):
        """A new account, or the imported one of the address given (claimed)."""
        claimed = account_claimable(form.cleaned_data.get("email") or "")
        if claimed is not None:
            imported_name = claimed.username
            account_claim(claimed)
            user = claimed
        user = super().save_user(request, user, form, commit=commit)
        if claimed is not None:
            # Not the password typed here: whoever typed it may not own the address. The
            # owner sets one after confirming it (get_email_verification_redirect_url).
            user.set_unusable_password()
            if commit:
                user.save(update_fields=["password"])
        if commit:
            if claimed is not None:
                history_names_keep(user, imported_name)
            account_joined(request, user)
        return user

    def get_email_verification_redirect_url(self, email_address):
        """An imported account's address just confirmed: on to choosing a password (by a
        link sent to that address), as its sign-up kept none."""
        user = email_address.user
        if address_unconfirmed(user) is None and account_waits_for_password(user):
            return reverse("account_reset_password")
        return super().get_email_verification_redirect_url(email_address)

    def pre_login(self, request, user, **kwargs):
        """allauth's checks; and an account that came from an import signs in once its
        address is confirmed (whatever ACCOUNT_EMAIL_VERIFICATION says): it holds the
        person's private rooms and direct messages."""
        response = super().pre_login(request, user, **kwargs)
        if response is None and (address := address_unconfirmed(user)) is not None:
            address.send_confirmation(request, signup=kwargs.get("signup", False))
            response = self.respond_email_verification_sent(request, user)
        return response

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        try:
            super().send_mail(template_prefix, email, context)
        except MAIL_ERRORS as exc:
            raise EmailNotSent(str(exc)) from exc


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """With ``invite``, an unknown SSO user needs an invitation, unless
        CHAT_OIDC_AUTO_SIGNUP; with ``domains``, an address at one of the domains."""
        if invitation_pending(request.session) is not None:
            return True
        if settings.CHAT_SIGNUP == "invite":
            return settings.CHAT_OIDC_AUTO_SIGNUP
        if settings.CHAT_SIGNUP == "domains":
            emails = [email_normalized(a.email) for a in sociallogin.email_addresses]
            return any(email_domain_allowed(email) for email in emails)
        return True

    def save_user(self, request, sociallogin, form=None):
        """A new account, or the imported one of an address the provider gives (claimed);
        none at all, and the invitation's 410 page, when the invitation it signs up with
        was used up, revoked or expired meanwhile."""
        try:
            with transaction.atomic():
                return self._account_save(request, sociallogin, form)
        except InvitationGone as exc:
            page = render(request, "organization/invitation_gone.html", {"detail": str(exc)},
                          status=410)  # fmt: skip
            raise ImmediateHttpResponse(page) from None

    def _account_save(self, request, sociallogin, form):
        addresses = [address.email for address in sociallogin.email_addresses]
        claimed = next(filter(None, map(account_claimable, addresses)), None)
        if claimed is not None:
            imported_name = claimed.username
            account_claim(claimed)
            claimed.email = sociallogin.user.email
            sociallogin.user = claimed
        user = super().save_user(request, sociallogin, form=form)
        if claimed is not None:
            history_names_keep(user, imported_name)
        account_joined(request, user)
        return user


def _username_taken(username: str, *, besides: int) -> bool:
    """Whether an account other than ``besides`` has this username, whatever the case."""
    accounts = get_user_model().objects.filter(username__iexact=username)
    return accounts.exclude(pk=besides).exists()


def account_joined(request, user) -> None:
    """A new account: its invitation used (with its role), and it joins ``general``."""
    invitation_id = request.session.pop(SESSION_KEY, None) if request is not None else None
    if invitation_id is not None:
        invitation_use(invitation_id=invitation_id, user=user)
    general_join(user)
