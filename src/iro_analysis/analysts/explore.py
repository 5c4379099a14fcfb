"""The analyst's API for exploring a year in JupyterLab (notebooks/00_explore.ipynb).

Each function is one step of an exploration, built on the same code as the report:

- `load_year(year)`: the year's clean `Dataset` (the processed parquet when current);
- `context(ds, year, as_at=None)`: the KPI context (31 March by default) every table below
  takes;
- `children_looked_after(ctx)`, `reviews_with_due_dates(ctx)`, `conferences(ctx)`,
  `disputes(ctx)`: child-level tables with the package's due dates and on-time flags;
- `kpis(ds, year)`, `check_kpi(kpis, kpi_id, numerator, denominator)`: every KPI with its
  numerator and denominator, and a check that a recomputation agrees;
- `breakdowns(ds, year)`, `drill(ctx, breakdown, category)`: the report's breakdowns and the
  child-level rows behind one of their cells;
- `plot_reviews_by_month(reviews, ax)`: a seaborn chart on the analyst's own axes.

Everything here is child-level except `kpis` and `breakdowns`: outputs of an exploration
belong in restricted/, never in reports/ (and notebooks are committed without outputs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from iro_analysis.analysts.as_at import as_at_context
from iro_analysis.contract.codes import (
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

# The parameters cell of notebooks/00_explore.ipynb (checked by params.check_parameters).
EXPLORE_PARAMETERS = ("year", "raw_dir", "processed_dir")


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def processed_is_current(
    year: int, raw_dir: Path | None = None, processed_dir: Path | None = None
) -> bool:
    """Whether `processed_dir/<year>/` was cleaned from the raw folders as they are now
    (the one freshness rule of `ingest.clean.load_clean`: every raw file up to the year by
    sha256, the cleaner's code and contract)."""
    from iro_analysis.ingest.processed import clean_key, recorded_key

    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    return recorded_key(int(year), processed_dir) == clean_key(int(year), raw_dir)


def load_year(
    year: int, raw_dir: Path | str | None = None, processed_dir: Path | str | None = None
) -> Dataset:
    """The clean Dataset of `year` (the folders up to the year, deduplicated: history
    included), from `ingest.clean.load_clean`: `processed_dir/<year>/` (default
    data/processed) when it was cleaned from the raw folders as they are now, otherwise
    cleaned again from `raw_dir` (default data/raw) and written there."""
    from iro_analysis.ingest.clean import load_clean

    raw = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    processed = Path(processed_dir) if processed_dir is not None else None
    return load_clean(int(year), raw, processed)


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
    end), `age_band`, `sex`, `ethnicity_group`, `legal_status`, `placement` ("Not known"
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
    return out.sort_values("CHILD", kind="mergesort").reset_index(drop=True)


def reviews_with_due_dates(ctx: KpiContext) -> pd.DataFrame:
    """Every looked-after review dated in the year (short-break-only reviews dropped) with
    its period of care, number in the period (`ordinal`, blank when not known), previous
    review, `due_date`, `assessable` and `on_time` (`timescales.review_timeliness`, reg. 33),
    and the participation columns of the report: `code_label`, `age_at_review` (DOB from
    the review row, else the header), `age_band`, `participated` (PN1-PN6, or PN1-PN3 and
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
    return r.sort_values(["CHILD", "REVIEW"], kind="mergesort")[cols].reset_index(drop=True)


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


def kpis(ds: Dataset, year: int, settings: Settings | None = None) -> pd.DataFrame:
    """Every KPI of the year (`kpis.compute_kpis`: kpi_id, year, value, numerator,
    denominator) with its title, indexed by kpi_id. The rule of each is
    `KPI_DEFINITIONS[kpi_id].definition`."""
    from iro_analysis.kpis.engine import compute_kpis
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    df = compute_kpis(ds, int(year), settings or settings_or_defaults())
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
    1 to 5 are shown here, unlike the published report."""
    from iro_analysis.kpis.engine import compute_breakdowns

    return compute_breakdowns(ds, int(year), settings or settings_or_defaults())


# breakdown -> (child-level table, its column holding the breakdown's category)
_DRILLS = {
    "cla_by_age_band": (children_looked_after, "age_band"),
    "cla_by_sex": (children_looked_after, "sex"),
    "cla_by_ethnicity_group": (children_looked_after, "ethnicity_group"),
    "cla_by_legal_status": (children_looked_after, "legal_status"),
    "cla_by_placement": (children_looked_after, "placement"),
    "participation_by_code": (reviews_with_due_dates, "REVIEW_CODE"),
    "participation_by_age_band": (reviews_with_due_dates, "age_band"),
    "drp_by_theme": (disputes, "theme"),
    "drp_by_stage": (disputes, "stage"),
}
DRILLABLE = tuple(_DRILLS)


def drill(ctx: KpiContext, breakdown: str, category: str) -> pd.DataFrame:
    """The child-level rows behind one cell of a breakdown: e.g.
    `drill(ctx, "participation_by_age_band", "10 to 15")` is the year's reviews of children
    aged 10 to 15 at the review. Their number is the breakdown's count (`reviews` for
    participation_by_age_band). Breakdowns: `DRILLABLE`."""
    if breakdown not in _DRILLS:
        raise KeyError(f"cannot drill into {breakdown!r}; breakdowns: {', '.join(DRILLABLE)}")
    table, column = _DRILLS[breakdown]
    rows = table(ctx)
    return rows.loc[rows[column].fillna(UNKNOWN).eq(category)].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Chart
# --------------------------------------------------------------------------------------

TIMELINESS = ("On time", "Late", "Not assessable")


def plot_reviews_by_month(reviews: pd.DataFrame, ax=None):
    """A seaborn bar chart of `reviews_with_due_dates` by month held, stacked into on time,
    late and not assessable, drawn on `ax` (default: a new Figure of its own). Changes no
    global style. Returns the axes."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    status = pd.Series("Late", index=reviews.index)
    status = status.mask(reviews["on_time"], "On time").mask(
        ~reviews["assessable"], "Not assessable"
    )
    held = reviews["REVIEW"]
    index = held.dt.year * 12 + held.dt.month  # months as integers, so bars keep date order
    first = int(index.min()) if len(index) else 0
    months = pd.period_range(held.min(), held.max(), freq="M") if len(held) else []
    frame = pd.DataFrame({"month": index - first, "timeliness": status})
    sns.histplot(
        data=frame,
        x="month",
        hue="timeliness",
        hue_order=list(TIMELINESS),
        multiple="stack",
        discrete=True,
        shrink=0.8,
        ax=ax,
    )
    labels = [p.strftime("%b %Y") for p in months]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_xlabel("Month held")
    ax.set_ylabel("Reviews")
    ax.set_title("Looked-after reviews by month and timeliness")
    return ax
