from chat.identity import identity_of


def identity(request):
    """``identity``: who the visitor is in chat (a user, or a guest with a session name)."""
    return {"identity": identity_of(request.user, request.session)}
