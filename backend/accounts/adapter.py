"""How django-allauth signs people up here: who may (``CHAT_SIGNUP``: an invitation, an
e-mail domain, or anyone), which usernames and e-mail addresses are taken, what an
invitation gives the new account, and e-mail that could not be sent."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError

from chat.identity import USERNAME_LOOKS_TAKEN, username_alike
from chat.services.mentions import BROADCAST_WORDS
from organization.invitations import (
    SESSION_KEY,
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
        "а" for a Latin "a", full-width letters, another case…), as for guests."""
        username = super().clean_username(username, shallow=shallow)
        if not shallow and username_alike(username) is not None:
            raise ValidationError(USERNAME_LOOKS_TAKEN.format(name=username))
        if username.lower() in BROADCAST_WORDS or group_named(username):
            raise ValidationError(f"@{username} already mentions many people; pick another.")
        return username

    def clean_email(self, email: str) -> str:
        email = email_normalized(super().clean_email(email))
        request = self.request
        invited = request is not None and invitation_pending(request.session) is not None
        if settings.CHAT_SIGNUP == "domains" and not invited and not email_domain_allowed(email):
            domains = ", ".join(settings.CHAT_SIGNUP_DOMAINS)
            raise ValidationError(f"Sign up with an e-mail address at {domains}.")
        return email

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            account_joined(request, user)
        return user

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
        user = super().save_user(request, sociallogin, form=form)
        account_joined(request, user)
        return user


def account_joined(request, user) -> None:
    """A new account: its invitation used (with its role), and it joins ``general``."""
    invitation_id = request.session.pop(SESSION_KEY, None) if request is not None else None
    if invitation_id is not None:
        invitation_use(invitation_id=invitation_id, user=user)
    general_join(user)
