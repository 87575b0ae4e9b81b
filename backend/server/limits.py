"""The open-file limit: every WebSocket holds a file descriptor.

Many systems start processes with a soft limit of 1,024 open files, far below
what a chat server holds. At start-up the server raises its soft limit to the
hard limit (which needs no privilege) and logs the result; when the hard limit
itself is low, it says how many connections that allows and how to raise it.
"""

import logging
import resource
from pathlib import Path

logger = logging.getLogger("server.limits")

# Files a process needs besides its WebSockets: Redis, the database, logs, the listening socket.
SPARE_FILES = 100
# Below this the log suggests raising the hard limit (systemd's LimitNOFILE, ulimit -Hn).
COMFORTABLE = 4096


def _kernel_cap() -> int:
    """The most open files the kernel allows one process (fs.nr_open)."""
    try:
        return int(Path("/proc/sys/fs/nr_open").read_text())
    except (OSError, ValueError):
        return 1_048_576


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit as far as allowed; returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _kernel_cap() if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as error:
            logger.warning(
                "could not raise the open-file limit from %d to %d (%s): each process can "
                "hold about %d connections",
                soft, target, error, max(soft - SPARE_FILES, 0),
            )  # fmt: skip
            return soft
        logger.info("raised the open-file limit from %d to %d", soft, target)
        soft = target
    if soft < COMFORTABLE:
        logger.warning(
            "the open-file limit is %d, the most allowed: each process can hold about %d "
            "connections; raise the hard limit (LimitNOFILE in a systemd unit, "
            "`ulimit -Hn` in a shell, --ulimit nofile with Docker) for more",
            soft, max(soft - SPARE_FILES, 0),
        )  # fmt: skip
    return soft
