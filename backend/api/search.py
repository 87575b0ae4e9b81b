"""``/api/search/``: full-text search of the messages the requester may read
(docs/api.md)."""

from datetime import UTC, datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from api.errors import ApiError, ErrorOut
from chat.search import SearchError, message_search

router = Router(tags=["Search"])


class ResultOut(Schema):
    room: str
    seq: int
    author: str
    author_display: str  # their display name when they posted it ("" for none)
    thread: int | None  # a reply in a thread: its root's seq
    snippet: str
    snippet_html: str
    created: datetime


class ResultsOut(Schema):
    results: list[ResultOut]


def _moment(value: str, field: str) -> datetime | None:
    """An ISO date (its midnight, UTC) or date and time; None when left out."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise ApiError(
            400,
            "invalid_date",
            _("“{field}” must be a date such as 2026-11-30.").format(field=field),
        )
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


@router.get("/", response={200: ResultsOut, 400: ErrorOut, 401: ErrorOut}, auth=None)
def search(request, q: str = "", room: str = "", author: str = "", before: str = "",
           after: str = ""):  # fmt: skip
    """Messages matching ``q`` in the rooms the requester may read, best first."""
    user_id = request.user.pk if request.user.is_authenticated else None
    try:
        hits = message_search(
            user_id=user_id, query=q, room=room or None, author=author or None,
            before=_moment(before, "before"), after=_moment(after, "after"),
        )  # fmt: skip
    except SearchError as exc:
        raise ApiError(400, exc.code, exc.detail) from None
    return {"results": hits}
