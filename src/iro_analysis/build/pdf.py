"""The committee PDF: the report's HTML printed by headless Chromium with its print styles.

A4, page numbers in the footer, charts kept whole (CSS `break-inside: avoid`) and table
headers repeated on each page (`thead { display: table-header-group }`).

Chromium's header and footer templates are HTML: the footer's label (the council's name
and the reporting year, from settings) is escaped before it goes in.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

FOOTER = Markup(
    '<div style="font-size:8px;font-family:Arial,sans-serif;width:100%;text-align:center;color:#333">'
    '{label}Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def footer_template(label: str | None = None) -> str:
    """The page footer: `label` (escaped: it comes from settings), then "Page n of m"."""
    prefix = Markup("{} &middot; ").format(label) if label else ""
    return str(FOOTER.format(label=prefix))


def html_to_pdf(html_path: Path, pdf_path: Path, label: str | None = None) -> Path:
    """Print `html_path` to `pdf_path` (written via a temporary file, then renamed).

    `label` (e.g. the council's name and the reporting year) starts each page's footer.
    """
    from iro_analysis.build.browser import browser

    tmp = pdf_path.with_name(pdf_path.name + ".tmp")
    with browser() as b:
        page = b.new_page()
        page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.pdf(
            path=str(tmp),
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template="<div></div>",
            footer_template=footer_template(label),
            margin={"top": "18mm", "bottom": "20mm", "left": "15mm", "right": "15mm"},
            prefer_css_page_size=False,
        )
    tmp.replace(pdf_path)
    return pdf_path
