"""What the chat does, independent of how a client is connected.

These modules are the only code that writes to the database and broadcasts:
a change is committed first, then announced. Consumers and views call them
and never broadcast on their own.

- ``messages``: posting (stored in batches, then broadcast);
- ``moderation``: deleting messages, muting people;
- ``presence``: who is in a room, kept in Redis;
- ``typing``: "… is typing", never stored;
- ``people``: a guest's new name, told to all their tabs;
- ``broadcast``: addresses and sending through the channel layer.
"""


class ActionRefused(Exception):
    """A request the rules don't allow; ``code`` and ``detail`` go into an error frame."""

    def __init__(
        self, code: str, detail: str, retry_after: float | None = None, extra: dict | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.extra = extra  # more fields of the error frame (``people`` of confirm_required)
