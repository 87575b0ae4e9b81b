"""The process tree, read from /proc (Linux): for tests that check nothing is left running."""

from pathlib import Path

PROC = Path("/proc")


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, parent, process group…);
    None when there is no such process."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _all_stats() -> dict[int, list[str]]:
    stats = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))) is not None:
            stats[int(entry.name)] = fields
    return stats


def alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie waiting to be reaped has)."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` in the tree, living or exited."""
    children: dict[int, list[int]] = {}
    for child, fields in _all_stats().items():
        children.setdefault(int(fields[1]), []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def group_alive(pgid: int) -> set[int]:
    """The processes of process group ``pgid`` that have not exited.

    An exited process whose parent died before reaping it stays a zombie until
    whatever adopted it reaps it; it holds nothing, so it doesn't count."""
    return {
        pid for pid, fields in _all_stats().items() if int(fields[2]) == pgid and fields[0] != "Z"
    }
