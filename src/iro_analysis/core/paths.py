"""Every project folder as a constant worked out from the package's own location.

Notebooks, tests and the CLI import these instead of relying on the working directory.
`IRO_ANALYSIS_ROOT` overrides the project root (used by tests that build in a temporary
folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from iro_analysis.core.years import ReportingYear

PACKAGE_DIR: Path = Path(__file__).resolve().parents[1]
PROJECT_ROOT: Path = Path(os.environ.get("IRO_ANALYSIS_ROOT", PACKAGE_DIR.parents[1])).resolve()

CONFIG_DIR: Path = PROJECT_ROOT / "config"
SETTINGS_FILE: Path = CONFIG_DIR / "settings.yaml"
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
PROCESSED_DIR: Path = DATA_DIR / "processed"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
# Child-level outputs for managers and analysts (exception lists, validation samples,
# executed notebooks, GX Data Docs): never published, never committed.
RESTRICTED_DIR: Path = PROJECT_ROOT / "restricted"
NARRATIVE_DIR: Path = REPORTS_DIR / "narrative"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
DOCS_DIR: Path = PROJECT_ROOT / "docs"
PACKAGE_DATA_DIR: Path = PACKAGE_DIR / "data"
TEMPLATES_DIR: Path = PACKAGE_DIR / "templates"


def raw_year_dir(year: int, raw_dir: Path | None = None) -> Path:
    """The raw folder of reporting year `year` (1 April year-1 to 31 March year)."""
    return (raw_dir or RAW_DIR) / str(year)


def processed_year_dir(year: int, processed_dir: Path | None = None) -> Path:
    """The processed-parquet folder of reporting year `year`."""
    return (processed_dir or PROCESSED_DIR) / str(year)


def report_year_dir(year: int, reports_dir: Path | None = None) -> Path:
    """The rendered-report folder of reporting year `year`."""
    return (reports_dir or REPORTS_DIR) / str(year)


SCRATCH = "_scratch"  # where notebooks run by hand write: never a published folder


def scratch_dir(reports_dir: Path | None = None) -> Path:
    """Where a notebook run outside the build writes (`reports/_scratch/`, gitignored)."""
    return (reports_dir or REPORTS_DIR) / SCRATCH


def restricted_year_dir(year: int, restricted_dir: Path | None = None) -> Path:
    """The restricted (never published) folder of reporting year `year`."""
    return (restricted_dir or RESTRICTED_DIR) / str(year)


def available_years(raw_dir: Path | None = None) -> list[int]:
    """Years with a raw folder (named by four digits), oldest first."""
    base = raw_dir or RAW_DIR
    if not base.is_dir():
        return []
    return sorted(
        int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 4
    )


# The documents a build publishes in reports/<YEAR>/ (pipeline.publish's allow-list names them).
def report_filename(year: int) -> str:
    """`iro-annual-report-2021-22.html` for 2022."""
    return f"iro-annual-report-{ReportingYear(year).slug}.html"


def annex_filename(year: int) -> str:
    """`iro-technical-annex-2021-22.html` for 2022: the report's technical annex, beside it."""
    return f"iro-technical-annex-{ReportingYear(year).slug}.html"


def document_filenames(year: int) -> tuple[str, str]:
    """The two documents a build makes: the councillors' report and its technical annex."""
    return report_filename(year), annex_filename(year)
