"""``deps.compile``, ``deps.install``: the pinned requirements."""

from invoke import task

from .common import PYTHON, REPO


@task(name="compile")
def compile_requirements(c):
    """Re-pin requirements/*.txt from requirements/*.in (pip-tools)."""
    with c.cd(str(REPO)):
        for name in ("base", "dev"):
            c.run(
                f"{PYTHON} -m piptools compile --quiet --strip-extras --no-emit-index-url "
                f"--no-emit-find-links --output-file requirements/{name}.txt "
                f"requirements/{name}.in"
            )


@task(name="install")
def install(c):
    """Install the pinned development requirements into this Python environment."""
    c.run(f"{PYTHON} -m pip install -r {REPO / 'requirements' / 'dev.txt'}")
