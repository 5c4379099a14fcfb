"""Building and publishing: the door, the notebooks, HTML/PDF export, publish, the index.

`make report YEAR=2022` runs `build_report(2022)`: papermill executes the clean, validate
and annual-report notebooks into a staging folder, nbconvert turns the report notebook
into one self-contained HTML file with the project's template, and only when every step
has succeeded does the staging folder replace `reports/<YEAR>/`, so a failed build leaves
the previous good report in place. A build's Run (`core.run`) is opened at the door
(`pipeline.door.open_run`), where every check runs once.

This `__init__` is the API for scripts and tests; the package's own modules import from
the module that defines a name.
"""

from iro_analysis.pipeline.export import export_html
from iro_analysis.pipeline.index import build_trends, write_index
from iro_analysis.pipeline.notebooks import (
    CLEAN_NOTEBOOK,
    KERNEL,
    REPORT_NOTEBOOK,
    TRENDS_NOTEBOOK,
    VALIDATE_NOTEBOOK,
    run_notebook,
    strip_volatile_metadata,
)
from iro_analysis.pipeline.orchestrate import (
    build_report,
    build_run,
    cli_check,
    cli_main,
    cli_reports,
    prepare_history,
)
from iro_analysis.pipeline.publish import (
    PUBLISHED,
    PUBLISHED_TRENDS,
    clean_stale_staging,
    unpublishable,
)

__all__ = [
    "CLEAN_NOTEBOOK",
    "KERNEL",
    "PUBLISHED",
    "PUBLISHED_TRENDS",
    "REPORT_NOTEBOOK",
    "TRENDS_NOTEBOOK",
    "VALIDATE_NOTEBOOK",
    "build_report",
    "build_run",
    "build_trends",
    "clean_stale_staging",
    "cli_check",
    "cli_main",
    "cli_reports",
    "export_html",
    "prepare_history",
    "run_notebook",
    "strip_volatile_metadata",
    "unpublishable",
    "write_index",
]
