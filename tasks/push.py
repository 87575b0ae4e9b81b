"""Web Push: making the VAPID key pair the server signs pushes with."""

from invoke import task

from .common import BACKEND, PYTHON, dev_env


@task(name="keys")
def keys(c):
    """Print a new VAPID key pair as environment lines for development."""
    with c.cd(str(BACKEND)):
        # Without the configured pair, so a broken one doesn't stop making a new one.
        env = {**dev_env(), "CHAT_VAPID_PUBLIC_KEY": "", "CHAT_VAPID_PRIVATE_KEY": ""}
        c.run(f"{PYTHON} manage.py vapid_keys", env=env, pty=False)
