"""Feedback on reviews and conferences (the IRO service's feedback extract)."""

from __future__ import annotations

import pandas as pd

from iro_analysis.kpis.cla import tally
from iro_analysis.kpis.context import UNKNOWN, KpiContext
from iro_analysis.kpis.definitions import FAMILY_VOICE, area_frame, kpi, rate

SOURCE_FEEDBACK = (
    "IRO Handbook (DCSF 2010), chapter 3 (the child's and others' views of the review); "
    "the service's feedback extract (ratings 1 to 5)"
)
_INPUTS = ("feedback",)

# data-contract.md section 3: feedback.csv `respondent`.
RESPONDENTS = ("CHILD", "PARENT", "CARER", "PROFESSIONAL")
RESPONDENT_LABELS = {
    "CHILD": "Child or young person",
    "PARENT": "Parent",
    "CARER": "Carer",
    "PROFESSIONAL": "Professional",
}
POSITIVE_RATINGS = (4, 5)


def feedback_in_year(ctx: KpiContext) -> pd.DataFrame:
    """Responses with response_date in the year, with `rated` (a rating given) and
    `positive` (rating 4 or 5)."""
    return ctx.memo("voice.feedback_in_year", lambda: _in_year_uncached(ctx))


def _in_year_uncached(ctx: KpiContext) -> pd.DataFrame:
    f = ctx.table("feedback")
    f = f.loc[ctx.in_year(f["response_date"])].copy()
    rating = pd.to_numeric(f["rating"], errors="coerce")
    f["rated"] = rating.notna().to_numpy()
    f["positive"] = rating.isin(POSITIVE_RATINGS).fillna(False).astype(bool).to_numpy()
    return f


@kpi(
    "feedback_responses",
    title="Feedback responses received in the year",
    family=FAMILY_VOICE,
    section="voice",
    unit="count",
    source=SOURCE_FEEDBACK,
    inputs=_INPUTS,
)
def feedback_responses(ctx: KpiContext) -> int:
    """Feedback responses (response_id) with response_date in the year, from every
    respondent (children, parents, carers, professionals), with or without a rating. By
    respondent: feedback_responses_<respondent> and the breakdown feedback_by_respondent."""
    return len(feedback_in_year(ctx))


@kpi(
    "feedback_positive_pct",
    phrase="of feedback responses rated the meeting 4 or 5 out of 5",
    title="Feedback responses in the year that were positive (rating 4 or 5) (%)",
    family=FAMILY_VOICE,
    section="voice",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_FEEDBACK,
    inputs=_INPUTS,
)
def feedback_positive_pct(ctx: KpiContext) -> tuple[int, int]:
    """Responses in the year with rating 4 or 5 / responses in the year with a rating
    (1 to 5). A response with a blank rating is in neither. By respondent: the breakdown
    feedback_by_respondent (positive_percent)."""
    f = feedback_in_year(ctx)
    return int(f["positive"].sum()), int(f["rated"].sum())


@kpi(
    "feedback_responses_<respondent>",
    title="Feedback responses received in the year from: {label}",
    family=FAMILY_VOICE,
    section="voice",
    unit="count",
    source=SOURCE_FEEDBACK,
    inputs=_INPUTS,
    variants={r.lower(): {"RESPONDENT": r, "label": RESPONDENT_LABELS[r]} for r in RESPONDENTS},
)
def feedback_responses_by(ctx: KpiContext, RESPONDENT: str, label: str) -> int:  # noqa: N803
    """Feedback responses with response_date in the year from respondent {RESPONDENT}
    ({label}), with or without a rating."""
    return int(feedback_in_year(ctx)["respondent"].eq(RESPONDENT).sum())


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Feedback in the year by respondent (`feedback_by_respondent`): respondent, label,
    count (responses, percent of all responses), rated, positive and positive_percent
    (positive / rated, blank when none rated). No quotes and no identifiers."""
    f = feedback_in_year(ctx)
    who = f["respondent"].fillna(UNKNOWN)
    out = tally(who, "respondent", list(RESPONDENTS))
    out.insert(1, "label", out["respondent"].map(RESPONDENT_LABELS).fillna(UNKNOWN))
    g = pd.DataFrame({"respondent": who, "rated": f["rated"], "positive": f["positive"]})
    g = g.groupby("respondent")[["rated", "positive"]].sum()
    for col in ("rated", "positive"):
        out[col] = out["respondent"].map(g[col]).fillna(0).astype("int64")
    out["positive_percent"] = pd.array(
        [rate(n, d) for n, d in zip(out["positive"], out["rated"], strict=True)], dtype="Float64"
    )
    return {"feedback_by_respondent": out}


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
