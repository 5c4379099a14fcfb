"""The analyst's API for exploring a year in JupyterLab (notebooks/00_explore.ipynb).

Each function is one step of an exploration, built on the same code as the report:

- `load_year(year)`: the year's clean `Dataset` (the processed parquet when current);
- `context(ds, year, as_at=None)`: the KPI context (31 March by default) every table below
  takes;
- `children_looked_after(ctx)`, `reviews_with_due_dates(ctx)`, `conferences(ctx)`,
  `disputes(ctx)`: child-level tables with the package's due dates and on-time flags;
- `kpis(ds, year, as_at=None)`, `check_kpi(kpis, kpi_id, numerator, denominator)`: every
  KPI with its numerator and denominator (or, at an in-year `as_at`, the KPIs of
  `IN_YEAR_KPIS` taken at that date), and a check that a recomputation
  agrees;
- `breakdowns(ds, year)`, `drill(ctx, breakdown, category)`: the report's breakdowns and the
  child-level rows behind one of their cells;
- `plot_reviews_by_month(reviews, ax)`: a seaborn chart on the analyst's own axes.

Everything here is child-level except `kpis` and `breakdowns`: outputs of an exploration
belong in restricted/, never in reports/ (and notebooks are committed without outputs).

Conventions of every table returned here (converted at this boundary; the report's own
tables are unchanged): the child is always `child_id` (the SSDA903 tables' `CHILD` is
renamed); banded columns (`age_band`, the caseload breakdown's `band`) are ordered pandas
Categoricals (`BAND_ORDERS`), so they sort and plot in band order, with "Not known" last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from iro_analysis.analysts.as_at import as_at_context
from iro_analysis.analysts.charts import TIMELINESS, plot_reviews_by_month
from iro_analysis.analysts.in_year import IN_YEAR_KPIS, in_year_kpis
from iro_analysis.contract.codes import (
    AGE_BANDS,
    DISPUTE_THEME_LABELS,
    ETHNIC_GROUPS,
    LS_GROUPS,
    PLACE_GROUPS,
    REVIEW_CODE_LABELS,
    SEX_LABELS,
)
from iro_analysis.core import paths
from iro_analysis.core.settings import Settings, settings_or_defaults
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis import timescales as ts
from iro_analysis.kpis.context import UNKNOWN, KpiContext, age_band, age_in_years
from iro_analysis.kpis.workforce import CASELOAD_BANDS

__all__ = [
    "BAND_ORDERS",
    "CHILD_ID",
    "DRILLABLE",
    "EXPLORE_PARAMETERS",
    "IN_YEAR_KPIS",
    "TIMELINESS",
    "breakdowns",
    "check_kpi",
    "children_looked_after",
    "conferences",
    "context",
    "disputes",
    "drill",
    "drill_categories",
    "kpis",
    "load_year",
    "plot_reviews_by_month",
    "processed_is_current",
    "reviews_with_due_dates",
]

# The parameters cell of notebooks/00_explore.ipynb (checked by params.check_parameters).
EXPLORE_PARAMETERS = ("year", "raw_dir", "processed_dir")

# The one name of the child's id in every table this module returns.
CHILD_ID = "child_id"

# Banded column -> its bands in order ("Not known" last): returned as ordered Categoricals.
BAND_ORDERS: dict[str, tuple[str, ...]] = {
    "age_band": (*(label for label, _, _ in AGE_BANDS), UNKNOWN),
    "band": (*CASELOAD_BANDS, UNKNOWN),
}


def _for_analysts(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the API's conventions: `CHILD` renamed `child_id`, banded columns as
    ordered Categoricals (a copy; `frame` is not changed)."""
    out = frame.rename(columns={"CHILD": CHILD_ID})
    for column, order in BAND_ORDERS.items():
        if column in out.columns:
            out[column] = pd.Categorical(out[column], categories=list(order), ordered=True)
    return out


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def processed_is_current(
    year: int,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    settings: Settings | None = None,
) -> bool:
    """Whether `processed_dir/<year>/` was cleaned from the raw folders as they are now
    (the one freshness rule of `ingest.clean.load_clean`: every raw file up to the year by
    sha256, the cleaner's code and contract, the settings' code map; `settings` default to
    config/settings.yaml's)."""
    from iro_analysis.ingest.code_map import code_map_of
    from iro_analysis.ingest.processed import clean_key, recorded_key

    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    code_map = code_map_of(settings or settings_or_defaults())
    return recorded_key(int(year), processed_dir) == clean_key(int(year), raw_dir, code_map)


