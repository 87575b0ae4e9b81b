"""People taking over the accounts an import made for them.

An imported account waits for its owner: inactive, without a password, its Slack
address kept beside it (``SlackPerson.email``) and not on the account, so nothing
signs in as it and nobody can reset its password. Whoever signs up with that
address (a password, an invitation, an allowed domain, single sign-on: see
accounts.adapter) gets that account instead of a new one, with its rooms, messages
and reactions; it signs in only once the address is confirmed, since it holds the
person's private conversations, and with a password chosen after that (through a
reset link sent to the address): the password typed at sign-up is not kept, as
whoever typed it may not own the address.
"""

from allauth.account.models import EmailAddress
from django.utils import timezone

from chat.models import Message, Reaction
from imports.models import SlackPerson
from organization.mail import email_normalized


def account_claimable(email: str):
    """The account an import made for ``email`` that no one has signed up for yet, or
    None."""
    if not email:
        return None
    person = (
        SlackPerson.objects.filter(email=email_normalized(email), joined__isnull=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return None if person is None else person.user


def account_claim(user) -> None:
    """``user`` (account_claimable's) is someone's from now: active (saved with the rest
    of their sign-up by the caller), no longer waiting."""
    user.is_active = True
    SlackPerson.objects.filter(user=user, joined__isnull=True).update(joined=timezone.now())


def history_names_keep(user, imported_name: str) -> None:
    """After a claimed account took another username than the import gave it: its
    messages and reactions go under the new one."""
    if user.username == imported_name:
        return
    Message.objects.filter(author=user).update(author_name=user.username)
    Reaction.objects.filter(sender_key=f"user:{user.pk}").update(name=user.username)


def address_unconfirmed(user) -> EmailAddress | None:
    """For an account that came from an import and has no confirmed address yet: the
    address to confirm before it signs in. None for any other account."""
    if not SlackPerson.objects.filter(user=user).exists():
        return None
    addresses = EmailAddress.objects.filter(user=user)
    if addresses.filter(verified=True).exists():
        return None
    return addresses.order_by("-primary", "pk").first()


def account_waits_for_password(user) -> bool:
    """Whether ``user`` is a claimed imported account that has no password yet."""
    return not user.has_usable_password() and SlackPerson.objects.filter(user=user).exists()
