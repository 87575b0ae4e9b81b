"""The API object: its routers, and how refusals are answered."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

import api.attachments  # noqa: F401  (these modules' endpoints join the rooms router)
import api.messages  # noqa: F401
import api.outgoing_webhooks  # noqa: F401
from api.bots import router as bots_router
from api.commands import router as commands_router
from api.errors import ApiError, error_body, refusal_status
from api.groups import router as groups_router
from api.invitations import router as invitations_router
from api.me import router as me_router
from api.people import audit_router, people_router
from api.pins import saved_router
from api.rooms import dms_router
from api.rooms import router as rooms_router
from api.search import router as search_router
from api.threads import threads_router
from api.tokens import router as tokens_router
from api.webhooks import hooks_router
from chat.access import Forbidden
from chat.services import ActionRefused
from notifications.api import router as notifications_router

api = NinjaAPI(
    title="Chat API",
    version="1",
    description="Rooms, members, messages, direct messages, read marks, Web Push, API tokens, "
    "webhooks, search, and people and their audit log for admins (docs/api.md).",
    urls_namespace="api",
)
api.add_router("/rooms/", rooms_router)
api.add_router("/dms/", dms_router)
api.add_router("/search/", search_router)
api.add_router("/tokens/", tokens_router)
api.add_router("/bots/", bots_router)
api.add_router("/hooks/", hooks_router)
api.add_router("/me/saved/", saved_router)
api.add_router("/threads/", threads_router)
api.add_router("/me/", me_router)
api.add_router("/groups/", groups_router)
api.add_router("/people/", people_router)
api.add_router("/audit/", audit_router)
api.add_router("/invitations/", invitations_router)
api.add_router("/commands/", commands_router)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return api.create_response(
        request, error_body(exc.code, exc.detail, exc.retry_after), status=exc.status
    )


@api.exception_handler(ActionRefused)
@api.exception_handler(Forbidden)
def _refused(request, exc: ActionRefused | Forbidden):
    """What the rules refuse, raised by chat's services and access checks."""
    return api.create_response(
        request,
        {
            **error_body(exc.code, exc.detail, getattr(exc, "retry_after", None)),
            **(getattr(exc, "extra", None) or {}),
        },  # fmt: skip
        status=refusal_status(exc.code),
    )


# Where ninja says a field was looked for; left out of the field's name.
REQUEST_PARTS = ("body", "query", "path")
# Pydantic's commonest problems, in the reader's language (others in its own English).
PROBLEMS = {
    "missing": _("Field required"),
    "string_type": _("Input should be a valid string"),
    "int_type": _("Input should be a valid integer"),
    "int_parsing": _("Input should be a valid integer"),
    "bool_type": _("Input should be a valid boolean"),
    "bool_parsing": _("Input should be a valid boolean"),
    "list_type": _("Input should be a valid list"),
    "dict_type": _("Input should be an object"),
    "model_type": _("Input should be an object"),
    "model_attributes_type": _("Input should be an object"),
    "datetime_type": _("Input should be a valid date and time"),
    "datetime_parsing": _("Input should be a valid date and time"),
    "datetime_from_date_parsing": _("Input should be a valid date and time"),
}


@api.exception_handler(ValidationError)
def _invalid_request(request, exc: ValidationError):
    """A body, query or path that isn't what the endpoint takes: each field's problem."""
    problems = []
    for error in exc.errors[:5]:
        fields = [str(part) for part in error.get("loc", ()) if part not in REQUEST_PARTS]
        where = f"“{'.'.join(fields)}”: " if fields else ""
        problem = PROBLEMS.get(error.get("type")) or error.get("msg") or _("invalid")
        problems.append(f"{where}{problem}")
    detail = "; ".join(problems) or _("The request isn't what this endpoint takes.")
    return api.create_response(request, error_body("invalid_request", detail), status=400)


@api.exception_handler(AuthenticationError)
def _not_signed_in(request, exc):
    return api.create_response(
        request, error_body("sign_in_required", _("Sign in to do this.")), status=401
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Those ninja raises itself: the CSRF check of a cookie-authenticated request (403),
    # and a body it can't parse (400).
    code = {403: "csrf_failed", 400: "invalid_request"}.get(exc.status_code, "http_error")
    return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)


api.add_router("/push/", notifications_router)
