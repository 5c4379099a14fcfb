"""Plausibility gates: checks on each file of the reporting year that stop a misleading build.

A file can be well formed, pass every row rule and still be wrong: an export with a
header and no rows, a census with an empty list of children, dates written month-first,
the wrong year's file, or a table that lost half its rows. The cleaner records per source
what these gates compare (`Dataset.facts`); here they become a table, `file_facts`, one
row per file of the year, on which Great Expectations runs expectations that can fail
(`gx_run.run_gx_suites`). A failed gate is critical: the build stops naming the file
and the check, unless an analyst has accepted that anomaly for that year in settings
(`accepted_anomalies`, with a reason printed in the data-quality annex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iro_analysis.core.errors import excerpt
from iro_analysis.core.settings import Settings
from iro_analysis.core.settings_sections import GateLimits, SettingsError
from iro_analysis.ingest.dataset import Dataset

FACTS_TABLE = "file_facts"
# The sources whose emptiness means a wrong file (a census's sub-elements may be absent).
TOP_LEVEL_TABLES = (
    "header",
    "episodes",
    "reviews",
    "oc2",
    "meetings",
    "meeting_details",
    "disputes",
    "workforce",
    "pep",
    "cin_children",
    # the optional IRO extracts: supplied with no rows is a broken export, not "none"
    "footprints",
    "feedback",
    "establishment",
    "independent_visitors",
)
# Tables whose children count is compared with the previous year's.
CHILDREN_TABLES = ("header", "episodes", "reviews", "cin_children")


@dataclass(frozen=True)
class Gate:
    """One gate: the `file_facts` column it bounds and what a failure means to a reader."""

    column: str
    meaning: str


GATES: dict[str, Gate] = {
    g.column: g
    for g in (
        Gate("rows_read", "a supplied file with no data rows"),
        Gate(
            "stray_quotes",
            "a line with an unmatched double quote: the export is broken (lines in quarantine)",
        ),
        Gate("quarantined_share", "more of the file quarantined than the limit allows"),
        Gate("month_first_share", "dates look month-first (MM/DD/YYYY)"),
        Gate("row_change", "the number of rows moved more than the limit against last year"),
        Gate("children_change", "the number of children moved more than the limit"),
    )
}


def check_accepted_anomalies(settings: Settings) -> None:
    """Each of the settings' `accepted_anomalies` names a gate (`GATES`): anything else is a
    SettingsError naming the settings file, the entry and the value."""
    for i, a in enumerate(settings.accepted_anomalies):
        if a.check not in GATES:
            raise SettingsError(
                f"{settings.source}: accepted_anomalies[{i}]: 'check' must be a plausibility "
                f"gate ({', '.join(GATES)}), got {excerpt(a.check)}"
            )


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype("float64")
    den = den.astype("float64")
    return (num / den.where(den > 0)).astype("float64")


def file_facts(ds: Dataset, year: int, limits: GateLimits) -> pd.DataFrame:
    """One row per source of `year`'s folder with the values the gates bound (NaN where a
    gate does not apply: no previous year, a small table, a sub-element of the census)."""
    f = ds.facts
    cur = f[f["year"] == year].reset_index(drop=True)
    prev = f[f["year"] == year - 1].groupby("table")[["rows_kept", "children"]].sum()
    out = cur[["year", "file", "table"]].copy()
    # table against table: a table read from several files (the SSD's three meeting
    # tables) is bounded whole, each of its files showing the table's figure
    now = cur.groupby("table")[["rows_read", "rows_kept", "children"]].transform("sum")
    top = cur["table"].isin(TOP_LEVEL_TABLES)
    out["rows_read"] = now["rows_read"].astype("float64").where(top)
    out["stray_quotes"] = cur["stray_quotes"].astype("float64")
    enough = (cur["rows_read"] >= limits.min_rows_for_share) | (
        cur["rows_quarantined"] >= limits.min_quarantined_for_share
    )
    out["quarantined_share"] = _ratio(cur["rows_quarantined"], cur["rows_read"]).where(enough)
    out["month_first_share"] = _ratio(cur["month_first_dates"], cur["dates"])
    before = cur["table"].map(prev["rows_kept"]).astype("float64")
    big = before >= limits.min_rows_for_change
    out["row_change"] = (_ratio(now["rows_kept"], before) - 1).where(big)
    kids_before = cur["table"].map(prev["children"]).astype("float64")
    kids = cur["table"].isin(CHILDREN_TABLES) & (kids_before >= limits.min_rows_for_change)
    out["children_change"] = (_ratio(now["children"], kids_before) - 1).where(kids)
    return out.replace([np.inf, -np.inf], np.nan)


def gate_kwargs(limits: GateLimits) -> dict[str, dict]:
    """The `ExpectColumnValuesToBeBetween` arguments of each gate (missing values pass)."""
    c = limits.max_change_share
    return {
        "rows_read": {"min_value": 1},
        "stray_quotes": {"max_value": 0},
        "quarantined_share": {"max_value": limits.max_quarantined_share},
        "month_first_share": {"max_value": limits.max_month_first_share},
        "row_change": {"min_value": -c, "max_value": c},
        "children_change": {"min_value": -c, "max_value": c},
    }


# --------------------------------------------------------------------------------------
# Cross-source reconciliation: the same events counted in two returns
# --------------------------------------------------------------------------------------

RECONCILE_COLUMNS = ("measure", "first_source", "first", "second_source", "second", "difference")
# Differences above this share of the larger count are listed as a warning.
RECONCILE_TOLERANCE = 0.10


def _in_year(dates: pd.Series, year: int) -> pd.Series:
    start, end = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
    return ((dates >= start) & (dates <= end)).fillna(False)


def _held(meetings: pd.DataFrame, kind: str, year: int) -> int:
    m = meetings[meetings["meeting_type"] == kind]
    return int(_in_year(m["held_date"], year).sum())


def reconcile(ds: Dataset, year: int) -> pd.DataFrame:
    """Counts of `year` that two returns both give (`RECONCILE_COLUMNS`), where both were
    supplied in the year's own folder: conferences in the CIN census against the IRO
    meetings log, reviews in the 903 against the log, and disputes about looked-after
    children against the 903's looked-after cohort. Counts only, never children."""
    t = ds.tables
    rows = []
    log = ds.has_input("meetings", year)
    if log and ds.has_input("cin_census", year):
        s47 = t["s47"].drop_duplicates(["LAchildID", "DateOfInitialCPC"])
        rows.append(
            (
                "Initial child protection conferences held",
                "CIN census",
                int(_in_year(s47["DateOfInitialCPC"], year).sum()),
                "IRO meetings log",
                _held(t["meetings"], "ICPC", year),
            )
        )
        rows.append(
            (
                "Review child protection conferences held",
                "CIN census",
                int(_in_year(t["cp_reviews"]["CPPreviewDate"], year).sum()),
                "IRO meetings log",
                _held(t["meetings"], "RCPC", year),
            )
        )
    if log and ds.has_input("reviews", year):
        rows.append(
            (
                "Looked-after reviews held",
                "SSDA903",
                int(_in_year(t["reviews"]["REVIEW"], year).sum()),
                "IRO meetings log",
                _held(t["meetings"], "CLA_REVIEW", year),
            )
        )
    if ds.has_input("disputes", year) and ds.has_input("episodes", year):
        ep = t["episodes"]
        start, end = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
        open_in_year = (ep["DECOM"] <= end) & (ep["DEC"].isna() | (ep["DEC"] >= start))
        cla = set(ep.loc[open_in_year, "CHILD"])
        d = t["disputes"]
        d = d[(d["cohort"] == "CLA") & _in_year(d["raised_date"], year)]
        rows.append(
            (
                "Disputes about looked-after children raised",
                "IRO disputes log",
                len(d),
                "of which the child was looked after in the year (SSDA903)",
                int(d["child_id"].isin(cla).sum()),
            )
        )
    out = pd.DataFrame(rows, columns=list(RECONCILE_COLUMNS[:-1]))
    out["difference"] = out["first"] - out["second"]
    return out


def reconcile_off(r: pd.DataFrame) -> pd.Series:
    """Which reconciliation rows differ by more than the tolerance of the larger count."""
    larger = r[["first", "second"]].max(axis=1)
    return r["difference"].abs() > RECONCILE_TOLERANCE * larger
