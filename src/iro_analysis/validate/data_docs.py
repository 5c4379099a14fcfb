"""GX Data Docs that read offline.

Great Expectations writes Data Docs pages that load Bootstrap, jQuery, bootstrap-table,
Font Awesome and Vega from CDNs; its index page draws its table of runs with
bootstrap-table, so without a network the index is blank. The package does not ship those
libraries and a build never downloads anything, so `make_offline` rewrites every page of
a built site: each stylesheet or script loaded over http(s) is removed, and the page loads
two small local files instead, copied into the site (`static/iro_offline/`): a stylesheet
with the few layout rules the pages rely on, and a script giving the part of jQuery and
bootstrap-table the pages call (the index's table of runs, each row linking to its page).
GX's logo, loaded from its web assets with a query naming the project, is the copy the
site holds in `static/images/`. Links a reader clicks (GX's documentation) stay as they
are.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ASSETS = Path(__file__).with_name("data_docs_static")
ASSET_DIR = Path("static") / "iro_offline"
ASSET_FILES = ("offline.css", "offline.js")
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>\s*", re.IGNORECASE
)
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_REMOTE_IMG = re.compile(r"(<img\b[^>]*\bsrc\s*=\s*[\"']?)((?:https?:)?//[^\"' >]+)", re.IGNORECASE)

# A page's link to the site's own static files: GX counts one folder too few for a page of
# a suite whose name has a dot (validations/iro_analysis/<table>/...), so it is recomputed.
_STATIC = re.compile(r"""((?:src|href)\s*=\s*["'])(?:\.\./)*static/""", re.IGNORECASE)
_REMOTE_URL = re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", re.IGNORECASE)


def _local_image(prefix: str):
    """An image loaded from GX's web assets (its logo, with a query naming the project)
    becomes the copy the site has in static/images/, else nothing."""

    def sub(m: re.Match) -> str:
        name = m.group(2).split("?")[0].rsplit("/", 1)[-1]
        local = name if re.fullmatch(r"[A-Za-z0-9_.-]+", name) else ""
        return m.group(1) + (f"{prefix}static/images/{local}" if local else "")

    return sub


def offline_html(html: str, prefix: str) -> str:
    """`html` without remote scripts and stylesheets, loading the local assets under
    `prefix` (the path from the page to the site's root, "" or "../../") first."""
    html = _REMOTE_SCRIPT.sub("", html)
    html = _REMOTE_LINK.sub("", html)
    html = _REMOTE_IMG.sub(_local_image(prefix), html)
    html = _REMOTE_URL.sub("none", html)  # a dark-mode logo in GX's inline style
    html = _STATIC.sub(lambda m: f"{m.group(1)}{prefix}static/", html)
    if f"{ASSET_DIR.as_posix()}/offline.js" in html:
        return html
    tags = (
        f'<link rel="stylesheet" href="{prefix}{ASSET_DIR.as_posix()}/offline.css">'
        f'<script src="{prefix}{ASSET_DIR.as_posix()}/offline.js"></script>'
    )
    head = _HEAD.search(html)
    if head is None:
        return tags + html
    return html[: head.end()] + tags + html[head.end() :]


def make_offline(site: Path) -> list[Path]:
    """Rewrite every HTML page of the Data Docs site at `site` to read offline (see the
    module docstring) and copy the local assets in. A page that already loads the local
    script (an earlier run's, kept in the history) is only read, not parsed again: the
    history grows with every build. Returns the pages rewritten."""
    site = Path(site)
    if not site.is_dir():
        return []
    (site / ASSET_DIR).mkdir(parents=True, exist_ok=True)
    for name in ASSET_FILES:
        shutil.copyfile(ASSETS / name, site / ASSET_DIR / name)
    done = []
    marker = f"{ASSET_DIR.as_posix()}/offline.js"
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if marker in text:
            continue
        depth = len(page.relative_to(site).parts) - 1
        new = offline_html(text, "../" * depth)
        if new != text:
            tmp = page.with_name(f".{page.name}.tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, page)
            done.append(page)
    return done


def remote_references(html: str) -> list[str]:
    """The http(s) addresses a page loads (script src, link href, img src, a style's
    url()): none offline."""
    found = re.findall(
        r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)",
        html,
        re.IGNORECASE,
    )
    return found + re.findall(r"url\(\s*[\"']?((?:https?:)?//[^)\"']*)", html, re.IGNORECASE)
