"""The IRO workforce (IRO extracts): FTE in post and caseloads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import FAMILY_WORKFORCE, family_frame, kpi, rate

SOURCE_CASELOAD = (
    "IRO Handbook (DCSF 2010), para. 7.15: a caseload of 50 to 70 looked-after children "
    "for a full-time IRO"
)


@kpi(
    "iro_fte_at_31_march",
    title="IRO full-time equivalents in post at 31 March",
    family=FAMILY_WORKFORCE,
    unit="ratio",
    source=SOURCE_CASELOAD,
    inputs=("workforce",),
)
def iro_fte_at_31_march(ctx: KpiContext) -> float:
    """Sum of fte of the IROs in post at 31 March: start_date on or before 31 March and
    end_date blank or on or after 31 March (an IRO whose last day is 31 March counts).
    Agency IROs count. Rounded half up to 1 decimal place."""
    return ctx.fte_at_end


def caseload_children(ctx: KpiContext) -> np.ndarray:
    """Distinct children looked after or subject to a CP plan at 31 March."""
    cla = ctx.cla_at_end["CHILD"]
    cp = ctx.cp_open_at_end["LAchildID"]
    return pd.concat([cla, cp], ignore_index=True).dropna().unique()


@kpi(
    "iro_caseload_per_fte",
    title="Children per full-time IRO at 31 March",
    family=FAMILY_WORKFORCE,
    unit="ratio",
    source=SOURCE_CASELOAD,
    inputs=("workforce", "episodes", "cin_census"),
)
def iro_caseload_per_fte(ctx: KpiContext) -> tuple[int, float]:
    """Distinct children looked after or subject to a child protection plan at 31 March /
    IRO full-time equivalents in post at 31 March (iro_fte_at_31_march), rounded half up
    to 1 decimal place. The IRO Handbook recommends 50 to 70 per full-time IRO."""
    return len(caseload_children(ctx)), ctx.fte_at_end


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Caseload by IRO: every IRO who chaired a meeting in the year or was in post at
    31 March (iro_id order), with `children_at_31_march` (children looked after or on a CP
    plan at 31 March whose latest meeting held on or before 31 March that IRO chaired),
    `children_in_year` (distinct children whose meetings held in the year they chaired),
    `fte_at_31_march` (blank when not in post) and `children_per_fte`. A child with no
    chaired meeting is allocated to nobody (they still count in iro_caseload_per_fte).
    Staff identifiers only; no child identifiers."""
    m = ctx.table("meetings")
    held = m.loc[m["held_date"].notna() & m["held_date"].le(ctx.end) & m["iro_id"].notna()]
    in_year = held.loc[ctx.in_year(held["held_date"])]
    per_year = in_year.groupby("iro_id")["child_id"].nunique().rename("children_in_year")

    children = pd.DataFrame({"child_id": pd.Series(caseload_children(ctx), dtype="str")})
    latest = (
        held.sort_values(["child_id", "held_date", "meeting_id"], kind="mergesort")
        .groupby("child_id", sort=False)
        .tail(1)[["child_id", "iro_id"]]
    )
    alloc = children.merge(latest, on="child_id", how="inner")
    per_end = alloc.groupby("iro_id")["child_id"].nunique().rename("children_at_31_march")
    fte = ctx.iros_in_post.groupby("iro_id")["fte"].sum().rename("fte_at_31_march")

    ids = sorted(set(per_year.index) | set(per_end.index) | set(fte.index))
    out = pd.DataFrame({"iro_id": pd.Series(ids, dtype="str")})
    for s in (per_end, per_year):
        out = out.merge(s.reset_index(), on="iro_id", how="left")
        out[s.name] = out[s.name].fillna(0).astype("int64")
    out = out.merge(fte.reset_index(), on="iro_id", how="left")
    out["fte_at_31_march"] = out["fte_at_31_march"].astype("Float64")
    out["children_per_fte"] = pd.array(
        [
            rate(n, f, per=1) if pd.notna(f) and f > 0 else None
            for n, f in zip(out["children_at_31_march"], out["fte_at_31_march"], strict=True)
        ],
        dtype="Float64",
    )
    return {"caseload_by_iro": out}


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return family_frame(ctx, FAMILY_WORKFORCE)
