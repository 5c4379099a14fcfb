"""IRO-chaired meetings (IRO extracts): held, rearranged, pre-meeting visits, advocacy."""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract.codes import (
    MEETING_TYPE_LABELS,
    MEETING_TYPES,
    REARRANGED_REASON_LABELS,
    REARRANGED_REASONS,
)
from iro_analysis.kpis.cla import tally
from iro_analysis.kpis.context import UNKNOWN, KpiContext
from iro_analysis.kpis.definitions import FAMILY_MEETINGS, area_frame, kpi, rate

SOURCE_IRO = (
    "IRO Handbook (DCSF 2010), chapters 3 and 4 (the review meeting and the child's participation)"
)
_INPUTS = ("meetings",)
# Rearrangements, pre-meeting visits and advocacy: in native meetings.csv, or with the SSD's
# meetings in iro/meeting_details.csv (the SSD does not record them).
_DETAIL_INPUTS = ("meetings", "meeting_details")


@kpi(
    "meetings_held",
    title="Meetings chaired by IROs in the year",
    family=FAMILY_MEETINGS,
    section="meetings",
    unit="count",
    source=SOURCE_IRO,
    inputs=_INPUTS,
)
def meetings_held(ctx: KpiContext) -> int:
    """Meetings of every type (looked-after reviews, initial and review child protection
    conferences) with held_date in the year. A blank held_date means not held."""
    return len(ctx.meetings_held)


@kpi(
    "meetings_rearranged_pct",
    title="Meetings held in the year that had been rearranged (%)",
    family=FAMILY_MEETINGS,
    section="meetings",
    direction=False,
    unit="percent",
    source=SOURCE_IRO,
    inputs=_DETAIL_INPUTS,
)
def meetings_rearranged_pct(ctx: KpiContext) -> tuple[int, int]:
    """Meetings held in the year with times_rearranged >= 1 / meetings held in the year.
    A blank times_rearranged counts as 0."""
    m = ctx.meetings_held
    return int(m["rearranged"].sum()), len(m)


@kpi(
    "pre_meeting_visit_pct",
    title="Meetings held in the year with an IRO visit to the child beforehand (%)",
    family=FAMILY_MEETINGS,
    section="meetings",
    direction=True,
    unit="percent",
    source=SOURCE_IRO,
    inputs=_DETAIL_INPUTS,
)
def pre_meeting_visit_pct(ctx: KpiContext) -> tuple[int, int]:
    """Meetings held in the year with pre_meeting_visit = Y / meetings held in the year
    (blank = not Y)."""
    m = ctx.meetings_held
    return int(m["visit"].sum()), len(m)


@kpi(
    "advocacy_pct",
    title="Meetings held in the year with an advocate involved (%)",
    family=FAMILY_MEETINGS,
    section="meetings",
    direction=True,
    unit="percent",
    source=SOURCE_IRO,
    inputs=_DETAIL_INPUTS,
)
def advocacy_pct(ctx: KpiContext) -> tuple[int, int]:
    """Meetings held in the year with advocate_involved = Y / meetings held in the year
    (blank = not Y)."""
    m = ctx.meetings_held
    return int(m["advocate"].sum()), len(m)


SOURCE_CONTINUITY = (
    "IRO Handbook (DCSF 2010): continuity of the IRO, one IRO staying with a child wherever "
    "possible"
)


@kpi(
    "cla_iro_changed_pct",
    title="Children looked after at 31 March whose reviews in the year had more than one IRO (%)",
    family=FAMILY_MEETINGS,
    section="meetings",
    direction=False,
    unit="percent",
    source=SOURCE_CONTINUITY,
    inputs=("meetings", "episodes"),
)
def cla_iro_changed_pct(ctx: KpiContext) -> tuple[int, int]:
    """Children looked after at 31 March (cla_at_31_march, short breaks excluded) with two
    or more looked-after reviews (meeting_type CLA_REVIEW) held in the year in the meetings
    log whose reviews in the year were chaired by more than one iro_id / those children.
    A review counts only with an iro_id (the chair of one with a blank iro_id is not known)
    and a held_date in the year; reviews of any of the child's periods of care in the year
    count; other meeting types (child protection conferences) do not. A child with fewer
    than two such reviews is in neither count. Lower is better: the IRO Handbook expects
    one IRO to stay with a child."""
    m = ctx.meetings_held
    rev = m.loc[m["meeting_type"].eq("CLA_REVIEW") & m["iro_id"].notna(), ["child_id", "iro_id"]]
    rev = rev.loc[rev["child_id"].isin(ctx.cla_at_end["CHILD"].astype("str"))]
    per_child = rev.groupby("child_id").agg(
        reviews=("iro_id", "size"), chairs=("iro_id", "nunique")
    )
    cohort = per_child.loc[per_child["reviews"].ge(2)]
    return int(cohort["chairs"].gt(1).sum()), len(cohort)


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Meetings held in the year by type (held, rearranged, pre-meeting visit, advocacy,
    each with its percent of the type's meetings) and rearranged meetings by reason. Without
    the meeting details (SSD meetings and no iro/meeting_details.csv) only meetings held by
    type: never a 0 for what was not supplied."""
    m = ctx.meetings_held
    types = list(MEETING_TYPES) + sorted(set(m["meeting_type"].dropna()) - set(MEETING_TYPES))
    g = (
        m.assign(held=1)
        .groupby("meeting_type")[["held", "rearranged", "visit", "advocate"]]
        .sum()
        .reindex(types, fill_value=0)
        .astype("int64")
        .rename(columns={"visit": "pre_meeting_visit", "advocate": "advocacy"})
        .rename_axis("meeting_type")
        .reset_index()
    )
    g.insert(1, "label", g["meeting_type"].map(MEETING_TYPE_LABELS).fillna(UNKNOWN))
    for col in ("rearranged", "pre_meeting_visit", "advocacy"):
        g[f"{col}_percent"] = pd.array(
            [rate(n, d) for n, d in zip(g[col], g["held"], strict=True)], dtype="Float64"
        )
    if not ctx.has("meeting_details"):
        return {"meetings_by_type": g[["meeting_type", "label", "held"]]}
    r = m.loc[m["rearranged"], "rearranged_reason"].fillna(UNKNOWN)
    by_reason = tally(r, "reason", list(REARRANGED_REASONS))
    by_reason.insert(1, "label", by_reason["reason"].map(REARRANGED_REASON_LABELS).fillna(UNKNOWN))
    return {"meetings_by_type": g, "rearranged_by_reason": by_reason}


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
