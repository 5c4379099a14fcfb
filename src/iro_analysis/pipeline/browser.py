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

from iro_analysis.core.errors import IroAnalysisError

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
    # At 390 px: the first trend table's current-year cells, and any that were outside the
    # viewport (None: the page has no trend table, as a technical annex or a region page
    # has not); how far the page overflowed sideways.
    narrow_current_year: list[str] | None = None
    narrow_current_year_hidden: list[str] = field(default_factory=list)
    narrow_overflow_px: int = 0

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
        if self.narrow_current_year == []:
            out.append(f"at {NARROW[0]} px: the first trend table has no current-year cells")
        out += [
            f"at {NARROW[0]} px the current year is outside the viewport of the first trend "
            f"table: {c}"
            for c in self.narrow_current_year_hidden
        ]
        if self.narrow_overflow_px > 0:
            out.append(
                f"at {NARROW[0]} px the page scrolls sideways by {self.narrow_overflow_px} px"
            )
        return out


WIDE = (1280, 900)  # a desktop
NARROW = (390, 844)  # a phone

# The first trend table (`table.trend`, from report.figures.kpi_table) brought into view;
# each current-year cell (`.now`) as text, and whether it lies within the table's scroller,
# the window and clear of the measure column held beside it.
_CURRENT_YEAR_JS = """() => {
  const t = document.querySelector('table.trend');
  if (!t) return null;
  const wrap = t.closest('.table-wrap') || t;
  window.scrollTo(0, wrap.getBoundingClientRect().top + window.scrollY - 40);
  const w = wrap.getBoundingClientRect();
  const measure = t.querySelector('tbody th[scope="row"]');
  const held = measure ? measure.getBoundingClientRect().right : w.left;
  const left = Math.max(0, w.left, held), right = Math.min(window.innerWidth, w.right);
  return [...t.querySelectorAll('.now')].map(c => {
    const r = c.getBoundingClientRect();
    return {text: c.textContent.trim(), inside: r.left >= left - 1 && r.right <= right + 1};
  });
}"""


def check_report(
    html_path: Path, screenshots_dir: Path | None = None, axe_js: Path | None = None
) -> PageCheck:
    """Open a built report in headless Chromium and check it as a reader's browser would.

    The page is opened at desktop width (1280 x 900) and at phone width (390 x 844).
    Records console errors, any request that is not the file itself or a data: URI (the
    report must work offline), images that failed to load (at either width: a phone gets
    the narrow charts), table-of-contents links that do not land on their section,
    axe-core's serious or critical accessibility violations at either width, whether the
    page scrolls sideways on the phone and whether the first trend table shows its current
    year there without being scrolled (`_CURRENT_YEAR_JS`). Saves screenshots at both widths
    (first page and first chart; at 390 px the first trend table too), `<name>-<width>.png`.
    """
    from iro_analysis.core import paths

    html_path = Path(html_path).resolve()
    url = html_path.as_uri()
    axe = Path(axe_js) if axe_js else paths.PROJECT_ROOT / AXE_JS
    if not axe.is_file():
        raise IroAnalysisError(f"axe-core not found at {axe}: run `npm ci` (make test does)")
    result = PageCheck()
    with browser() as b:
        for width, height in (WIDE, NARROW):
            context = b.new_context(
                viewport={"width": width, "height": height}, service_workers="block"
            )
            context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
            page = context.new_page()
            page.on(
                "console",
                lambda m: result.console_errors.append(m.text) if m.type == "error" else None,
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
            if width == WIDE[0]:
                _check_wide(page, result, screenshots_dir)
            else:
                _check_narrow(page, result, screenshots_dir)
            page.add_script_tag(path=str(axe))
            axe_result = page.evaluate(
                "async () => await axe.run(document, {resultTypes: ['violations']})"
            )
            result.axe_violations += [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": f"{v['help']} (at {width} px)",
                    "nodes": [n["target"] for n in v["nodes"]],
                }
                for v in axe_result["violations"]
                if v.get("impact") in ("serious", "critical")
            ]
            context.close()
    return result


def _shoot(page, result: PageCheck, folder: Path | None, name: str, selector: str = "") -> None:
    """A screenshot of the viewport (or of the first `selector`, if there is one) into
    `folder`, recorded in the result; nothing when there is no folder."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if selector:
        if not page.locator(selector).count():
            return
        page.locator(selector).first.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    result.screenshots.append(path)


def _check_wide(page, result: PageCheck, folder: Path | None) -> None:
    """At desktop width: images, alt text, contents links; the first page and first chart."""
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
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, result, folder, f"first-page-{WIDE[0]}.png")
    _shoot(page, result, folder, f"chart-section-{WIDE[0]}.png", "figure.chart")


def _check_narrow(page, result: PageCheck, folder: Path | None) -> None:
    """At phone width: the page does not scroll sideways, and the first trend table shows
    its current year without scrolling it; the first page, that table and the first chart
    (in its narrow drawing: the narrow images must load too)."""
    broken = page.eval_on_selector_all(
        "img",
        "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.currentSrc.slice(0, 40))",
    )
    result.broken_images += [f"{src} (at {NARROW[0]} px)" for src in broken]
    result.narrow_overflow_px = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    _shoot(page, result, folder, f"first-page-{NARROW[0]}.png")
    cells = page.evaluate(_CURRENT_YEAR_JS)
    if cells is not None:
        result.narrow_current_year = [c["text"] for c in cells]
        result.narrow_current_year_hidden = [c["text"] for c in cells if not c["inside"]]
        _shoot(page, result, folder, f"trend-table-{NARROW[0]}.png")
    _shoot(page, result, folder, f"chart-section-{NARROW[0]}.png", "figure.chart")
