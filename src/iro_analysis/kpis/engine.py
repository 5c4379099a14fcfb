"""Run every KPI of a year, write kpis.csv/json, and the `iro-analysis kpis` command."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from iro_analysis.errors import InputError
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis import (  # importing an area module registers its KPIs
    cla,
    cp,
    disputes,
    education_health,
    meetings,
    reviews,
    workforce,
)
from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import (
    FAMILIES,
    KPI_COLUMNS,
    KPI_DEFINITIONS,
    kpi_frame,
    order_by_family,
    registered,
)
from iro_analysis.settings import Settings, settings_or_defaults

order_by_family()

# Area modules in the order of FAMILIES (each holds one family's KPIs).
_AREAS = (cla, reviews, cp, disputes, meetings, workforce, education_health)

# The modules whose `breakdowns(ctx)` make up compute_breakdowns, with the inputs each needs.
_BREAKDOWNS = (
    (cla, ("episodes",)),
    (reviews, ("episodes", "reviews")),
    (cp, ("cin_census",)),
    (disputes, ("disputes",)),
    (meetings, ("meetings",)),
    (workforce, ("workforce", "meetings")),
)


def compute_kpis(ds: Dataset, year: int, settings: Settings | None = None) -> pd.DataFrame:
    """Every KPI of `year` the supplied data supports, one row each.

    Columns `kpi_id, year, value, numerator, denominator`; rows in the order of
    `KPI_DEFINITIONS` (the order of docs/kpis.md's families: children looked after, reviews,
    child protection, disputes, meetings, workforce, education and health), dispute themes
    in the schema's theme order. A KPI is produced only when every input it needs was
    supplied in `year`'s own folder. Counts carry no numerator/denominator; percentages and
    ratios are rounded half up to 1 dp, blank when the denominator is 0 (the row is still
    written with 0/0).
    """
    ctx = KpiContext(ds, year, settings)
    frames = [f for f in (module.kpis(ctx) for module in _AREAS) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else kpi_frame([])


def missing_inputs(ds: Dataset, year: int) -> dict[str, list[str]]:
    """For each KPI family with a KPI not produced, the inputs missing from `year`'s folder."""
    out: dict[str, list[str]] = {}
    for family in FAMILIES:
        missing: list[str] = []
        for kid, _, _ in registered(family):
            for name in KPI_DEFINITIONS[kid].inputs:
                if not ds.has_input(name, year) and name not in missing:
                    missing.append(name)
        if missing:
            out[family] = missing
    return out


def compute_breakdowns(
    ds: Dataset, year: int, settings: Settings | None = None
) -> dict[str, pd.DataFrame]:
    """The report's tidy breakdown tables (category columns, counts, percent of total).

    cla_by_age_band, cla_by_sex, cla_by_ethnicity_group, cla_by_legal_status,
    cla_by_placement (children looked after at 31 March), participation_by_code,
    participation_by_age_band, cp_by_category, drp_by_theme, drp_by_stage,
    meetings_by_type, rearranged_by_reason, caseload_by_iro; each only when its inputs
    were supplied in `year`'s folder. Small numbers are not suppressed here; no child
    identifiers appear.
    """
    ctx = KpiContext(ds, year, settings)
    out: dict[str, pd.DataFrame] = {}
    for module, inputs in _BREAKDOWNS:
        if ctx.has(*inputs):
            out.update(module.breakdowns(ctx))
    return out


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _fmt_number(x: Any) -> str:
    """Integers without ".0"; other numbers in their shortest exact form; blanks empty."""
    if x is None or pd.isna(x):
        return ""
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)


def _fmt_value(kpi_id: str, x: Any) -> str:
    if x is None or pd.isna(x):
        return ""
    d = KPI_DEFINITIONS.get(kpi_id)
    if d is not None and d.unit == "count":
        return str(int(x))
    return f"{float(x):.1f}"


def _json_number(x: Any, *, value_of: str | None = None) -> int | float | None:
    if x is None or pd.isna(x):
        return None
    f = float(x)
    if value_of is not None:
        d = KPI_DEFINITIONS.get(value_of)
        if d is not None and d.unit != "count":
            return f
    return int(f) if f.is_integer() else f


def format_kpis(df: pd.DataFrame, format: str = "csv") -> str:  # noqa: A002
    """kpis.csv (or JSON) text with deterministic bytes."""
    if format == "csv":
        buf = io.StringIO()
        buf.write(",".join(KPI_COLUMNS) + "\n")
        for r in df.itertuples(index=False):
            cells = [
                r.kpi_id,
                str(int(r.year)),
                _fmt_value(r.kpi_id, r.value),
                _fmt_number(r.numerator),
                _fmt_number(r.denominator),
            ]
            buf.write(",".join(cells) + "\n")
        return buf.getvalue()
    if format == "json":
        records = [
            {
                "kpi_id": r.kpi_id,
                "year": int(r.year),
                "value": _json_number(r.value, value_of=r.kpi_id),
                "numerator": _json_number(r.numerator),
                "denominator": _json_number(r.denominator),
            }
            for r in df.itertuples(index=False)
        ]
        return json.dumps(records, indent=2) + "\n"
    raise ValueError(f"unknown KPI output format {format!r}; use 'csv' or 'json'")


def write_kpis(df: pd.DataFrame, path: Path | str, format: str = "csv") -> Path:  # noqa: A002
    """Write the KPI frame as kpis.csv (or JSON): counts as integers, percentages and
    ratios with exactly one decimal, blanks empty, "\\n" line endings, UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(format_kpis(df, format).encode("utf-8"))
    return path


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def cli_main(args: argparse.Namespace) -> int:
    """`iro-analysis kpis --year YEAR [--raw-dir DIR] [--out FILE] [--format csv|json]`.

    Cleans every year folder (each raw file parsed once, then read from the parse cache in
    `<processed>/_cache/`), runs the critical validation checks for YEAR and writes the
    year's KPIs (standard output without --out). Raises InputError (the CLI prints it and
    exits 1) when YEAR has no raw folder or its data supports no KPI.
    """
    from iro_analysis.ingest.cache import cache_dir_of
    from iro_analysis.ingest.clean import build_dataset
    from iro_analysis.paths import available_years, raw_year_dir
    from iro_analysis.validate.suites import validate_dataset

    settings = settings_or_defaults(getattr(args, "settings", None))
    raw_dir = Path(args.raw_dir) if args.raw_dir else settings.paths.raw
    year = int(args.year)
    if not raw_year_dir(year, raw_dir).is_dir():
        years = available_years(raw_dir)
        have = ", ".join(map(str, years)) if years else "none (run `make data` for the demo)"
        raise InputError(
            f"no raw folder for {year} at {raw_year_dir(year, raw_dir)}; years available: {have}"
        )
    # Each raw file is parsed once: later runs read its parsed tables from the cache.
    ds = build_dataset(raw_dir, cache_dir=cache_dir_of(settings.paths.processed))
    validate_dataset(ds, year).raise_for_critical()
    df = compute_kpis(ds, year, settings)
    if df.empty:
        gaps = "; ".join(f"{k}: {', '.join(v)}" for k, v in missing_inputs(ds, year).items())
        raise InputError(
            f"the data in {raw_year_dir(year, raw_dir)} supports no KPI for {year} "
            f"(inputs missing: {gaps})"
        )
    fmt = getattr(args, "format", "csv") or "csv"
    if args.out:
        path = write_kpis(df, args.out, fmt)
        print(f"wrote {len(df)} KPIs for {year} to {path}", file=sys.stderr)
    else:
        sys.stdout.write(format_kpis(df, fmt))
    return 0
