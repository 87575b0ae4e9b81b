"""Structured logs: one JSON object a line (used when DEBUG is off).

Extra fields given to a log call (``logger.info("...", extra={"room": r})``)
come out as keys of the object.
"""

import json
import logging
import re

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class WithoutTraceback(logging.Filter):
    """Keeps the record's one-line message and drops its traceback.

    For expected refusals (a request for a host not served) that Django logs with
    the exception attached: the traceback says nothing about the client's mistake.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


# Paths whose last part is a secret: a webhook's URL, an invitation's link.
_SECRET_PATHS = re.compile(r"(/api/hooks/|/invite/)[^/\s'\"?]+")


def secrets_redacted(text: str) -> str:
    """``text`` with the secret part of every webhook and invitation path replaced by "…"."""
    return _SECRET_PATHS.sub(r"\1…", text)


class SecretsRedacted(logging.Filter):
    """Takes the secrets out of the paths a request's log line names (Django logs every
    4xx and 5xx answer with its path, and the request as an extra field): whoever reads
    the logs mustn't be able to post through a room's webhook or join with its link."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = secrets_redacted(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        request = getattr(record, "request", None)
        if request is not None:
            record.request = secrets_redacted(str(request))
        return True
