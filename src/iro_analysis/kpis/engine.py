"""Run every KPI of a year, write kpis.csv/json, and the `iro-analysis kpis` command."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from iro_analysis.contract.tables import COMES_WITH
from iro_analysis.core.cells import csv_safe
from iro_analysis.core.settings import Settings
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis import cla, cp, disputes, meetings, reviews, voice, workforce
from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import FAMILIES, KPI_CSV_COLUMNS, NON_DATA_INPUTS, kpi_frame
from iro_analysis.kpis.ratings import add_ratings
from iro_analysis.kpis.registry import (
    KPI_DEFINITIONS,
    check_targets,
    family_frame,
    registered,
)

# The modules whose `breakdowns(ctx)` make up compute_breakdowns, with the inputs each needs.
_BREAKDOWNS = (
    (cla, ("episodes",)),
    (reviews, ("episodes", "reviews")),
    (cp, ("cin_census",)),
    (disputes, ("disputes",)),
    (meetings, ("meetings",)),
    (workforce, ("workforce", "meetings")),
    (voice, ("feedback",)),
)


def _rows(ctx: KpiContext, *, rated_only: bool = False) -> pd.DataFrame:
    frames = [
        f
        for f in (family_frame(ctx, family, rated_only=rated_only) for family in FAMILIES)
        if len(f)
    ]
    return pd.concat(frames, ignore_index=True) if frames else kpi_frame([])


def compute_kpis(
    ds: Dataset,
    year: int,
    settings: Settings | None = None,
    narrative_path: Path | str | None = None,
) -> pd.DataFrame:
    """Every KPI of `year` the supplied data supports, one row each, with its rating.

    Columns `kpi_id, year, value, numerator, denominator, england, rating, rating_basis`
    (`KPI_CSV_COLUMNS`); rows in the order of `KPI_DEFINITIONS` (the order of FAMILIES:
    children looked after, reviews, child protection, disputes, meetings, workforce,
    education and health, oversight, feedback, independent visitors, progress), dispute
    themes in the schema's theme order. A KPI is produced only when every input it needs
    was supplied in `year`'s own folder. Counts carry no numerator/denominator; percentages
    and ratios are rounded half up to 1 dp, blank when the denominator is 0 (the row is
    still written with 0/0). `england`, `rating` and `rating_basis` are those of
    `ratings.add_ratings`: the previous year's headline KPIs are computed too (when its
    folder supplied their inputs) so that a headline KPI can be rated against last year.
    `narrative_path` is the year's narrative (default reports/narrative/<YEAR>.md), which
    priorities_met reads.
    """
    ctx = KpiContext(ds, year, settings, narrative_path)
    check_targets(ctx.settings)
    current = _rows(ctx)
    frames = [current]
    if int(year) - 1 in ds.years:
        previous = _rows(ctx.sibling(int(year) - 1), rated_only=True)
        if len(previous):
            frames.insert(0, previous)
    history = pd.concat(frames, ignore_index=True) if len(frames) > 1 else current
    rated = add_ratings(history, ctx.settings)
    return rated.loc[rated["year"].eq(int(year))].reset_index(drop=True)


def missing_inputs(ds: Dataset, year: int) -> dict[str, list[str]]:
    """For each KPI family with a KPI not produced, the inputs missing from `year`'s folder
    (data files only: a missing narrative is not missing data)."""
    out: dict[str, list[str]] = {}
    for family in FAMILIES:
        missing: list[str] = []
        for reg in registered(family):
            for name in reg.definition.inputs:
                if name in NON_DATA_INPUTS:
                    continue
                if not ds.has_input(name, year) and name not in missing:
                    missing.append(name)
        # a part of a missing input is not missing on its own (`COMES_WITH`)
        missing = [n for n in missing if COMES_WITH.get(n) not in missing]
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


def _text(x: Any) -> str:
    """A text cell: blank when missing, quoted (RFC 4180) when it holds a comma or quote."""
    if x is None or pd.isna(x):
        return ""
    s = str(x)
    return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n\r') else s


def _json_text(x: Any) -> str | None:
    return None if x is None or pd.isna(x) else str(x)


def format_kpis(df: pd.DataFrame, format: str = "csv") -> str:  # noqa: A002
    """kpis.csv (or JSON) text with deterministic bytes: the columns `KPI_CSV_COLUMNS`
    (kpi_id, year, value, numerator, denominator, england, rating, rating_basis). A frame
    without the rating columns (rows not from compute_kpis) writes them blank. In CSV, a
    text cell a spreadsheet could read as a formula is prefixed with `'` (`core.cells`)."""
    if format == "csv":
        df = csv_safe(df)
    rows = [
        (r["kpi_id"], r["year"], r["value"], r["numerator"], r["denominator"])
        + tuple(r.get(c) for c in ("england", "rating", "rating_basis"))
        for r in df.to_dict("records")
    ]
    if format == "csv":
        buf = io.StringIO()
        buf.write(",".join(KPI_CSV_COLUMNS) + "\n")
        for kid, year, value, num, den, eng, rating, basis in rows:
            cells = [
                kid,
                str(int(year)),
                _fmt_value(kid, value),
                _fmt_number(num),
                _fmt_number(den),
                _fmt_number(eng),
                _text(rating),
                _text(basis),
            ]
            buf.write(",".join(cells) + "\n")
        return buf.getvalue()
    if format == "json":
        records = [
            {
                "kpi_id": kid,
                "year": int(year),
                "value": _json_number(value, value_of=kid),
                "numerator": _json_number(num),
                "denominator": _json_number(den),
                "england": _json_number(eng),
                "rating": _json_text(rating),
                "rating_basis": _json_text(basis),
            }
            for kid, year, value, num, den, eng, rating, basis in rows
        ]
        return json.dumps(records, indent=2) + "\n"
    raise ValueError(f"unknown KPI output format {format!r}; use 'csv' or 'json'")


def write_kpis(df: pd.DataFrame, path: Path | str, format: str = "csv") -> Path:  # noqa: A002
    """Write the KPI frame as kpis.csv (or JSON): counts as integers, percentages and
    ratios with exactly one decimal, England's figure as published, rating and basis as
    text, blanks empty, "\\n" line endings, UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(format_kpis(df, format).encode("utf-8"))
    return path
