"""The build's door: a Run is opened here, and every check runs once before any step.

`core.run.Run.create` checks what the ground floor can (the year, the raw folder, the
settings file parsed and type-checked). The door adds what needs the stages, each stage's
own check of the settings it defines (`check_settings`) and the narrative's placeholders
(`check_narrative`), so that a build with a bad setting or placeholder stops before it
cleans a file, naming what to fix.
"""

from __future__ import annotations

import sys
from pathlib import Path

from iro_analysis.contract.raw_files import MEETINGS
from iro_analysis.contract.ssd import SSD_DIR
from iro_analysis.contract.tables import check_not_supplied
from iro_analysis.core.paths import available_years, raw_year_dir
from iro_analysis.core.run import Run
from iro_analysis.core.settings import Settings
from iro_analysis.ingest.code_map import check_code_map
from iro_analysis.ingest.ssd_db import snapshot_year
from iro_analysis.kpis.registry import KPI_DEFINITIONS, check_targets
from iro_analysis.report.catalogue import SECTION_TITLES
from iro_analysis.report.narrative import check_narrative_file
from iro_analysis.validate.gates import check_accepted_anomalies

# Each stage's check of the settings that name something it defines, in pipeline order.
SETTINGS_CHECKS = (check_not_supplied, check_code_map, check_accepted_anomalies, check_targets)


def check_settings(settings: Settings) -> Settings:
    """Run every stage's settings check (SettingsError naming the file, key and value);
    return the settings unchanged."""
    for check in SETTINGS_CHECKS:
        check(settings)
    return settings


def check_narrative(path: Path) -> None:
    """A bad placeholder in the analysts' narrative stops the build before anything runs."""
    check_narrative_file(path, KPI_DEFINITIONS, SECTION_TITLES)


def open_run(year: object, **kwargs) -> Run:
    """`Run.create(year, **kwargs)`, then the settings' stage checks and the narrative's,
    then, when the settings name an SSD database, the SSD tables of each year folder up to
    the year that has neither ssd/ nor iro/meetings.csv read into it (`take_ssd_snapshots`;
    the Run is made again, so that its input hashes include them).

    Raises IroAnalysisError, SettingsError or NarrativeError, each naming what to fix."""
    run = Run.create(year, **kwargs)
    check_settings(run.settings())
    check_narrative(run.narrative_path)
    if take_ssd_snapshots(run.settings(), run.raw_dir, run.year):
        run = Run.create(year, **kwargs)
    return run


def take_ssd_snapshots(settings: Settings, raw_dir: Path, year: int) -> list[Path]:
    """Read the SSD database of `settings.ssd` into each year folder up to `year` that has
    neither ssd/ nor iro/meetings.csv (`ingest.ssd_db.snapshot_year`); the folders written,
    each announced on standard error. Nothing without a database_url."""
    ssd = settings.ssd
    if not ssd.database_url:
        return []
    written = []
    for y in available_years(raw_dir):
        ydir = raw_year_dir(y, raw_dir)
        if y > year or (ydir / SSD_DIR).exists() or (ydir / MEETINGS.relpath).exists():
            continue
        out = snapshot_year(ssd.database_url, ssd.schema, y, ydir)
        if out is not None:
            print(f"Read the SSD's {y} tables from the database into {out}", file=sys.stderr)
            written.append(out)
    return written


def run_for_year(run: Run, year: int, tag: str | None = None) -> Run:
    """`run.for_year(year)` (the same build for another year), its narrative checked."""
    other = run.for_year(year, tag=tag)
    check_narrative(other.narrative_path)
    return other