def load_year(
    year: int,
    raw_dir: Path | str | None = None,
    processed_dir: Path | str | None = None,
    settings: Settings | None = None,
) -> Dataset:
    """The clean Dataset of `year` (the folders up to the year, deduplicated: history
    included), from `ingest.clean.load_clean`: `processed_dir/<year>/` (default
    data/processed) when it was cleaned from the raw folders as they are now, otherwise
    cleaned again from `raw_dir` (default data/raw) and written there; the IRO extracts'
    own values mapped by the code map of `settings` (default config/settings.yaml's)."""
    from iro_analysis.ingest.clean import load_clean
    from iro_analysis.ingest.code_map import code_map_of

    raw = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    processed = Path(processed_dir) if processed_dir is not None else None
    code_map = code_map_of(settings or settings_or_defaults())
    return load_clean(int(year), raw, processed, code_map)


def context(
    ds: Dataset, year: int, as_at: object = None, settings: Settings | None = None
) -> KpiContext:
    """The KPI context of `year` (what every KPI and table below is computed from), taken at
    31 March `year`, or at `as_at` (a date in the reporting year; "in the year" is then the
    12 months up to it). `settings` default: config/settings.yaml."""
    return as_at_context(ds, year, as_at, settings or settings_or_defaults())


# --------------------------------------------------------------------------------------
# Child-level tables
# --------------------------------------------------------------------------------------


def children_looked_after(ctx: KpiContext) -> pd.DataFrame:
    """One row per child looked after at the context's end (31 March): their open episode
    (short breaks excluded, latest DECOM), the start of their period of care, header
    details and the labels the report's breakdowns use: `age` (completed years at the
    end), `age_band` (ordered), `sex`, `ethnicity_group`, `legal_status`, `placement` ("Not known"
    where the header or code is missing)."""
    cla = ctx.cla_at_end[["CHILD", "DECOM", "RNE", "LS", "PLACE", "period"]]
    periods = ctx.periods[["CHILD", "period", "start", "start_known"]].rename(
        columns={"start": "period_start"}
    )
    out = cla.merge(periods, on=["CHILD", "period"], how="left")
    out = out.merge(ctx.header[["CHILD", "SEX", "DOB", "ETHNIC"]], on="CHILD", how="left")
    out["age"] = age_in_years(out["DOB"], ctx.end)
    out["age_band"] = age_band(out["age"])
    out["sex"] = out["SEX"].map(SEX_LABELS).fillna(UNKNOWN)
    out["ethnicity_group"] = out["ETHNIC"].map(ETHNIC_GROUPS).fillna(UNKNOWN)
    out["legal_status"] = out["LS"].map(LS_GROUPS).fillna(UNKNOWN)
    out["placement"] = out["PLACE"].map(PLACE_GROUPS).fillna(UNKNOWN)
    return _for_analysts(out.sort_values("CHILD", kind="mergesort").reset_index(drop=True))


def reviews_with_due_dates(ctx: KpiContext) -> pd.DataFrame:
    """Every looked-after review dated in the year (short-break-only reviews dropped) with
    its period of care, number in the period (`ordinal`, blank when not known), previous
    review, `due_date`, `assessable` and `on_time` (`timescales.review_timeliness`, reg. 33),
    and the participation columns of the report: `code_label`, `age_at_review` (DOB from
    the review row, else the header), `age_band` (ordered), `participated` (PN1-PN6, or PN1-PN3 and
    PN5-PN6 under the PN4 setting) and `eligible` (PN1-PN7).

    `cla_reviews_on_time_pct` is `on_time.sum()` / `assessable.sum()` of this table."""
    from iro_analysis.kpis.reviews import participation_codes

    r = ctx.reviews_in_year.copy()
    dob = r[["CHILD"]].merge(ctx.header[["CHILD", "DOB"]], on="CHILD", how="left")["DOB"]
    r["age_at_review"] = age_in_years(r["DOB"].fillna(dob.set_axis(r.index)), r["REVIEW"])
    r["age_band"] = age_band(r["age_at_review"])
    r["code_label"] = r["REVIEW_CODE"].map(REVIEW_CODE_LABELS).fillna(UNKNOWN)
    yes, eligible = participation_codes(ctx)
    r["participated"] = r["REVIEW_CODE"].isin(yes)
    r["eligible"] = r["REVIEW_CODE"].isin(eligible)
    cols = [
        "CHILD",
        "REVIEW",
        "REVIEW_CODE",
        "code_label",
        "period",
        "period_start",
        "start_known",
        "ordinal",
        "prev_review",
        "due_date",
        "assessable",
        "on_time",
        "age_at_review",
        "age_band",
        "participated",
        "eligible",
    ]
    out = r.sort_values(["CHILD", "REVIEW"], kind="mergesort")[cols].reset_index(drop=True)
    return _for_analysts(out)


