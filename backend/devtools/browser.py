"""Find a Chromium for the Playwright suite, installing Playwright's own when none is found.

``python -m devtools.browser`` (what ``invoke test.e2e`` runs) prints the path of
the Chromium to drive, or explains on stderr how to get one and exits with 2.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# Flags that keep a headless Chromium quiet on machines without network access.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's own download of its Chromium build.
PLAYWRIGHT_INSTALL = (sys.executable, "-m", "playwright", "install", "chromium")

HOW_TO_GET_CHROMIUM = (
    "No Chromium found for the browser tests. Either:\n"
    "  .venv/bin/playwright install --with-deps chromium   (Playwright's own build), or\n"
    "  sudo apt-get install chromium                        (Debian/Ubuntu), or\n"
    "  export PLAYWRIGHT_CHROMIUM_EXECUTABLE=/path/to/chrome"
)


def _playwright_chromium() -> str | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).exists() else None


def chromium_executable() -> str | None:
    """Path of the Chromium to drive, or None when there is none.

    Order: ``PLAYWRIGHT_CHROMIUM_EXECUTABLE``, Playwright's own download, then a
    system ``chromium``/``google-chrome``.
    """
    configured = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE")
    if configured:
        return configured if Path(configured).exists() else None
    bundled = _playwright_chromium()
    if bundled:
        return bundled
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium(install: Sequence[str] = PLAYWRIGHT_INSTALL, *, out=sys.stderr) -> str | None:
    """Like ``chromium_executable``, but when no Chromium is found at all, run
    ``install`` (Playwright's own browser download) and look again.

    A ``PLAYWRIGHT_CHROMIUM_EXECUTABLE`` naming a missing file is reported, not
    papered over by an install. Returns None, having said why on ``out``, when
    there is still no Chromium.
    """
    configured = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE")
    if configured:
        if Path(configured).exists():
            return configured
        print(f"PLAYWRIGHT_CHROMIUM_EXECUTABLE={configured} does not exist.", file=out)
        print(HOW_TO_GET_CHROMIUM, file=out)
        return None
    found = chromium_executable()
    if found:
        return found
    print(f"No Chromium found: installing Playwright's ({' '.join(install)})", file=out, flush=True)
    # The installer writes to stderr (file descriptor 2): stdout carries only the path found.
    result = subprocess.run(list(install), stdout=2, check=False)
    if result.returncode != 0:
        print(f"The install failed (exit code {result.returncode}).", file=out)
        print(HOW_TO_GET_CHROMIUM, file=out)
        return None
    found = chromium_executable()
    if found is None:
        print("The install ended, but its Chromium is still not there.", file=out)
        print(HOW_TO_GET_CHROMIUM, file=out)
    return found


def main() -> int:
    executable = ensure_chromium()
    if executable is None:
        return 2
    print(executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
