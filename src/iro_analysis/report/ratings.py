"""Ratings, England's figure, changes between years, and years whose history is incomplete.

Ratings (GREEN, AMBER, RED) and their basis come from the KPI rows (`kpis.csv` columns
`rating` and `rating_basis`, set by the KPI engine); the report only shows them, always in
words and a symbol as well as colour ("✓ Good (GREEN)"). Without those columns (an older
engine) every measure reads "Not rated".

Some measures need history the first years of data cannot give: a review is on time
only against the date of the previous one, so in the earliest year supplying reviews the
first review of every child already in care cannot be dated and the year's timeliness is
an artefact. Such years are marked "incomplete history" wherever the figure is shown and
are never used in a statement of change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import kpi_text, national_figure, year_label

# KPI -> the input whose earlier years it needs: its earliest year supplying that input
# has incomplete history.
HISTORY_INPUTS: dict[str, str] = {
    "cla_reviews_on_time_pct": "reviews",
    "cla_children_reviews_on_time_pct": "reviews",
    "cla_reviews_overdue_at_31_march": "reviews",
    "cla_reviews_not_assessable": "reviews",
    "midway_checks_pct": "reviews",
    "rcpc_on_time_pct": "cin_census",
}
INCOMPLETE = "incomplete history"
INCOMPLETE_MARK = "\u2020"  # dagger, explained beside every table and chart that uses it


@dataclass(frozen=True)
class Rating:
    code: str  # GREEN | AMBER | RED | "" (not rated)
    symbol: str
    word: str
    basis: str

    @property
    def label(self) -> str:
        """The rating in words, e.g. "Good (GREEN)"; "Not rated" without one."""
        return f"{self.word} ({self.code})" if self.code else self.word

    @property
    def short_basis(self) -> str:
        """The basis as a table or list shows it: "last year 69.7%: no significant change"
        for the engine's "no significant change from last year (69.7%): <test>", "last year
        85.0%: significant change" for "last year 85.0%: a significant change (<test>)";
        a target or England basis as it is. The test is named in kpis.csv and the note
        under the headline table (`LAST_YEAR_NOTE`)."""
        b = self.basis
        m = _NO_CHANGE.match(b)
        if m:
            return f"last year {m.group(1)}: no significant change"
        m = _CHANGE.match(b)
        if m:
            return f"last year {m.group(1)}: significant change"
        return b

    @property
    def css(self) -> str:
        return f"rating rating-{self.code.lower() or 'none'}"


_NO_CHANGE = re.compile(r"no significant change from last year \(([^)]*)\)")
_CHANGE = re.compile(r"last year (\S+): a significant change")
LAST_YEAR_NOTE = (
    "Against last year, a change counts only when it is real: a percentage when a two-"
    "proportion z-test finds it significant at the 95% level, any other measure when it moved "
    "by more than 5%; otherwise it is rated Watch (AMBER)."
)

_RATING_WORDS = {
    "GREEN": ("\u2713", "Good"),
    "AMBER": ("!", "Watch"),
    "RED": ("\u2717", "Concern"),
}


def _row(ctx: ReportContext, kpi_id: str, year: int | None = None) -> pd.Series | None:
    at = ctx.position(kpi_id, year)
    return None if at is None else ctx.history.iloc[at]


def _text(row: pd.Series | None, column: str) -> str:
    if row is None or column not in row.index:
        return ""
    v = row[column]
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()


def rating(ctx: ReportContext, kpi_id: str, year: int | None = None) -> Rating:
    """The KPI's rating for the year as the KPI rows give it (not rated when they give none)."""
    row = _row(ctx, kpi_id, year)
    code = _text(row, "rating").upper()
    if code not in _RATING_WORDS:
        return Rating("", "\u2013", "Not rated", _text(row, "rating_basis"))
    symbol, word = _RATING_WORDS[code]
    return Rating(code, symbol, word, _text(row, "rating_basis"))


def england(ctx: ReportContext, kpi_id: str, year: int | None = None) -> float | None:
    """England's figure: the KPI row's `england` column, else the national figures file."""
    row = _row(ctx, kpi_id, year)
    if row is not None and "england" in row.index:
        v = pd.to_numeric(pd.Series([row["england"]]), errors="coerce").iloc[0]
        return None if pd.isna(v) else float(v)
    return national_figure(kpi_id, year or ctx.year.year)


def incomplete_years(ctx: ReportContext, kpi_id: str) -> set[int]:
    """Years in which the KPI's history is incomplete (its input's earliest year)."""
    name = HISTORY_INPUTS.get(kpi_id)
    years_with = getattr(ctx.dataset, "years_with", None)
    if name is None or years_with is None:
        return set()
    years = years_with(name)
    return {years[0]} if years else set()


def comparable_previous(ctx: ReportContext, kpi_id: str) -> int | None:
    """Last year, when both it and this year have a value and complete history."""
    prev = ctx.year.year - 1
    bad = incomplete_years(ctx, kpi_id)
    if ctx.year.year in bad or prev in bad:
        return None
    if ctx.value(kpi_id) is None or ctx.value(kpi_id, prev) is None:
        return None
    return prev


def change_text(ctx: ReportContext, kpi_id: str) -> str:
    """The change since last year in words and a symbol, as printed figures compare."""
    from iro_analysis.report.narrative import direction

    prev = ctx.year.year - 1
    bad = incomplete_years(ctx, kpi_id)
    if ctx.year.year in bad or prev in bad:
        return f"not compared: {year_label(min(bad))} has incomplete history"
    if comparable_previous(ctx, kpi_id) is None:
        return "no figure for last year"
    cur, before = ctx.value(kpi_id), ctx.value(kpi_id, prev)
    unit = ctx.unit(kpi_id)
    d = direction(cur, before, unit)
    was = f"{kpi_text(ctx, kpi_id, before)} in {year_label(prev)}"
    if d == "level":
        return f"= the same as {was}"
    step = abs(round(cur, 1) - round(before, 1)) if unit != "count" else abs(cur - before)
    size = (
        f"{step:.1f} percentage points"
        if unit == "percent"
        else (f"{step:.1f}" if unit == "ratio" else f"{int(round(step)):,}")
    )
    return f"\u25b2 up {size} from {was}" if d == "up" else f"\u25bc down {size} from {was}"


def marked(ctx: ReportContext, kpi_id: str, year: int, text: str) -> str:
    """A figure as a table shows it: marked when its year has incomplete history."""
    if text and year in incomplete_years(ctx, kpi_id):
        return f"{text} {INCOMPLETE_MARK}"
    return text


def incomplete_note(
    ctx: ReportContext, kpi_ids: tuple[str, ...] | list[str], shown: set[int] | None = None
) -> str:
    """The sentence explaining the mark, or "" when no figure listed carries it (`shown`:
    the years the table shows or compares, by default every year of the history)."""
    years = sorted({y for k in kpi_ids for y in incomplete_years(ctx, k)})
    if shown is None:
        shown = {int(y) for y in ctx.history["year"].unique()}
    years = [y for y in years if y in shown]
    if not years:
        return ""
    labels = ", ".join(year_label(y) for y in years)
    return (
        f"{INCOMPLETE_MARK} {labels}: {INCOMPLETE}. The first year of data has no earlier "
        "reviews or conferences to date its first ones from, so its timeliness is not "
        "comparable and is left out of every statement of change."
    )
