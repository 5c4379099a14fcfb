"""The report context: everything the sections draw on, computed once."""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from iro_analysis.core import paths
from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.settings import Settings, load_settings
from iro_analysis.core.years import ReportingYear, check_year
from iro_analysis.kpis.definitions import KPI_CSV_COLUMNS
from iro_analysis.report.catalogue import SECTION_TITLES
from iro_analysis.report.chart_cache import charts_dir

# --------------------------------------------------------------------------------------
# The report context: everything the sections draw on, computed once.
# --------------------------------------------------------------------------------------


@dataclass
class ReportContext:
    year: ReportingYear
    settings: Settings
    dataset: object  # iro_analysis.ingest.dataset.Dataset
    history: pd.DataFrame  # kpi rows for every year up to `year`
    breakdowns: dict[str, pd.DataFrame]
    missing: dict[str, list[str]]
    validation: pd.DataFrame | None
    narrative: dict[str, str]
    parameters: dict[str, object]
    output_dir: Path | None = None
    definitions: dict = field(default_factory=dict)
    restricted_dir: Path | None = None  # exact KPIs (never published); default restricted/<YEAR>
    # the year's figures beside its own return's (kpis.reconcile), checked in _prepare
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    # no narrative file for the year: the report is a draft (front sheet and title say so)
    draft: bool = False
    # where its charts are cached (report/chart_cache.py: <processed>/_cache/charts/); None
    # draws every chart afresh
    chart_cache: Path | None = None
    # (history, its length, {(kpi_id, year): first row's position}), built by `position`
    _positions: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def kpis(self) -> pd.DataFrame:
        """This year's KPI rows, in the KPI engine's order."""
        return self.history[self.history["year"] == self.year.year].reset_index(drop=True)

    def position(self, kpi_id: str, year: int | None = None) -> int | None:
        """The position in `history` of a KPI's first row for `year` (default the report's),
        or None: one dictionary look-up (built once per history frame; the summary and the
        ratings look up several hundred values, each a boolean mask over the history)."""
        h = self.history
        index = self._positions
        if index is None or index[0] is not h or index[1] != len(h):
            positions: dict[tuple[str, int], int] = {}
            for i, key in enumerate(zip(h["kpi_id"].tolist(), h["year"].tolist(), strict=True)):
                positions.setdefault((str(key[0]), int(key[1])), i)
            index = self._positions = (h, len(h), positions)
        return index[2].get((kpi_id, int(year or self.year.year)))

    def value(self, kpi_id: str, year: int | None = None) -> float | None:
        """A KPI's value (None when absent or blank)."""
        at = self.position(kpi_id, year)
        if at is None:
            return None
        v = self.history["value"].iat[at]
        return None if pd.isna(v) else float(v)

    def has(self, kpi_id: str) -> bool:
        return self.position(kpi_id) is not None

    def unit(self, kpi_id: str) -> str:
        d = self.definitions.get(kpi_id)
        return getattr(d, "unit", "count") if d is not None else "count"

    def title(self, kpi_id: str) -> str:
        d = self.definitions.get(kpi_id)
        return getattr(d, "title", kpi_id) if d is not None else kpi_id

    def phrase(self, kpi_id: str) -> str:
        """The title for use inside a sentence (no trailing "(%)")."""
        return self.title(kpi_id).removesuffix(" (%)")

    def formatted(self) -> dict[str, str]:
        """Every KPI of the year as printed ("85.2%", "1,234"), for narrative placeholders.

        A defined KPI that could not be produced (its input was not supplied) maps to
        `narrative.NOT_SUPPLIED`, which the narrative refuses as a placeholder (naming the
        file, line and KPI); an id that is no KPI at all is left out, so the narrative errors.
        """
        from iro_analysis.kpis.workforce import STAFF_COUNTS
        from iro_analysis.report.narrative import NOT_SUPPLIED, format_value
        from iro_analysis.report.suppression import format_staff

        out = dict.fromkeys(self.definitions, NOT_SUPPLIED)
        for row in self.kpis.itertuples(index=False):
            text = format_value(row.value, self.unit(row.kpi_id))
            if row.kpi_id in STAFF_COUNTS and text is not None:
                text = format_staff(row.value)
            out[row.kpi_id] = text if text is not None else "not available"
        return out


