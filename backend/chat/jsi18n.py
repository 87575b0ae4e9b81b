"""The page scripts' words in the reader's language: Django's JavaScript catalog (the
``djangojs`` domain, backend/locale/<language>/LC_MESSAGES/djangojs.po) at /jsi18n/.

A classic script from this site (the CSP lets no other run), loaded by base.html before
the page's modules, which read it through chat/static/chat/room/i18n.js. Its language
is the request's (LocaleMiddleware, then the profile's). Browsers keep it and ask again
on every page (``no-cache``): the ETag names the language and the catalogs' digest, so
the answer is a 304 until the reader's language or a catalog changes."""

import hashlib
from functools import cache
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_safe
from django.views.i18n import JavaScriptCatalog

# The apps whose own locale folders count (besides LOCALE_PATHS): ours only, so that
# Django's admin's calendar words aren't sent to every page.
PACKAGES = ["chat"]


@cache
def catalogs_digest() -> str:
    """A digest of every ``djangojs`` catalog the view may read, and of Django's version
    (the script's code is Django's): it changes with a deploy that changes either."""
    folders = [Path(folder) for folder in settings.LOCALE_PATHS]
    folders += [Path(apps.get_app_config(name).path) / "locale" for name in PACKAGES]
    digest = hashlib.sha256(django.get_version().encode())
    for folder in folders:
        for catalog in sorted(folder.glob("*/LC_MESSAGES/djangojs.mo")):
            digest.update(str(catalog.relative_to(folder)).encode())
            digest.update(catalog.read_bytes())
    return digest.hexdigest()[:16]


def _catalog_etag(request, *args, **kwargs) -> str:
    return f"{get_language()}-{catalogs_digest()}"


javascript_catalog = require_safe(
    cache_control(private=True, no_cache=True)(
        etag(_catalog_etag)(JavaScriptCatalog.as_view(packages=PACKAGES))
    )
)
