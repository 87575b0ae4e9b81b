"""Where a request carries an API token: ``Authorization: Bearer <token>`` on HTTP and
on the WebSocket handshake, or, for browsers (which can't set headers on a
WebSocket), the subprotocol ``bearer.<token>`` offered beside ``chat``.

Never in the URL, where logs and browser history would keep it.
"""

from django.utils.translation import gettext_lazy

from integrations.tokens import InvalidToken

SUBPROTOCOL_PREFIX = "bearer."
# The subprotocol a handshake that offers one is accepted with.
CHAT_SUBPROTOCOL = "chat"


def authorization_token(value: str | None) -> str | None:
    """The token of an ``Authorization`` header's value; None without one. Raises
    InvalidToken for any other scheme or shape, so a bad header never falls back to
    the session."""
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(gettext_lazy("The Authorization header must be “Bearer <token>”."))
    return token.strip()


def handshake_token(headers: list[tuple[bytes, bytes]], subprotocols: list[str]) -> str | None:
    """The token a WebSocket handshake carries, in a header or a subprotocol; None
    without one (raises InvalidToken for a malformed one)."""
    values = [value for name, value in headers if name.lower() == b"authorization"]
    if values:
        return authorization_token(values[0].decode("latin-1"))
    for offered in subprotocols:
        if offered.startswith(SUBPROTOCOL_PREFIX):
            return offered[len(SUBPROTOCOL_PREFIX) :]
    return None


def handshake_has_token(scope) -> bool:
    """Whether a handshake tries to sign in with a token (valid or not)."""
    headers = scope.get("headers", [])
    return any(name.lower() == b"authorization" for name, _ in headers) or any(
        offered.startswith(SUBPROTOCOL_PREFIX) for offered in scope.get("subprotocols", [])
    )