def conferences(ctx: KpiContext) -> pd.DataFrame:
    """Child protection conferences held in the year, one row each: `conference` ("ICPC" or
    "RCPC"), `child_id`, `held_date`, `counted_from` (S47 start, plan start or previous
    review conference), `due_date`, `assessable` and `on_time`. ICPCs are those of
    `icpc_held` (`timescales.icpc_timeliness`): assessable when they follow a Section 47
    (`follows_s47`), on time when within 15 working days. RCPCs are those of `rcpc_held`
    (`timescales.rcpc_timeliness`)."""
    from iro_analysis.kpis.calendar import add_working_days

    i = ts.icpc_timeliness(ctx.table("s47"), ctx.table("cin_details"))
    i = i.loc[ctx.in_year(i["DateOfInitialCPC"])]
    icpc = pd.DataFrame(
        {
            "conference": "ICPC",
            "child_id": i["LAchildID"],
            "held_date": i["DateOfInitialCPC"],
            "counted_from": i["S47ActualStartDate"],
            "due_date": add_working_days(i["S47ActualStartDate"], ts.ICPC_WORKING_DAYS),
            "assessable": i["follows_s47"],
            "on_time": i["within_15wd"],
        }
    )
    r = ts.rcpc_timeliness(ctx.table("cp_reviews"), ctx.cp_ordinals_from)
    r = r.loc[ctx.in_year(r["CPPreviewDate"])]
    rcpc = pd.DataFrame(
        {
            "conference": "RCPC",
            "child_id": r["LAchildID"],
            "held_date": r["CPPreviewDate"],
            "counted_from": r["prev_review"].fillna(r["CPPstartDate"]),
            "due_date": r["due_date"],
            "assessable": r["assessable"],
            "on_time": r["on_time"],
        }
    )
    out = pd.concat([icpc, rcpc], ignore_index=True)
    for c in ("held_date", "counted_from", "due_date"):
        out[c] = ts.as_dates(out[c])
    out["assessable"] = out["assessable"].astype(bool)
    out["on_time"] = out["on_time"].astype(bool)
    return out.sort_values(["conference", "held_date", "child_id"], kind="mergesort").reset_index(
        drop=True
    )


