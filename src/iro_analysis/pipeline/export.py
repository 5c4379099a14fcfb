"""Executed notebook -> the self-contained report HTML (nbconvert, the project template).

The report notebook makes two documents from one run: its cell tagged "report" shows the
councillors' report, its cell tagged "annex" the technical annex; each export drops the
other document's cells (nbconvert's `TagRemovePreprocessor`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.core.settings import Settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.pipeline.notebooks import drop_stderr, skip_iri_formats

DRAFT_PREFIX = "DRAFT: "  # a year without a narrative: its documents' titles say so


def export_html(
    notebook: Path,
    out: Path,
    year: int,
    settings: Settings,
    title: str | None = None,
    contents: Sequence[tuple[str, str]] | None = None,
    document: str | None = None,
    draft: bool = False,
) -> Path:
    """Convert an executed notebook to the self-contained HTML (code and prompts hidden).

    `document` is "report" (the councillors' report) or "annex" (the technical annex) for
    the annual report notebook: the cells tagged with the other document are dropped, and
    the title and contents list are that document's. None (the trends report) keeps every
    cell. `contents` is the contents list, (anchor id, title) per section heading, in
    order; by default the document's sections (`report.format.contents`, from the
    catalogue and the slug its headings use), or every section without a document. The trends report passes `trends.trends_contents()`. The
    template renders it as the nav; nothing is parsed back out of the HTML. `draft` (a year
    without a narrative) starts the title with "DRAFT: ": the page's title, its heading and
    the PDF's running title at the head of each page.
    """
    skip_iri_formats()
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from iro_analysis.report.catalogue import DOCUMENTS, sections_in
    from iro_analysis.report.format import contents as report_contents

    nb = drop_stderr(nbformat.read(str(notebook), as_version=4))
    if document is not None:  # no empty cell before the report's first output
        nb.cells = [c for c in nb.cells if c.get("outputs")]
    ry = ReportingYear(year)
    exporter = HTMLExporter(
        template_name="iro_report",
        extra_template_basedirs=[str(paths.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    if document is not None:
        other = set(DOCUMENTS) - {document} if document in DOCUMENTS else None
        if other is None:
            raise ValueError(f"unknown document {document!r}; one of {', '.join(DOCUMENTS)}")
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags=other, enabled=True), enabled=True
        )
    if contents is not None:
        entries = list(contents)
    else:  # the document's sections; without a document, every section of the catalogue
        entries = report_contents(sections_in(document)) if document else report_contents()
    if title is None and document == "annex":
        title = f"{settings.report_title}: technical annex"
    title = title or settings.report_title
    resources = {
        "iro": {
            "title": f"{DRAFT_PREFIX}{title}" if draft else title,
            "council": settings.council_name,
            "period": ry.label,
            "period_text": f"1 April {ry.year - 1} to 31 March {ry.year}",
            "footer": f"{settings.council_name}. Produced from the council's SSDA903 return, "
            "Children in Need census and IRO service records. Figures of 1 to "
            f"{settings.suppression_threshold} in breakdowns are shown as c.",
            "contents": [{"id": str(i), "title": str(t)} for i, t in entries],
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    out.write_text(body, encoding="utf-8")
    return out


def export_documents(
    notebook: Path, folder: Path, year: int, settings: Settings, draft: bool = False
) -> list[Path]:
    """Both documents of the executed report notebook into `folder`: the councillors'
    report and the technical annex (`core.paths.document_filenames`), in that order;
    `draft` (no narrative for the year) titles both DRAFT."""
    from iro_analysis.core.paths import document_filenames
    from iro_analysis.report.catalogue import DOCUMENTS

    return [
        export_html(notebook, folder / name, year, settings, document=document, draft=draft)
        for name, document in zip(document_filenames(year), DOCUMENTS, strict=True)
    ]
