"""Headless Chromium for the committee PDF and the browser tests (Playwright, system browser).

Playwright drives Debian's `chromium` package (never a browser download). Chromium is
started with no background networking, so the only requests are the page's own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from iro_analysis.errors import IroAnalysisError

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)


def chromium_path() -> str:
    """The system Chromium: $CHROMIUM_PATH, else `chromium` or `chromium-browser` on PATH."""
    candidates = [
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    for c in candidates:
        if c and os.path.exists(c):
            return c
    raise IroAnalysisError(
        "headless Chromium was not found: install Debian's package (apt-get install chromium) "
        "or set CHROMIUM_PATH"
    )


@contextmanager
def browser() -> Iterator[object]:
    """A Playwright Chromium browser, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        try:
            yield b
        finally:
            b.close()