def disputes(ctx: KpiContext) -> pd.DataFrame:
    """Disputes raised in the year with `due_date` (20th working day after raising),
    `working_days_to_resolve` and `resolved_within_20wd` (`timescales.dispute_timeliness`),
    the theme's label and `stage` (highest stage as text, as the breakdown shows it)."""
    d = ctx.disputes_in_year.copy()
    d["theme_label"] = d["theme"].map(DISPUTE_THEME_LABELS).fillna(UNKNOWN)
    d["stage"] = d["highest_stage"].astype("Int64").astype("str").replace({"<NA>": UNKNOWN})
    return d.sort_values(["raised_date", "dispute_id"], kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# KPIs and breakdowns
# --------------------------------------------------------------------------------------


def kpis(
    ds: Dataset, year: int, settings: Settings | None = None, as_at: object = None
) -> pd.DataFrame:
    """Every KPI of the year (`kpis.compute_kpis`: kpi_id, year, value, numerator,
    denominator) with its title, indexed by kpi_id. The rule of each is
    `KPI_DEFINITIONS[kpi_id].definition`.

    With `as_at` (a date in the reporting year; at 31 March the published values): only the
    KPIs of `IN_YEAR_KPIS` (from `analysts.in_year`), taken at that date (`in_year_kpis`: counts
    at the date, timeliness over the 12 months up to it), with an `as_at` column; a date
    outside the year is a ValueError naming the date and the year."""
    from iro_analysis.kpis.engine import compute_kpis
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    settings = settings or settings_or_defaults()
    if as_at is not None and not (isinstance(as_at, str) and not as_at.strip()):
        return in_year_kpis(ds, int(year), as_at, settings)
    df = compute_kpis(ds, int(year), settings)
    df.insert(1, "title", [KPI_DEFINITIONS[k].title for k in df["kpi_id"]])
    return df.set_index("kpi_id")


def check_kpi(
    kpis: pd.DataFrame, kpi_id: str, numerator: float, denominator: float
) -> dict[str, Any]:
    """Check a KPI recomputed from its own numerator and denominator against the package's
    row in `kpis` (from `kpis()`): the numerator and denominator must be equal and the value
    must be `rate(numerator, denominator)` (per 100, half up to 1 dp). Returns the row as a
    dict; raises AssertionError saying what differs."""
    from iro_analysis.kpis.definitions import rate

    frame = kpis if kpis.index.name == "kpi_id" else kpis.set_index("kpi_id")
    if kpi_id not in frame.index:
        raise KeyError(f"no KPI {kpi_id!r} for this year (its inputs may not be supplied)")
    row = frame.loc[kpi_id]
    mine = rate(numerator, denominator)
    theirs = None if pd.isna(row["value"]) else float(row["value"])
    problems = []
    if float(row["numerator"]) != float(numerator):
        problems.append(f"numerator {numerator} != {row['numerator']}")
    if float(row["denominator"]) != float(denominator):
        problems.append(f"denominator {denominator} != {row['denominator']}")
    if mine != theirs:
        problems.append(f"value {mine} != {theirs}")
    if problems:
        raise AssertionError(f"{kpi_id}: " + "; ".join(problems))
    return {"kpi_id": kpi_id, "value": theirs, "numerator": numerator, "denominator": denominator}


def breakdowns(ds: Dataset, year: int, settings: Settings | None = None) -> dict[str, pd.DataFrame]:
    """The report's breakdown tables (`kpis.compute_breakdowns`), unsuppressed: counts of
    1 to 5 are shown here, unlike the published report. Bands are ordered Categoricals and
    the child is `child_id` (`BAND_ORDERS`, `CHILD_ID`)."""
    from iro_analysis.kpis.engine import compute_breakdowns

    tables = compute_breakdowns(ds, int(year), settings or settings_or_defaults())
    return {name: _for_analysts(table) for name, table in tables.items()}


# breakdown -> (child-level table, its column holding the breakdown's category, the
# categories the column can hold besides those in the data)
_DRILLS = {
    "cla_by_age_band": (children_looked_after, "age_band", BAND_ORDERS["age_band"]),
    "cla_by_sex": (children_looked_after, "sex", (*SEX_LABELS.values(), UNKNOWN)),
    "cla_by_ethnicity_group": (
        children_looked_after,
        "ethnicity_group",
        (*ETHNIC_GROUPS.values(), UNKNOWN),
    ),
    "cla_by_legal_status": (children_looked_after, "legal_status", (*LS_GROUPS.values(), UNKNOWN)),
    "cla_by_placement": (children_looked_after, "placement", (*PLACE_GROUPS.values(), UNKNOWN)),
    "participation_by_code": (reviews_with_due_dates, "REVIEW_CODE", tuple(REVIEW_CODE_LABELS)),
    "participation_by_age_band": (reviews_with_due_dates, "age_band", BAND_ORDERS["age_band"]),
    "drp_by_theme": (disputes, "theme", tuple(DISPUTE_THEME_LABELS)),
    "drp_by_stage": (disputes, "stage", (UNKNOWN,)),
}
DRILLABLE = tuple(_DRILLS)


def _categories(breakdown: str, rows: pd.DataFrame) -> list[str]:
    """The categories of `breakdown`: the contract's, then any other found in `rows`."""
    _, column, known = _DRILLS[breakdown]
    found = rows[column].astype("object").fillna(UNKNOWN).astype(str)
    return list(dict.fromkeys([*known, *sorted(set(found) - set(known))]))


def drill_categories(ctx: KpiContext, breakdown: str) -> list[str]:
    """The categories `drill(ctx, breakdown, category)` accepts, in order."""
    return _categories(_check_breakdown(breakdown), _DRILLS[breakdown][0](ctx))


def _check_breakdown(breakdown: str) -> str:
    if breakdown not in _DRILLS:
        raise ValueError(
            f"cannot drill into {breakdown!r}; the breakdowns are: {', '.join(DRILLABLE)}"
        )
    return breakdown


def drill(ctx: KpiContext, breakdown: str, category: str) -> pd.DataFrame:
    """The child-level rows behind one cell of a breakdown: e.g.
    `drill(ctx, "participation_by_age_band", "10 to 15")` is the year's reviews of children
    aged 10 to 15 at the review. Their number is the breakdown's count (`reviews` for
    participation_by_age_band). Breakdowns: `DRILLABLE`.

    `category` is matched exactly, else ignoring case and surrounding spaces ("male" is
    "Male"); one that matches none of the breakdown's categories (`drill_categories`),
    or an unknown breakdown, is a ValueError listing the valid ones. A valid category
    with no rows gives an empty table."""
    table, column, _ = _DRILLS[_check_breakdown(breakdown)]
    rows = table(ctx)
    valid = _categories(breakdown, rows)
    wanted = str(category)
    if wanted not in valid:
        folded = [v for v in valid if v.casefold() == wanted.strip().casefold()]
        if len(folded) != 1:
            raise ValueError(
                f"{breakdown} has no category {category!r}; its categories are: "
                + ", ".join(repr(v) for v in valid)
            )
        wanted = folded[0]
    cell = rows[column].astype("object").fillna(UNKNOWN).astype(str)
    return rows.loc[cell.eq(wanted)].reset_index(drop=True)
