"""What this machine has for the browser, accessibility and PDF tests, and the one mark
they carry. `make test` installs what is missing when it can (`scripts/system-deps.sh`);
where it cannot, these tests are skipped with one line saying how to enable them. On CI
(`CI=true`) a missing browser is a failure, not a skip: `.ci/run` installs it."""

from __future__ import annotations

import os
import shutil

import pytest

from iro_analysis.core import paths
from iro_analysis.pipeline.browser import AXE_JS

HAVE_CHROMIUM = bool(
    shutil.which("chromium") or shutil.which("chromium-browser") or os.environ.get("CHROMIUM_PATH")
)
HAVE_AXE = (paths.PROJECT_ROOT / AXE_JS).is_file()
HAVE_POPPLER = bool(shutil.which("pdftotext") and shutil.which("pdfinfo"))

MISSING = [
    what
    for what, have in (
        ("headless Chromium (Debian's chromium)", HAVE_CHROMIUM),
        ("axe-core (npm ci)", HAVE_AXE),
        ("pdftotext and pdfinfo (Debian's poppler-utils)", HAVE_POPPLER),
    )
    if not have
]
ENABLE = (
    "enable them with `make test` as root (it installs them), or `sudo apt-get install "
    "chromium poppler-utils npm fonts-dejavu-core` and `npm ci`"
)
SKIP_BROWSER = bool(MISSING) and os.environ.get("CI") != "true"
REASON = f"browser test: missing {', '.join(MISSING)}; {ENABLE}"


def needs_browser(test):
    """Mark a test `browser` and skip it, off CI, where the browser tools are missing."""
    return pytest.mark.browser(pytest.mark.skipif(SKIP_BROWSER, reason=REASON)(test))
