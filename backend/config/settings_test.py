"""Settings for the backend test suite: the normal settings with DEBUG off.

The secret key below signs only throw-away test sessions.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-key-not-used-for-anything-real")
os.environ.setdefault("DJANGO_DEBUG", "0")
# Most tests sign people up and let visitors in as guests; the tests of the other
# sign-up modes and of CHAT_GUESTS=off set them.
os.environ.setdefault("CHAT_SIGNUP", "open")
os.environ.setdefault("CHAT_GUESTS", "on")

from config.settings import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared memory: the tests post from many threads at once,
    # which only a real SQLite file with WAL and busy timeouts handles.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"chat-test-{os.getpid()}.sqlite3")
    }

# Close connections after each use, so no thread keeps one open when the test
# database is dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Uploads of the test run go to a folder of its own.
import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="chat-test-media-"))  # noqa: F405
STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT  # noqa: F405
