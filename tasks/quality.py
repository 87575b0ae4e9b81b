"""Code quality: ``lint`` and ``format`` (ruff)."""

from invoke import task

from .common import PYTHON, REPO


@task
def lint(c):
    """Check the code with ruff: lint rules and formatting."""
    with c.cd(str(REPO)):
        c.run(f"{PYTHON} -m ruff check .")
        c.run(f"{PYTHON} -m ruff format --check .")


@task(name="format")
def format_code(c):
    """Fix what ruff can fix and reformat the code."""
    with c.cd(str(REPO)):
        c.run(f"{PYTHON} -m ruff check --fix .")
        c.run(f"{PYTHON} -m ruff format .")
