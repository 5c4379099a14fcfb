"""The set of exception lists (`EXCEPTION_LISTS`): each list's key, sheet, rule, inputs and
function, and which lists a year's data supports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from iro_analysis.analysts.cp_dispute_lists import (
    conferences_out_of_timescale,
    disputes_open_overdue,
)
from iro_analysis.analysts.looked_after_lists import (
    no_recent_pep,
    pn7_last_two_reviews,
    reviews_overdue_or_due,
)
from iro_analysis.kpis.context import KpiContext


@dataclass(frozen=True)
class ExceptionList:
    """One list: its key (CSV name), sheet title, one-line rule, inputs and function."""

    key: str
    sheet: str  # at most 31 characters (Excel)
    rule: str
    inputs: tuple[str, ...]  # supplied inputs (schema.SUPPLIED_INPUTS) of YEAR's own folder
    compute: Callable[[KpiContext], pd.DataFrame]


EXCEPTION_LISTS: dict[str, ExceptionList] = {
    e.key: e
    for e in (
        ExceptionList(
            "reviews-overdue-or-due",
            "Reviews overdue or due",
            "Looked-after children whose next review (reg. 33) is overdue, or due within "
            "20 working days",
            ("episodes", "reviews"),
            reviews_overdue_or_due,
        ),
        ExceptionList(
            "conferences-out-of-timescale",
            "Conferences out of timescale",
            "ICPCs not within 15 working days of the Section 47 start, RCPCs not within "
            "3 months of the plan start then 6 months: held late in the last 12 months, "
            "or overdue and not held",
            ("cin_census",),
            conferences_out_of_timescale,
        ),
        ExceptionList(
            "disputes-open-over-20wd",
            "Disputes open over 20 wd",
            "Disputes open at the date for more than 20 working days",
            ("disputes",),
            disputes_open_overdue,
        ),
        ExceptionList(
            "pn7-last-two-reviews",
            "PN7 at last two reviews",
            "Looked-after children whose last two reviews were coded PN7 (did not attend, "
            "no views conveyed)",
            ("episodes", "reviews"),
            pn7_last_two_reviews,
        ),
        ExceptionList(
            "no-pep-in-6-months",
            "No PEP in 6 months",
            "Looked-after children aged 5 to 15 with no PEP in the 183 days up to the date",
            ("pep", "episodes", "header"),
            no_recent_pep,
        ),
    )
}


def missing_inputs(ctx: KpiContext) -> dict[str, list[str]]:
    """For each list that cannot be produced, the inputs missing from the year's folder."""
    out = {}
    for key, e in EXCEPTION_LISTS.items():
        gaps = [i for i in e.inputs if not ctx.has(i)]
        if gaps:
            out[key] = gaps
    return out


def exception_lists(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Every list whose inputs were supplied in the year's own folder (as for the KPIs: a
    list whose data was not supplied is left out, never shown empty), keyed as
    `EXCEPTION_LISTS`, at the context's `end` (see `as_at_context`)."""
    gaps = missing_inputs(ctx)
    return {k: e.compute(ctx) for k, e in EXCEPTION_LISTS.items() if k not in gaps}


def summary(lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """`list, sheet, children, rows`: how many distinct children and rows each list holds."""
    return pd.DataFrame(
        [
            (k, EXCEPTION_LISTS[k].sheet, int(df["child_id"].nunique()), len(df))
            for k, df in lists.items()
        ],
        columns=["list", "sheet", "children", "rows"],
    )
