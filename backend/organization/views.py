"""The People page: admins see everyone, deactivate and reactivate them, and read the
audit log."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chat.services import ActionRefused
from organization.services import (
    audit_entries,
    is_admin,
    people_listed,
    person_deactivate,
    person_find,
    person_reactivate,
)

CHANGES = {"deactivate": person_deactivate, "reactivate": person_reactivate}


@login_required
@require_http_methods(["GET", "POST"])
def people(request):
    if not is_admin(request.user):
        context = {"detail": "Only admins of this chat see the People page."}
        return render(request, "403.html", context, status=403)
    error = ""
    if request.method == "POST":
        change = CHANGES.get(request.POST.get("action", ""))
        try:
            if change is None:
                raise ActionRefused("invalid_action", "Choose deactivate or reactivate.")
            change(person=person_find(request.POST.get("username", "")), by=request.user)
            return redirect("people")
        except ActionRefused as exc:
            error = exc.detail
    context = {
        "people": people_listed(by=request.user),
        "entries": audit_entries(by=request.user, limit=50),
        "error": error,
    }
    return render(request, "organization/people.html", context, status=400 if error else 200)
