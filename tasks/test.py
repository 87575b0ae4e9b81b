"""``test`` (everything) and one task per suite: ``test.backend``, ``test.e2e``,
``test.js``, ``test.bench``."""

import os
import shlex
import shutil

from invoke import Exit, UnexpectedExit, task

from .bench import bench
from .common import PYTHON, REPO, data_dir, run_devtools
from .i18n import check as i18n_check
from .quality import lint

# Playwright keeps a trace and a screenshot of every failing browser test here.
E2E_ARTIFACT_ARGS = (
    "--tracing retain-on-failure --screenshot only-on-failure --output e2e/artifacts"
)
# The page script's unit tests, run by Node's own test runner.
JS_TEST_DIR = REPO / "backend" / "chat" / "tests" / "static"
JS_TEST_PATTERNS = ("*.test.mjs", "*.test.js")


def _pytest(c, target: str, extra: str, env: dict[str, str] | None = None) -> None:
    with c.cd(str(REPO)):
        c.run(f"{PYTHON} -m pytest {target} {extra}".strip(), env=env or {}, pty=False)


@task(help={"args": 'extra pytest arguments, e.g. "-k presence -x"'})
def backend(c, args=""):
    """Run the backend tests on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set."""
    _pytest(c, "backend", args)
    postgres_url = os.environ.get("TEST_POSTGRES_URL")
    if postgres_url:
        print(f"Backend tests again, on PostgreSQL ({postgres_url})")
        _pytest(c, "backend", args, env={"DATABASE_URL": postgres_url})


@task(help={"args": 'extra pytest arguments, e.g. "-k unicode --headed"'})
def e2e(c, args=""):
    """Run the Playwright suite: real Chromium tabs against a live Daphne and Redis."""
    # Prints the browser's path, installing Playwright's Chromium when none is found.
    executable = run_devtools(c, "browser", hide="out").stdout.strip()
    env = {"PLAYWRIGHT_CHROMIUM_EXECUTABLE": executable}
    _pytest(c, "e2e", f"{E2E_ARTIFACT_ARGS} {args}", env=env)


@task(help={"args": 'extra arguments for node --test, e.g. "--test-name-pattern=backoff"'})
def js(c, args=""):
    """Run the page script's unit tests with Node's built-in test runner."""
    where = JS_TEST_DIR.relative_to(REPO)
    files = sorted({path for pattern in JS_TEST_PATTERNS for path in JS_TEST_DIR.rglob(pattern)})
    if not files:
        patterns = " or ".join(JS_TEST_PATTERNS)
        raise Exit(f"No JavaScript tests ({patterns}) found in {where}/.", code=1)
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise Exit(
            "The JavaScript tests need Node.js 18 or newer: `sudo apt-get install nodejs` "
            "(Debian/Ubuntu) or https://nodejs.org/.",
            code=1,
        )
    names = " ".join(shlex.quote(str(path.relative_to(REPO))) for path in files)
    with c.cd(str(REPO)):
        c.run(f"{node} --test {args} {names}", pty=False)


@task
def screenshots(c):
    """Take the README's screenshots (docs/screenshots/) from a real conversation."""
    executable = run_devtools(c, "browser", hide="out").stdout.strip()
    env = {
        "PLAYWRIGHT_CHROMIUM_EXECUTABLE": executable,
        "CHAT_SCREENSHOTS_DIR": str(REPO / "docs" / "screenshots"),
    }
    _pytest(c, "e2e/test_screenshots.py", "-k screenshots_for_the_readme", env=env)


@task(name="bench")
def bench_smoke(c):
    """A short benchmark beside both references; fails on a lost or duplicated delivery.

    Its figures are printed, not judged.
    """
    bench(c, compare=True, quick=True, json=str(data_dir() / "bench" / "smoke.json"))


@task(
    name="all",
    default=True,
    help={
        "lint": "run the linters (default on; --no-lint skips)",
        "i18n": "check the translations (default on; --no-i18n skips)",
        "js": "run the JavaScript unit tests (default on; --no-js skips)",
        "backend": "run the backend tests (default on; --no-backend skips)",
        "e2e": "run the browser tests (default on; --no-e2e skips)",
        "bench": "run the benchmark smoke test (default on; --no-bench skips)",
    },
)
def everything(c, lint_=True, i18n_=True, js_=True, backend_=True, e2e_=True, bench_=True):
    """Run everything: lint, the translations' check, JavaScript and backend tests, browser
    tests, a benchmark smoke test.

    Every part runs even when one before it failed; the failed ones are named at the
    end (and the task fails). --no-lint, --no-i18n, --no-js, --no-backend, --no-e2e and
    --no-bench skip a part.
    """
    parts = [("lint", lint_, lint), ("translations", i18n_, i18n_check),
             ("JavaScript tests", js_, js),
             ("backend tests", backend_, backend), ("browser tests", e2e_, e2e),
             ("benchmark smoke test", bench_, bench_smoke)]  # fmt: skip
    failed = []
    for name, wanted, run in parts:
        if not wanted:
            continue
        try:
            run(c)
        except (UnexpectedExit, Exit):
            print(f"\n{name}: FAILED (see above)\n", flush=True)
            failed.append(name)
    if failed:
        raise Exit(f"Failed: {', '.join(failed)} (see above).", code=1)
