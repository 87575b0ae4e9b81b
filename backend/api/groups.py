"""``/api/groups/``: groups an @<name> mention reaches (admins make them; docs/api.md)."""

from ninja import Body, Router, Schema, Status

from api.auth import signed_in
from api.errors import ErrorOut
from people.groups import group_change, group_create, group_delete, group_find, groups_listed

router = Router(tags=["Groups"])
REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class GroupOut(Schema):
    name: str
    members: list[str]


class GroupsOut(Schema):
    groups: list[GroupOut]


def _out(group) -> dict:
    members = sorted(m.username for m in group.members.all() if m.is_active)
    return {"name": group.name, "members": members}


@router.get("/", response={200: GroupsOut, **REFUSALS}, auth=signed_in)
def groups_list(request):
    """Every group and its members."""
    return {"groups": [{"name": g.name, "members": m} for g, m in groups_listed()]}


@router.post("/", response={201: GroupOut, **REFUSALS}, auth=signed_in)
def group_new(request, body: dict = Body(...)):  # noqa: B008 - ninja's way
    """Make a group: ``{"name", "members": [usernames]}`` (admins)."""
    group = group_create(name=body.get("name"), members=body.get("members", []), by=request.user)
    return Status(201, _out(group))


@router.get("/{name}/", response={200: GroupOut, **REFUSALS}, auth=signed_in)
def group_get(request, name: str):
    return _out(group_find(name))


@router.patch("/{name}/", response={200: GroupOut, **REFUSALS}, auth=signed_in)
def group_update(request, name: str, body: dict = Body(...)):  # noqa: B008
    """Rename a group or set its members (admins)."""
    return _out(group_change(group_find(name), body, by=request.user))


@router.delete("/{name}/", response={204: None, **REFUSALS}, auth=signed_in)
def group_remove(request, name: str):
    """Remove a group (admins); its name is plain text again."""
    group_delete(group_find(name), by=request.user)
    return Status(204, None)
