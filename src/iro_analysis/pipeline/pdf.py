"""The committee PDF: the report's HTML printed by headless Chromium with its print styles.

A4, sections flowing (templates/iro_report/print.css), charts and table rows kept whole and
table headers repeated on each page. Chromium writes a tagged PDF (structure tree, for
screen readers) with bookmarks from the headings (`page.pdf(tagged=True, outline=True)`).
Every page carries a running title (the document's title: report, council and year) and a
footer with "Page n of m".

Chromium has no CSS `target-counter()`, so the contents' page numbers take two prints: the
first gives the page of each section heading (Chromium writes a named destination for every
element a link points at), the numbers are written into the contents' print-only slots in
the loaded page (never into the HTML file, which stays script-free), and the second print
must put every heading on the page the contents state.

Chromium's header and footer templates are HTML: the title and the footer's label (from
settings) are escaped before they go in.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from markupsafe import Markup

from iro_analysis.core.errors import IroAnalysisError

STYLE = "font-size:8px;font-family:Arial,sans-serif;width:100%;text-align:center;color:#333"
FOOTER = Markup(
    f'<div style="{STYLE}">'
    '{label}Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)
HEADER = Markup(f'<div style="{STYLE}">{{title}}</div>')
MARGIN = {"top": "16mm", "bottom": "16mm", "left": "15mm", "right": "15mm"}
MAX_PRINTS = 3  # the contents' numbers are written once; a third print only if a heading moved

FILL_CONTENTS = """(pages) => {
  for (const li of document.querySelectorAll('nav.toc li')) {
    const a = li.querySelector('a[href^="#"]');
    const slot = li.querySelector('.toc-page');
    if (!a || !slot) continue;
    const page = pages[decodeURIComponent(a.getAttribute('href').slice(1))];
    slot.textContent = page === undefined ? '' : String(page);
  }
}"""
CONTENTS_TARGETS = """() => [...document.querySelectorAll('nav.toc li')]
  .filter(li => li.querySelector('.toc-page') && li.querySelector('a[href^="#"]'))
  .map(li => decodeURIComponent(li.querySelector('a[href^="#"]').getAttribute('href').slice(1)))"""


def footer_template(label: str | None = None) -> str:
    """The page footer: `label` (escaped: it comes from settings), then "Page n of m"."""
    prefix = Markup("{} &middot; ").format(label) if label else ""
    return str(FOOTER.format(label=prefix))


def header_template(title: str | None = None) -> str:
    """The running title at the head of every page (escaped: it comes from settings)."""
    return str(HEADER.format(title=title or ""))


def destination_pages(pdf: bytes | Path) -> dict[str, int]:
    """The page (from 1) of each named destination in a PDF: the element ids links point at."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return {
        str(name).removeprefix("/"): reader.get_destination_page_number(dest) + 1
        for name, dest in reader.named_destinations.items()
    }


def _contents_pages(pdf: bytes, targets: list[str]) -> dict[str, int]:
    """The page of each contents entry's heading; an entry the PDF cannot place is an error."""
    pages = destination_pages(pdf)
    missing = [t for t in targets if t not in pages]
    if missing:
        raise IroAnalysisError(
            f"the PDF has no destination for the contents entries {missing}: "
            "each contents link must point at a heading id in the report"
        )
    return {t: pages[t] for t in targets}


def _print(page, **options) -> bytes:
    return page.pdf(
        format="A4",
        print_background=True,
        display_header_footer=True,
        margin=MARGIN,
        prefer_css_page_size=False,
        tagged=True,
        outline=True,
        **options,
    )


def html_to_pdf(
    html_path: Path, pdf_path: Path, label: str | None = None, *, title: str | None = None
) -> Path:
    """Print `html_path` to `pdf_path` (written via a temporary file, then renamed).

    `label` (e.g. the council's name and the reporting year) starts each page's footer;
    `title`, the running title at the head of each page, is by default the document's
    `<title>`. A contents list (`nav.toc` entries with a `.toc-page` slot) gets the page of
    each section; the build fails if a heading is not on the page the contents state.
    """
    from iro_analysis.pipeline.browser import browser

    tmp = pdf_path.with_name(pdf_path.name + ".tmp")
    with browser() as b:
        page = b.new_page()
        page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        options = {
            "header_template": header_template(title if title is not None else page.title()),
            "footer_template": footer_template(label),
        }
        pdf = _print(page, **options)
        targets = page.evaluate(CONTENTS_TARGETS)
        if targets:
            pdf = _with_contents_pages(page, pdf, targets, options)
    tmp.write_bytes(pdf)
    tmp.replace(pdf_path)
    return pdf_path


def _with_contents_pages(page, pdf: bytes, targets: list[str], options: Mapping) -> bytes:
    """Write each section's page into the contents and print again until no heading moves."""
    written = _contents_pages(pdf, targets)
    moved: list[str] = []
    for _ in range(MAX_PRINTS - 1):
        page.evaluate(FILL_CONTENTS, written)
        pdf = _print(page, **options)
        placed = _contents_pages(pdf, targets)
        if placed == written:
            return pdf
        moved = sorted(t for t in targets if placed[t] != written[t])
        written = placed
    raise IroAnalysisError(f"the contents' page numbers do not settle: {moved} keep moving")
