"""The trends report build and reports/index.html."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.paths import annex_filename, available_years, report_filename
from iro_analysis.core.settings import Settings, load_settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.pipeline.door import open_run
from iro_analysis.pipeline.export import export_html
from iro_analysis.pipeline.notebooks import TRENDS_NOTEBOOK, run_notebook
from iro_analysis.pipeline.publish import PUBLISHED_TRENDS, clean_stale_staging, publish_folder
from iro_analysis.report import templating
from iro_analysis.report.trends import TRENDS_FILENAME, trends_contents


def write_index(reports_dir: Path, settings: Settings) -> Path:
    """`reports/index.html` linking every year's report, its technical annex (when built)
    and the trends report (the template templates/fragments/reports_index.html.j2,
    sandboxed and autoescaped)."""
    items = []
    for year in sorted(
        (int(p.name) for p in reports_dir.iterdir() if p.is_dir() and p.name.isdigit()),
        reverse=True,
    ):
        if (reports_dir / str(year) / report_filename(year)).is_file():
            items.append(
                {
                    "href": f"{year}/{report_filename(year)}",
                    "label": ReportingYear(year).label,
                    "kpis": f"{year}/kpis.csv",
                    "annex": f"{year}/{annex_filename(year)}"
                    if (reports_dir / str(year) / annex_filename(year)).is_file()
                    else None,
                }
            )
    trends = (
        f"trends/{TRENDS_FILENAME}"
        if (reports_dir / "trends" / TRENDS_FILENAME).is_file()
        else None
    )
    text = templating.render(
        "reports_index.html.j2", council=settings.council_name, reports=items, trends=trends
    )
    out = reports_dir / "index.html"
    out.write_text(text, encoding="utf-8")
    return out


def build_trends(
    raw_dir: Path | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    settings_path: Path | None = None,
    log=print,
    restricted_dir: Path | None = None,
) -> Path:
    """Build `reports/trends/iro-trends.html` for the latest year supplied (its executed
    notebook goes to `restricted/trends/notebooks/`). The latest year's published
    validation results, when built, are reused rather than validated again."""
    settings = load_settings(settings_path)
    raw = Path(raw_dir or settings.paths.raw)
    years = available_years(raw)
    if not years:
        raise IroAnalysisError(f"no year folders in {raw}: run `make data` for the demo council")
    run = open_run(
        years[-1],
        settings_path=settings_path,
        raw_dir=raw,
        processed_dir=processed_dir,
        reports_dir=reports_dir,
        restricted_dir=restricted_dir,
        tag=f"trends-{os.getpid()}",
    )
    for folder in (run.reports_dir, run.restricted_dir):
        folder.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(folder, log=lambda m: log(f"[trends] {m}"))
    for folder in (run.staging_root, run.restricted_staging_root):
        shutil.rmtree(folder, ignore_errors=True)
    run.staging_dir.mkdir(parents=True)
    (run.restricted_staging_dir / "notebooks").mkdir(parents=True)
    validation = paths.report_year_dir(run.year, run.reports_dir) / "validation.json"
    if validation.is_file():
        shutil.copy2(validation, run.staging_dir / "validation.json")
    log(f"[trends] running notebooks/{TRENDS_NOTEBOOK}")
    executed = run.restricted_staging_dir / "notebooks" / TRENDS_NOTEBOOK
    try:
        run_notebook("trends", TRENDS_NOTEBOOK, executed, {"run_path": run.write()})
        (run.staging_dir / "validation.json").unlink(missing_ok=True)
        export_html(
            executed,
            run.staging_dir / TRENDS_FILENAME,
            run.year,
            run.settings(),
            title=f"{settings.report_title}: trends",
            contents=trends_contents(),
        )
        publish_folder(run.staging_dir, run.reports_dir / "trends", PUBLISHED_TRENDS)
        publish_folder(run.restricted_staging_dir, run.restricted_dir / "trends", None)
    finally:
        shutil.rmtree(run.staging_root, ignore_errors=True)
        shutil.rmtree(run.restricted_staging_root, ignore_errors=True)
    return run.reports_dir / "trends" / TRENDS_FILENAME
