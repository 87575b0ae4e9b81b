"""Finding a Chromium for the browser tests, and installing Playwright's when there is none.

Nothing is faked: the environment really holds no browser (an empty Playwright
browser folder, nothing on PATH), and the "installer" is a real command that
fails, does nothing, or puts a file where Playwright looks for its Chromium.
"""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.browser import HOW_TO_GET_CHROMIUM, ensure_chromium
from devtools.chat_server import BACKEND_DIR

# Puts an executable file where Playwright (PLAYWRIGHT_BROWSERS_PATH) expects its Chromium.
PLACE_A_CHROMIUM = """
import os
from pathlib import Path
from playwright.sync_api import sync_playwright
with sync_playwright() as playwright:
    path = Path(playwright.chromium.executable_path)
path.parent.mkdir(parents=True)
path.write_text("#!/bin/sh\\n")
path.chmod(0o755)
"""


@pytest.fixture
def no_chromium_anywhere(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "browsers"))
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))


def _marker_command(marker: Path) -> tuple[str, ...]:
    """A real command that only leaves a trace that it ran."""
    return (sys.executable, "-c", f"open({str(marker)!r}, 'w').close()")


def test_no_chromium_and_a_failing_install_ends_with_the_hint(no_chromium_anywhere):
    out = io.StringIO()
    found = ensure_chromium((sys.executable, "-c", "raise SystemExit(3)"), out=out)
    assert found is None
    said = out.getvalue()
    assert "No Chromium found: installing Playwright's" in said
    assert "The install failed (exit code 3)." in said
    assert HOW_TO_GET_CHROMIUM in said


def test_no_chromium_and_a_working_install_gives_the_installed_chromium(
    no_chromium_anywhere, tmp_path
):
    out = io.StringIO()
    found = ensure_chromium((sys.executable, "-c", PLACE_A_CHROMIUM), out=out)
    assert found is not None
    assert Path(found).is_relative_to(tmp_path / "browsers")
    assert HOW_TO_GET_CHROMIUM not in out.getvalue()


def test_an_install_that_leaves_no_chromium_ends_with_the_hint(no_chromium_anywhere, tmp_path):
    out = io.StringIO()
    marker = tmp_path / "installer-ran"
    assert ensure_chromium(_marker_command(marker), out=out) is None
    assert marker.exists()
    assert "still not there" in out.getvalue()
    assert HOW_TO_GET_CHROMIUM in out.getvalue()


def test_a_configured_chromium_that_is_missing_is_reported_not_installed_over(
    tmp_path, monkeypatch
):
    missing = tmp_path / "no-such-chrome"
    monkeypatch.setenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", str(missing))
    marker = tmp_path / "installer-ran"
    out = io.StringIO()
    assert ensure_chromium(_marker_command(marker), out=out) is None
    assert not marker.exists()
    assert f"PLAYWRIGHT_CHROMIUM_EXECUTABLE={missing} does not exist." in out.getvalue()


def test_a_chromium_that_is_there_is_used_without_installing(tmp_path, monkeypatch):
    chrome = tmp_path / "chrome"
    chrome.write_text("")
    monkeypatch.setenv("PLAYWRIGHT_CHROMIUM_EXECUTABLE", str(chrome))
    marker = tmp_path / "installer-ran"
    assert ensure_chromium(_marker_command(marker), out=io.StringIO()) == str(chrome)
    assert not marker.exists()


def test_the_command_line_prints_only_the_path_on_stdout(tmp_path):
    chrome = tmp_path / "chrome"
    chrome.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "devtools.browser"],
        cwd=BACKEND_DIR,
        env={"PLAYWRIGHT_CHROMIUM_EXECUTABLE": str(chrome), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"{chrome}\n")


def test_the_command_line_exits_with_2_and_the_hint_when_there_is_no_chromium(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "devtools.browser"],
        cwd=BACKEND_DIR,
        env={"PLAYWRIGHT_CHROMIUM_EXECUTABLE": str(tmp_path / "missing"), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert HOW_TO_GET_CHROMIUM in result.stderr
