"""Settings from the environment: a value that can't be read stops start-up, naming it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_hosts, env_int, env_list


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (env_bool, "maybe", "CHAT_X='maybe' is not a boolean"),
        (env_int, "ten", "CHAT_X='ten' is not a whole number"),
        (env_int, "-1", "CHAT_X='-1' must be at least 0"),
        (env_float, "fast", "CHAT_X='fast' is not a number"),
        (env_float, "nan", "CHAT_X='nan' must be at least 0"),
        (env_float, "-0.5", "CHAT_X='-0.5' must be at least 0"),
    ],
)
def test_a_value_that_cannot_be_read_is_refused_with_its_name(monkeypatch, reader, raw, message):
    monkeypatch.setenv("CHAT_X", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        reader("CHAT_X", reader("CHAT_UNSET_FOR_THIS_TEST", 1))


@pytest.mark.parametrize(
    ("reader", "raw", "value"),
    [
        (env_bool, "yes", True),
        (env_bool, "0", False),
        (env_int, "12", 12),
        (env_float, "2.5", 2.5),
        (env_int, "", 7),  # empty means the default
    ],
)
def test_a_readable_value_is_used(monkeypatch, reader, raw, value):
    monkeypatch.setenv("CHAT_X", raw)
    assert reader("CHAT_X", 7) == value


def test_a_list_is_split_on_commas_and_trimmed(monkeypatch):
    monkeypatch.setenv("CHAT_X", " a, b ,,c ")
    assert env_list("CHAT_X", []) == ["a", "b", "c"]
    monkeypatch.delenv("CHAT_X")
    assert env_list("CHAT_X", ["d"]) == ["d"]


def test_sentinel_hosts_are_read_as_pairs(monkeypatch):
    monkeypatch.setenv("CHAT_X", "10.0.0.5:26379, sentinel-b:26380,[::1]:26381")
    assert env_hosts("CHAT_X") == [("10.0.0.5", 26379), ("sentinel-b", 26380), ("::1", 26381)]


@pytest.mark.parametrize("raw", ["sentinel-a", "sentinel-a:", ":26379", "a:port", "a:70000"])
def test_a_host_without_a_port_is_refused_with_an_example(monkeypatch, raw):
    monkeypatch.setenv("CHAT_X", f"10.0.0.5:26379,{raw}")
    with pytest.raises(ImproperlyConfigured, match=rf"CHAT_X: '{raw}' is not host:port \(say"):
        env_hosts("CHAT_X")
