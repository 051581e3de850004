"""Debian's chromium driven by Playwright, for the browser test and bench/review_keyboard.py (never used
by the CLI): no browser download (the machine has no way out), loopback only."""

from __future__ import annotations

import os
import shutil
from typing import Any

# Off: every request chromium makes by itself (updates, sync, safe browsing lists, first-run pages).
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """JIANDU_CHROMIUM, else Debian's /usr/bin/chromium (apt-get install chromium), else None."""
    given = os.environ.get("JIANDU_CHROMIUM")
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


def playwright_missing() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    path = chromium_path()
    if path is None or not os.access(path, os.X_OK):
        return "no chromium on PATH (apt-get install -y chromium, or set JIANDU_CHROMIUM)"
    return None


def launch(playwright: Any) -> Any:
    """A headless chromium browser; Playwright's own browser download is never used."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
