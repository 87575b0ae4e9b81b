"""A Redis primary, its replica and three sentinels watching them, on free ports.

For the failover test: ``SentinelGroup(...).start()``, then ``env`` points the
chat at the sentinels, ``kill_primary()`` takes the primary away, and
``primary_port()`` tells which server the sentinels now name.
"""

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import redis

from devtools.redis_server import RedisServer
from devtools.waiting import free_port, stop_process, wait_until

MASTER_NAME = "chat"
SENTINELS = 3
QUORUM = 2
DOWN_AFTER_MS = 1000  # how long the primary may be silent before a sentinel thinks it down


def sentinel_argv(server_binary: str, config: Path) -> list[str]:
    """Debian's ``redis-sentinel`` when installed, else the server in sentinel mode."""
    found = shutil.which("redis-sentinel")
    return [found, str(config)] if found else [server_binary, str(config), "--sentinel"]


@dataclass
class SentinelGroup:
    binary: str  # redis-server or valkey-server
    data_dir: Path
    primary: RedisServer | None = None
    replica: RedisServer | None = None
    sentinel_ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list, repr=False)

    @property
    def env(self) -> dict[str, str]:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return {"REDIS_SENTINELS": hosts, "REDIS_SENTINEL_MASTER": MASTER_NAME}

    def start(self) -> "SentinelGroup":
        self.primary = RedisServer(self.binary, free_port(), self.data_dir / "primary").start()
        replica_of = ("--replicaof", "127.0.0.1", str(self.primary.port))
        self.replica = RedisServer(
            self.binary, free_port(), self.data_dir / "replica", extra_args=replica_of
        ).start()
        wait_until(self._replica_in_step, timeout=15, what="the replica to sync")
        for index in range(SENTINELS):
            self._start_sentinel(index)
        wait_until(self._sentinels_agree, timeout=30, what="the sentinels to find each other")
        return self

    def _start_sentinel(self, index: int) -> None:
        port = free_port()
        folder = self.data_dir / f"sentinel-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "sentinel.conf"  # a sentinel rewrites its own file
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.primary.port} {QUORUM}\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        log = open(folder / "sentinel.log", "ab")  # noqa: SIM115 - owned by the child
        self.processes.append(
            subprocess.Popen(
                sentinel_argv(self.binary, config),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        )
        log.close()
        self.sentinel_ports.append(port)

    def _replica_in_step(self) -> bool:
        info = self._info(self.replica.port, "replication")
        return info.get("master_link_status") == "up"

    def _sentinels_agree(self) -> bool:
        for port in self.sentinel_ports:
            try:
                master = self._client(port).sentinel_master(MASTER_NAME)
            except (redis.RedisError, OSError):
                return False
            if master.get("num-other-sentinels") != SENTINELS - 1 or master.get("num-slaves") != 1:
                return False
        return True

    def primary_port(self) -> int | None:
        """The primary's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                _host, primary = self._client(port).sentinel_get_master_addr_by_name(MASTER_NAME)
                return int(primary)
            except (redis.RedisError, OSError, TypeError):
                continue
        return None

    def kill_primary(self) -> None:
        self.primary.process.kill()
        self.primary.process.wait()

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)
        for server in (self.replica, self.primary):
            if server is not None:
                server.stop()

    @staticmethod
    def _client(port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def _info(self, port: int, section: str) -> dict:
        try:
            return self._client(port).info(section)
        except (redis.RedisError, OSError):
            return {}
