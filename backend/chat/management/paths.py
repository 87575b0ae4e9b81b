"""Paths given to the chat's management commands."""

import os
from pathlib import Path

# Set by `invoke manage` to the folder invoke was run from (it runs manage.py from backend/).
WORKING_DIR_VARIABLE = "CHAT_WORKING_DIR"


def path_given(raw: str) -> Path:
    """A path from the command line: a relative one is taken from ``CHAT_WORKING_DIR``
    when that is set, else from the current folder."""
    path = Path(raw).expanduser()
    base = os.environ.get(WORKING_DIR_VARIABLE)
    return path if path.is_absolute() or not base else Path(base) / path
