"""Settings for the backend test suite: the normal settings with DEBUG off.

The secret key below signs only throw-away test sessions.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-key-not-used-for-anything-real")
os.environ.setdefault("DJANGO_DEBUG", "0")

from config.settings import *  # noqa: E402, F403
