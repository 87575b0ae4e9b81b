from chat.identity import identity_of


def identity(request):
    """``identity``: who the visitor is in chat (a user, or a guest with a session name).

    Nothing when the request never reached the session and authentication
    middleware (an error page for a refused ``Host``, say).
    """
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None:
        return {}
    # Looked at only: a page view doesn't make a guest (crawlers make page views).
    return {"identity": identity_of(user, session, create=False)}
