"""Translations: ``i18n.check`` (part of ``invoke test``) and ``i18n.update``.

Both run ``backend/devtools/i18n_check.py``, which says what the rules are.
"""

from invoke import task

from .common import run_devtools


@task
def check(c):
    """Fail on a page string not marked for translation, or a catalog not complete and compiled."""
    run_devtools(c, "i18n_check")


@task
def update(c):
    """Bring the catalogs up to date with the sources (makemessages, both domains); compile."""
    run_devtools(c, "i18n_check", "update")
