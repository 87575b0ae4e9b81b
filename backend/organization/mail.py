"""E-mail to people (through Django's mail settings): what a failed SMTP conversation
raises, and the invitation e-mail."""

import smtplib
import unicodedata

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from chat.services import ActionRefused

# Refused, timed out, unreachable.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
EMAIL_NOT_SENT = _(
    "We couldn't send the e-mail just now. Nothing was changed: try again in a moment."
)


def email_normalized(email: str) -> str:
    """One form of an address: Unicode's composed form, lower case (an address differing
    only in case or Unicode form is the same address)."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def invitation_mail(*, email: str, url: str, inviter: str, role: str) -> None:
    """Send an invitation (in the language of the inviter's page); ActionRefused
    ``email_not_sent`` when the server can't."""
    context = {"url": url, "inviter": inviter, "role": role}
    body = render_to_string("organization/invitation_email.txt", context)
    try:
        send_mail(_("{name} invites you to the chat").format(name=inviter), body, None, [email])
    except MAIL_ERRORS:
        raise ActionRefused("email_not_sent", EMAIL_NOT_SENT) from None