def kpi_history(
    dataset, year: int, settings: Settings, narrative_path: Path | None = None
) -> pd.DataFrame:
    """KPI rows for every year supplied up to and including `year` (for trends); the
    year's own narrative is `narrative_path` (default reports/narrative/<YEAR>.md), the
    earlier years' are theirs in reports/narrative/."""
    from iro_analysis.kpis.engine import compute_kpis

    years = [y for y in dataset.years if y <= year]
    frames = [
        compute_kpis(dataset, y, settings, narrative_path=_narrative_of(y, year, narrative_path))
        for y in years
    ]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(KPI_CSV_COLUMNS))
    )


def _narrative_of(y: int, year: int, narrative_path: Path | None) -> Path:
    """The narrative of year `y` in a report of `year` (priorities_met reads it)."""
    if y == year and narrative_path:
        return Path(narrative_path)
    return paths.NARRATIVE_DIR / f"{y}.md"


KPI_CACHE = "kpis"  # <processed>/_cache/kpis/: one parquet per (data, code, settings, year)


@functools.cache
def _kpi_code_digest() -> str:
    """sha256 over the package's KPI code and the national figures (England columns)."""
    from iro_analysis.core.hashing import files_digest

    kpis = sorted((paths.PACKAGE_DIR / "kpis").rglob("*.py"))
    return files_digest([*kpis, paths.PACKAGE_DATA_DIR / "national_figures.csv"])


def _sha256_files(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + (f.read_bytes() if f.is_file() else b"-") + b"\0")
    return h.hexdigest()


def kpi_history_cached(
    dataset,
    year: int,
    settings: Settings,
    processed_dir: Path,
    settings_sha256: str,
    narrative_path: Path | None = None,
) -> pd.DataFrame:
    """`kpi_history`, each year's KPIs read from `<processed>/_cache/kpis/` when computed
    before from the same clean data, KPI code, national figures, settings and what the KPIs
    read of that year's narrative (`priorities.narrative_read`: its progress section);
    computed and stored otherwise. A year's entry is keyed by the sha256 of all of these,
    so a change to any of them recomputes that year only.
    """
    from iro_analysis.kpis.engine import compute_kpis
    from iro_analysis.kpis.priorities import narrative_read

    folder = paths.processed_year_dir(year, processed_dir)
    data = _sha256_files(sorted(folder.glob("*.parquet")))
    cache_dir = Path(processed_dir) / "_cache" / KPI_CACHE
    frames = []
    for y in (y for y in dataset.years if y <= year):
        narrative = _narrative_of(y, year, narrative_path)
        key = hashlib.sha256(
            "\0".join(
                [data, _kpi_code_digest(), settings_sha256, str(y), narrative_read(narrative)]
            ).encode()
        ).hexdigest()
        entry = cache_dir / f"{y}-{key[:32]}.parquet"
        try:
            frame = pd.read_parquet(entry)
        except (OSError, ValueError):
            frame = compute_kpis(dataset, y, settings, narrative_path=narrative)
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f".{entry.name}.{uuid.uuid4().hex}.tmp")
            frame.to_parquet(tmp, index=False)
            tmp.replace(entry)
        frames.append(frame)
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(KPI_CSV_COLUMNS))
    )


def _read_validation(path: Path | None) -> pd.DataFrame | None:
    if path is None or not Path(path).is_file():
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = data.get("results", data) if isinstance(data, dict) else data
    return pd.DataFrame(rows)


def prepare(
    year: object,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    output_dir: Path | None = None,
    settings_path: Path | None = None,
    validation_path: Path | None = None,
    narrative_path: Path | None = None,
    restricted_dir: Path | None = None,
) -> ReportContext:
    """Load the clean data and compute every figure the report needs, once.

    `year` is a year (an analyst's call, the other arguments defaulting to the settings
    file's folders) or a build's Run (`prepare(run)`, the same as `prepare_run(run)`).
    """
    from iro_analysis.core.run import Run
    from iro_analysis.ingest.code_map import code_map_of
    from iro_analysis.validate.suites import load_or_clean

    if isinstance(year, Run):
        return prepare_run(year)
    year = check_year(year)
    settings = load_settings(settings_path)
    return _prepare(
        year,
        settings,
        load_or_clean(year, raw_dir, processed_dir, code_map_of(settings)),
        parameters={
            "year": year,
            "raw_dir": raw_dir,
            "processed_dir": processed_dir,
            "settings_path": settings_path,
            "narrative_path": narrative_path,
        },
        output_dir=Path(output_dir) if output_dir else None,
        validation_path=validation_path,
        narrative_path=Path(narrative_path) if narrative_path else None,
        restricted_dir=Path(restricted_dir) if restricted_dir else None,
        chart_cache=charts_dir(Path(processed_dir) if processed_dir else paths.PROCESSED_DIR),
    )


