"""The Web Push settings: both VAPID keys or neither, each one that decodes, and a
pair; the cap on subscriptions per person."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications.keys import vapid_keys_new, vapid_keys_read

BACKEND = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv("CHAT_VAPID_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("CHAT_VAPID_PRIVATE_KEY", raising=False)
    return monkeypatch.setenv


def test_neither_key_is_push_off(env):
    assert vapid_keys_read() == ("", "")
    env("CHAT_VAPID_PUBLIC_KEY", "")
    env("CHAT_VAPID_PRIVATE_KEY", " ")
    assert vapid_keys_read() == ("", "")


def test_a_pair_is_read(env):
    public_key, private_key = vapid_keys_new()
    env("CHAT_VAPID_PUBLIC_KEY", public_key)
    env("CHAT_VAPID_PRIVATE_KEY", f"{private_key}\n")
    assert vapid_keys_read() == (public_key, private_key)


@pytest.mark.parametrize("which", ["CHAT_VAPID_PUBLIC_KEY", "CHAT_VAPID_PRIVATE_KEY"])
def test_one_key_without_the_other_is_refused(env, which):
    public_key, private_key = vapid_keys_new()
    env(which, public_key if which == "CHAT_VAPID_PUBLIC_KEY" else private_key)
    other = {"CHAT_VAPID_PUBLIC_KEY", "CHAT_VAPID_PRIVATE_KEY"} - {which}
    with pytest.raises(ImproperlyConfigured, match=f"{other.pop()} is not set"):
        vapid_keys_read()


@pytest.mark.parametrize(
    "name, value",
    [
        ("CHAT_VAPID_PRIVATE_KEY", "not base64 at all!"),
        ("CHAT_VAPID_PRIVATE_KEY", "c2hvcnQ"),  # 5 bytes
        ("CHAT_VAPID_PRIVATE_KEY", "A" * 43),  # 32 bytes of zeros: not a key
        ("CHAT_VAPID_PUBLIC_KEY", "BAAA"),
        ("CHAT_VAPID_PUBLIC_KEY", "B" + "A" * 86),  # 65 bytes, not a point on the curve
    ],
)
def test_a_key_that_does_not_decode_is_refused(env, name, value):
    public_key, private_key = vapid_keys_new()
    env("CHAT_VAPID_PUBLIC_KEY", public_key)
    env("CHAT_VAPID_PRIVATE_KEY", private_key)
    env(name, value)
    with pytest.raises(ImproperlyConfigured, match=f"^{name} is not a P-256"):
        vapid_keys_read()


def test_keys_of_different_pairs_are_refused(env):
    env("CHAT_VAPID_PUBLIC_KEY", vapid_keys_new()[0])
    env("CHAT_VAPID_PRIVATE_KEY", vapid_keys_new()[1])
    with pytest.raises(ImproperlyConfigured, match="CHAT_VAPID_PUBLIC_KEY is not the public key"):
        vapid_keys_read()


def test_the_server_does_not_start_half_configured():
    public_key, _ = vapid_keys_new()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_VAPID_")}
    environ.update(
        DJANGO_SETTINGS_MODULE="config.settings", DJANGO_SECRET_KEY="x", DJANGO_DEBUG="0"
    )
    environ["CHAT_VAPID_PUBLIC_KEY"] = public_key
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BACKEND,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "CHAT_VAPID_PRIVATE_KEY is not set" in result.stderr


def settings_value(name: str, **environ: str) -> subprocess.CompletedProcess:
    """``settings.<name>`` as the production settings read it from ``environ``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_SECRET_KEY="x", DJANGO_DEBUG="0")
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{name})"],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_subscriptions_cap_is_ten_or_read_from_the_environment():
    assert settings_value("CHAT_PUSH_SUBSCRIPTIONS_MAX").stdout.strip() == "10"
    read = settings_value("CHAT_PUSH_SUBSCRIPTIONS_MAX", CHAT_PUSH_SUBSCRIPTIONS_MAX="3")
    assert read.stdout.strip() == "3"
    zero = settings_value("CHAT_PUSH_SUBSCRIPTIONS_MAX", CHAT_PUSH_SUBSCRIPTIONS_MAX="0")
    assert zero.returncode != 0
    assert "CHAT_PUSH_SUBSCRIPTIONS_MAX='0' must be at least 1" in zero.stderr
