"""Every project folder as a constant worked out from the package's own location.

Notebooks, tests and the CLI import these instead of relying on the working directory.
`IRO_ANALYSIS_ROOT` overrides the project root (used by tests that build in a temporary
folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from iro_analysis.core.errors import InputError, one_line
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
    """Years with a raw folder (named by four digits), oldest first. A link named like a
    year is listed (whatever it points at) so that `raw_files` refuses it, never skipped."""
    base = raw_dir or RAW_DIR
    if not base.is_dir():
        return []
    return sorted(
        int(p.name)
        for p in base.iterdir()
        if (p.is_dir() or p.is_symlink()) and p.name.isdigit() and len(p.name) == 4
    )


def raw_files(folder: Path) -> list[Path]:
    """Every file in a year's raw `folder` (`raw_year_dir`), at any depth, sorted: the one
    way the raw data is listed (to read, hash or size it).

    A symbolic link there (the folder itself, a folder in it or a file), wherever it
    points, inside the raw folder or outside it, is refused with an InputError naming the
    link: raw data is copied in, so what is read is what is hashed and kept. The walk never
    follows a link, and nothing behind one is opened. Entries that are neither file, folder
    nor link (a pipe, a socket) are not listed.
    """
    top = Path(folder)
    if top.is_symlink():
        raise _link_refused(top)
    files, links, stack = [], [], [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for e in entries:
                if e.is_symlink():
                    links.append(Path(e.path))
                elif e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                elif e.is_file(follow_symlinks=False):
                    files.append(Path(e.path))
    if links:
        raise _link_refused(min(links))
    return sorted(files)


def _link_refused(link: Path) -> InputError:
    return InputError(
        f"{one_line(link)} is a symbolic link; the raw folder must hold the files themselves: "
        "copy the file or folder in instead of linking it"
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
