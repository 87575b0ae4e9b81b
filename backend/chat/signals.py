"""Changes made outside chat's services that open connections must hear of."""

from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from chat.identity import username_look_keep
from chat.services.people import person_credentials_changed


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    # Sent before the session is flushed: name it, so its connections close without
    # reading it back.
    if user is not None:
        person_credentials_changed(user_id=user.pk, ended_session=request.session.session_key)


@receiver(post_save, sender=get_user_model())
def _username_look_kept(sender, instance, created, update_fields=None, **kwargs) -> None:
    # Made, or saved with its username (a log-in only stamps last_login).
    if created or update_fields is None or "username" in update_fields:
        username_look_keep(instance)


@receiver(post_save, sender=get_user_model())
def _account_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    # A new account has nothing kept anywhere; a log-in only stamps last_login.
    if created or (update_fields is not None and set(update_fields) == {"last_login"}):
        return
    person_credentials_changed(user_id=instance.pk, deactivated=not instance.is_active)


@receiver(post_delete, sender=get_user_model())
def _account_deleted(sender, instance, **kwargs) -> None:
    person_credentials_changed(user_id=instance.pk)


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _second_factor_changed(sender, request=None, user=None, authenticator=None, **kwargs) -> None:
    # Whether they may connect under CHAT_REQUIRE_MFA changed: forget what was kept.
    if user is not None:
        person_credentials_changed(user_id=user.pk)
