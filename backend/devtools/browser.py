"""Find a Chromium for the Playwright suite."""

import os
import shutil
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
