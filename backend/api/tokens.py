"""``/api/tokens/``: the requester's personal API tokens (docs/api.md)."""

from datetime import datetime

from ninja import Router, Schema, Status

from api.auth import session_only
from api.errors import ErrorOut
from integrations.tokens import token_create, token_revoke, tokens_active

router = Router(tags=["API tokens"])


class TokenIn(Schema):
    name: str


class TokenCreated(Schema):
    id: int
    name: str
    token: str  # the only time it is shown


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created: datetime
    last_used_at: datetime | None


class TokensOut(Schema):
    tokens: list[TokenOut]


REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.post("/", response={201: TokenCreated, **REFUSALS}, auth=session_only)
def tokens_create(request, body: TokenIn):
    """A new token: its secret is in this answer only (only its hash is kept)."""
    token, secret = token_create(user=request.user, name=body.name)
    return Status(201, {"id": token.pk, "name": token.name, "token": secret})


@router.get("/", response={200: TokensOut, **REFUSALS}, auth=session_only)
def tokens_list(request):
    """The requester's tokens that aren't revoked, newest first, without their secrets."""
    return {"tokens": list(tokens_active(user=request.user))}


@router.delete("/{token_id}/", response={204: None, **REFUSALS}, auth=session_only)
def tokens_revoke(request, token_id: int):
    token_revoke(user=request.user, token_id=token_id)
    return Status(204, None)
