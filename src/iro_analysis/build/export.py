"""Executed notebook -> the self-contained report HTML (nbconvert, the project template)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iro_analysis import paths
from iro_analysis.build.notebooks import _drop_stderr
from iro_analysis.settings import Settings
from iro_analysis.years import ReportingYear


def export_html(
    notebook: Path,
    out: Path,
    year: int,
    settings: Settings,
    title: str | None = None,
    contents: Sequence[tuple[str, str]] | None = None,
) -> Path:
    """Convert an executed notebook to the self-contained report HTML (code and prompts hidden).

    `contents` is the report's contents list, (anchor id, title) per section heading, in
    order; by default the annual report's (`report.format.contents()`, from the catalogue
    and the slug its headings use). The trends report passes `trends.trends_contents()`.
    The template renders it as the nav; nothing is parsed back out of the HTML.
    """
    import nbformat
    from nbconvert import HTMLExporter

    from iro_analysis.report.format import contents as report_contents

    nb = _drop_stderr(nbformat.read(str(notebook), as_version=4))
    ry = ReportingYear(year)
    exporter = HTMLExporter(
        template_name="iro_report",
        extra_template_basedirs=[str(paths.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    entries = report_contents() if contents is None else contents
    resources = {
        "iro": {
            "title": title or settings.report_title,
            "council": settings.council_name,
            "period": ry.label,
            "period_text": f"1 April {ry.year - 1} to 31 March {ry.year}",
            "footer": f"{settings.council_name}. Produced with iro-analysis from the council's SSDA903, "
            "Children in Need census and IRO service records. Figures of 1 to "
            f"{settings.suppression_threshold} in breakdowns are shown as c.",
            "contents": [{"id": str(i), "title": str(t)} for i, t in entries],
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    out.write_text(body, encoding="utf-8")
    return out
