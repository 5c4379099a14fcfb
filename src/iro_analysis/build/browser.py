"""Headless Chromium for the committee PDF and the browser tests (Playwright, system browser).

Playwright drives Debian's `chromium` package (never a browser download). Chromium is
started with no background networking, so the only requests are the page's own.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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


AXE_JS = "node_modules/axe-core/axe.min.js"  # relative to the project root (npm ci)


@dataclass
class PageCheck:
    """What a real browser saw when it opened a built report."""

    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    images: int = 0
    images_without_alt: int = 0
    toc_links: dict[str, bool] = field(default_factory=dict)
    axe_violations: list[dict] = field(default_factory=list)  # serious or critical only
    screenshots: list[Path] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"network request left the page: {u}" for u in self.external_requests]
        out += [f"image did not load: {s}" for s in self.broken_images]
        if self.images_without_alt:
            out.append(f"{self.images_without_alt} image(s) without alt text")
        out += [
            f"table-of-contents link does not land on its section: {h}"
            for h, ok in self.toc_links.items()
            if not ok
        ]
        if not self.toc_links:
            out.append("no table-of-contents links")
        out += [
            f"accessibility ({v['impact']}): {v['id']}: {v['help']} ({len(v['nodes'])} element(s))"
            for v in self.axe_violations
        ]
        return out


def check_report(
    html_path: Path, screenshots_dir: Path | None = None, axe_js: Path | None = None
) -> PageCheck:
    """Open a built report in headless Chromium and check it as a reader's browser would.

    Records console errors, any request that is not the file itself or a data: URI (the
    report must work offline), images that failed to load, table-of-contents links that do
    not land on their section, and axe-core's serious or critical accessibility violations.
    Saves screenshots of the first page and of the first chart section.
    """
    from iro_analysis import paths

    html_path = Path(html_path).resolve()
    url = html_path.as_uri()
    axe = Path(axe_js) if axe_js else paths.PROJECT_ROOT / AXE_JS
    if not axe.is_file():
        raise IroAnalysisError(f"axe-core not found at {axe}: run `npm ci` (make test does)")
    result = PageCheck()
    with browser() as b:
        context = b.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
        page = context.new_page()
        page.on(
            "console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: result.console_errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None
                if (r.url == url or r.url.startswith("data:"))
                else result.external_requests.append(r.url)
            ),
        )
        page.goto(url, wait_until="load")
        imgs = page.eval_on_selector_all(
            "img",
            "els => els.map(e => ({src: (e.getAttribute('src') || '').slice(0, 40), ok: e.complete && e.naturalWidth > 0,"
            " alt: (e.getAttribute('alt') || '').trim()}))",
        )
        result.images = len(imgs)
        result.broken_images = [i["src"] for i in imgs if not i["ok"]]
        result.images_without_alt = sum(1 for i in imgs if not i["alt"])
        for href in page.eval_on_selector_all(
            "nav.toc a", "els => els.map(e => e.getAttribute('href'))"
        ):
            page.click(f'nav.toc a[href="{href}"]')
            result.toc_links[href] = page.evaluate(
                """(h) => { const el = document.getElementById(h.slice(1)); if (!el) return false;
                   const r = el.getBoundingClientRect();
                   return location.hash === h && r.top > -5 && r.top < window.innerHeight; }""",
                href,
            )
        if screenshots_dir is not None:
            screenshots_dir.mkdir(parents=True, exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")
            first = screenshots_dir / "first-page.png"
            page.screenshot(path=str(first))
            result.screenshots.append(first)
            if page.locator("figure.chart").count():
                chart = screenshots_dir / "chart-section.png"
                page.locator("figure.chart").first.screenshot(path=str(chart))
                result.screenshots.append(chart)
        page.add_script_tag(path=str(axe))
        axe_result = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        result.axe_violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]],
            }
            for v in axe_result["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        context.close()
    return result
