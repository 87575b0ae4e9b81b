"""HTTP hardening: refused hosts, the Content-Security-Policy, and the deploy checks."""

import logging
import os
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from devtools.chat_server import BACKEND_DIR

pytestmark = pytest.mark.django_db


def test_a_host_not_served_gets_400_and_one_log_line_without_traceback(caplog):
    with caplog.at_level(logging.WARNING):
        response = Client(HTTP_HOST="evil.example").get("/chat/")
    assert response.status_code == 400
    refusals = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert len(refusals) == 1
    assert refusals[0].exc_info is None and refusals[0].exc_text is None
    assert [r.name for r in caplog.records if r.exc_info] == []


def test_pages_carry_a_strict_content_security_policy():
    response = Client().get("/chat/")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


def _production_env(**env: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHAT_OPS_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="chat.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://chat.example.com",
        **env,
    )
    return environment


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py <args>`` with the production settings and ``env``."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BACKEND_DIR,
        env=_production_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    return manage("check", "--deploy", "--fail-level", "WARNING", **env)


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = _check_deploy(DJANGO_HTTPS="1")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_https():
    result = _check_deploy()
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


REQUESTS_OVER_HTTP = """
from django.test import Client
client = Client(HTTP_HOST="chat.example.com")
for path in ("/chat/", "/healthz", "/readyz", "/metrics"):
    response = client.get(path)
    print(path, response.status_code, response.get("Location", "-"))
secure = client.get("/healthz", secure=True)
print("https", secure["Strict-Transport-Security"])
"""


def test_https_redirects_pages_and_sends_hsts_but_leaves_the_probes_on_http(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REQUESTS_OVER_HTTP],
        cwd=BACKEND_DIR,
        env=_production_env(DJANGO_HTTPS="1", CHAT_DATA_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = result.stdout.splitlines()
    assert "/chat/ 301 https://chat.example.com/chat/" in lines, result.stderr
    assert "/healthz 200 -" in lines
    assert "/metrics 200 -" in lines
    assert [line for line in lines if line.startswith("/readyz ")][0].split()[2] == "-"
    assert "https max-age=31536000; includeSubDomains; preload" in lines