def prepare_run(run) -> ReportContext:
    """The report context of a Run (`iro_analysis.core.run.Run`), checking nothing again:
    its year, settings and narrative; the clean data in its processed folder (cleaned here
    only when there is none: a notebook opened by hand); the validation results its
    validate step wrote into the staging folder (validated here when there are none); and
    output into its staging folders."""
    from iro_analysis.ingest.code_map import code_map_of
    from iro_analysis.validate.suites import load_or_clean

    settings = run.settings()
    ds = load_or_clean(run.year, run.raw_dir, run.processed_dir, code_map_of(settings))
    return _prepare(
        run.year,
        settings,
        ds,
        history=kpi_history_cached(
            ds, run.year, settings, run.processed_dir, run.settings_sha256, run.narrative_path
        ),
        parameters={
            "year": run.year,
            "raw_dir": run.raw_dir,
            "processed_dir": run.processed_dir,
            "settings_path": run.settings_path,
            "narrative_path": run.narrative_path,
        },
        output_dir=run.staging_dir,
        validation_path=run.staging_dir / "validation.json",
        narrative_path=run.narrative_path,
        restricted_dir=run.restricted_staging_dir,
        chart_cache=charts_dir(run.processed_dir),
    )


def _prepare(
    year: int,
    settings: Settings,
    ds,
    parameters: dict[str, object],
    output_dir: Path | None,
    validation_path: Path | None,
    narrative_path: Path | None,
    restricted_dir: Path | None,
    history: pd.DataFrame | None = None,
    chart_cache: Path | None = None,
) -> ReportContext:
    """Compute every figure of `year` from the clean Dataset `ds`, once (the KPI history
    given, or computed here)."""
    from iro_analysis.kpis.engine import compute_breakdowns, missing_inputs
    from iro_analysis.kpis.registry import KPI_DEFINITIONS
    from iro_analysis.report.narrative import load_narrative

    if year not in ds.years:
        raise IroAnalysisError(
            f"no raw data for {year}; years available: {', '.join(map(str, ds.years))}"
        )
    ctx = ReportContext(
        year=ReportingYear(year),
        settings=settings,
        dataset=ds,
        history=kpi_history(ds, year, settings, narrative_path) if history is None else history,
        breakdowns=compute_breakdowns(ds, year, settings),
        missing=missing_inputs(ds, year),
        validation=_read_validation(validation_path),
        narrative={},
        parameters=parameters,
        output_dir=output_dir,
        definitions=dict(KPI_DEFINITIONS),
        restricted_dir=restricted_dir,
        chart_cache=chart_cache,
    )
    from iro_analysis.kpis.reconcile import check_reconciliation, reconciliation

    ctx.reconciliation = reconciliation(ds, year, ctx.kpis)
    check_reconciliation(ctx.reconciliation, year)
    if ctx.validation is None:  # run by hand: validate here rather than show nothing
        from iro_analysis.validate.suites import validate_dataset

        ctx.validation = validate_dataset(ds, year, settings).public_results()
    narrative_file = narrative_path or paths.NARRATIVE_DIR / f"{year}.md"
    ctx.draft = not Path(narrative_file).is_file()
    ctx.narrative = load_narrative(
        narrative_file,
        ctx.formatted(),
        SECTION_TITLES,
        council=settings.council_name,
        period=ctx.year.label,
    )
    return ctx


# --------------------------------------------------------------------------------------
# Rendering: each section is HTML built by the package (the notebook only calls `show`).
# --------------------------------------------------------------------------------------


def manifest_parameters(ctx: ReportContext) -> dict[str, object]:
    s = ctx.settings
    params = {k: v for k, v in ctx.parameters.items() if v is not None}
    params.update(
        council_name=s.council_name,
        suppression_threshold=s.suppression_threshold,
        pn4_counts_as_participation=s.pn4_counts_as_participation,
    )
    return params
