"""The IRO workforce (IRO extracts): FTE in post and caseloads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import FAMILY_WORKFORCE, area_frame, kpi, rate

SOURCE_CASELOAD = (
    "IRO Handbook (DCSF 2010), para. 7.15: a caseload of 50 to 70 looked-after children "
    "for a full-time IRO"
)


@kpi(
    "iro_fte_at_31_march",
    title="IRO full-time equivalents in post at 31 March",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    unit="ratio",
    source=SOURCE_CASELOAD,
    inputs=("workforce",),
)
def iro_fte_at_31_march(ctx: KpiContext) -> float:
    """Sum of fte of the IROs in post at 31 March: start_date on or before 31 March and
    end_date blank or on or after 31 March (an IRO whose last day is 31 March counts).
    Agency IROs count. Rounded half up to 1 decimal place."""
    return ctx.fte_at_end


@kpi(
    "cla_caseload_per_iro_fte",
    phrase="looked-after children per full-time IRO at 31 March (IRO Handbook: 50 to 70)",
    title="Children looked after per full-time IRO at 31 March",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    headline=True,
    direction=False,
    unit="ratio",
    source=SOURCE_CASELOAD,
    inputs=("workforce", "episodes"),
)
def cla_caseload_per_iro_fte(ctx: KpiContext) -> tuple[int, float]:
    """Children looked after at 31 March (cla_at_31_march, short breaks excluded) / IRO
    full-time equivalents in post at 31 March (iro_fte_at_31_march), rounded half up to
    1 decimal place; blank when no IRO is in post. This is the figure the IRO Handbook's
    50 to 70 looked-after children per full-time IRO applies to. Lower is better."""
    return int(ctx.cla_at_end["CHILD"].nunique()), ctx.fte_at_end


@kpi(
    "cp_caseload_per_iro_fte",
    title="Children subject to a child protection plan per full-time IRO at 31 March",
    family=FAMILY_WORKFORCE,
    section="child_protection",
    direction=False,
    unit="ratio",
    source=SOURCE_CASELOAD,
    inputs=("workforce", "cin_census"),
)
def cp_caseload_per_iro_fte(ctx: KpiContext) -> tuple[int, float]:
    """Children subject to a child protection plan at 31 March (cp_plans_at_31_march) /
    IRO full-time equivalents in post at 31 March (iro_fte_at_31_march), rounded half up
    to 1 decimal place; blank when no IRO is in post. The Handbook's 50 to 70 does not
    apply to it."""
    return int(ctx.cp_open_at_end["LAchildID"].nunique()), ctx.fte_at_end


def caseload_children(ctx: KpiContext) -> np.ndarray:
    """Distinct children looked after or subject to a CP plan at 31 March."""
    cla = ctx.cla_at_end["CHILD"]
    cp = ctx.cp_open_at_end["LAchildID"]
    return pd.concat([cla, cp], ignore_index=True).dropna().unique()


@kpi(
    "iro_caseload_per_fte",
    title="Children per full-time IRO at 31 March",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    unit="ratio",
    source=SOURCE_CASELOAD,
    inputs=("workforce", "episodes", "cin_census"),
)
def iro_caseload_per_fte(ctx: KpiContext) -> tuple[int, float]:
    """Distinct children looked after or subject to a child protection plan at 31 March /
    IRO full-time equivalents in post at 31 March (iro_fte_at_31_march), rounded half up
    to 1 decimal place: every child an IRO oversees. The IRO Handbook's 50 to 70 applies to
    looked-after children only (cla_caseload_per_iro_fte), so this figure is not compared
    with it."""
    return len(caseload_children(ctx)), ctx.fte_at_end


SOURCE_WORKFORCE = (
    "The IRO service's workforce and establishment records (IRO Handbook (DCSF 2010), "
    "chapter 7: the manager's responsibility for sufficient IROs)"
)


@kpi(
    "iro_agency_fte",
    title="Agency IRO full-time equivalents in post at 31 March",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    direction=False,
    unit="ratio",
    source=SOURCE_WORKFORCE,
    inputs=("workforce",),
)
def iro_agency_fte(ctx: KpiContext) -> float:
    """Sum of fte of the IROs in post at 31 March (as for iro_fte_at_31_march) with
    agency = Y (a blank agency flag is not Y). Rounded half up to 1 decimal place."""
    w = ctx.iros_in_post
    agency = w["agency"].astype("boolean").fillna(False).astype(bool)
    return round(float(w.loc[agency, "fte"].sum()), 6)


def establishment_at_end(ctx: KpiContext) -> float | None:
    """The establishment in force at 31 March: establishment_fte of the latest as_at_date
    on or before 31 March (any year supplied), or None when there is none."""
    e = ctx.table("establishment")
    e = e.loc[e["as_at_date"].le(ctx.end) & e["establishment_fte"].notna()]
    if e.empty:
        return None
    latest = e.sort_values("as_at_date", kind="mergesort").iloc[-1]
    return float(latest["establishment_fte"])


@kpi(
    "iro_vacancy_fte",
    title="Vacant IRO full-time equivalents at 31 March",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    direction=False,
    unit="ratio",
    source=SOURCE_WORKFORCE,
    inputs=("workforce", "establishment"),
)
def iro_vacancy_fte(ctx: KpiContext) -> float | None:
    """The establishment at 31 March (establishment_fte of the latest as_at_date on or
    before 31 March) minus IRO full-time equivalents in post at 31 March
    (iro_fte_at_31_march, agency IROs included), floored at 0: a service staffed above its
    establishment has no vacancy, not a negative one. Rounded half up to 1 decimal place.
    Not produced when no establishment is dated on or before 31 March."""
    est = establishment_at_end(ctx)
    if est is None:
        return None
    return max(0.0, round(est - ctx.fte_at_end, 6))


def _in_post_on(w: pd.DataFrame, day: pd.Series | pd.Timestamp) -> pd.Series:
    return w["start_date"].le(day) & (w["end_date"].isna() | w["end_date"].ge(day))


def leavers(ctx: KpiContext) -> np.ndarray:
    """IROs (iro_id) who left in the year: a workforce row's end_date falls in the year
    and the IRO is in post on no row on the day after it (a new contract starting the next
    day is not leaving)."""
    w = ctx.table("workforce")
    ended = w.loc[ctx.in_year(w["end_date"]), ["iro_id", "end_date"]]
    if ended.empty:
        return np.array([], dtype=object)
    nxt = ended.assign(_next=ended["end_date"] + pd.Timedelta(days=1))
    pairs = nxt[["iro_id", "_next"]].merge(w, on="iro_id", how="left")
    stays = pairs.loc[_in_post_on(pairs, pairs["_next"]), ["iro_id", "_next"]].drop_duplicates()
    gone = nxt.merge(stays.assign(_stays=True), on=["iro_id", "_next"], how="left")
    return gone.loc[gone["_stays"].isna(), "iro_id"].unique()


@kpi(
    "iro_leavers_pct",
    title="IROs who left in the year, as a share of IROs in post on 1 April (%)",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    direction=False,
    unit="percent",
    source=SOURCE_WORKFORCE,
    inputs=("workforce",),
)
def iro_leavers_pct(ctx: KpiContext) -> tuple[int, int]:
    """IROs (distinct iro_id, headcount not FTE) whose end_date falls in the year and who
    are not in post the day after it / IROs in post on 1 April (start_date on or before
    1 April and end_date blank or on or after 1 April). An IRO whose last day is 31 March
    is a leaver of the year (and still counts in post at 31 March); an IRO who joined and
    left within the year is a leaver, though not in the denominator; agency IROs count."""
    w = ctx.table("workforce")
    at_start = w.loc[_in_post_on(w, ctx.start), "iro_id"].nunique()
    return len(leavers(ctx)), int(at_start)


# Caseload bands of looked-after children per full-time equivalent (IRO Handbook 50 to 70),
# on the per-FTE figure rounded half up to 1 decimal place like iro_caseload_per_fte.
CASELOAD_BANDS = ("Under 50", "50 to 70", "Over 70")


def _held_by_31_march(ctx: KpiContext) -> pd.DataFrame:
    m = ctx.table("meetings")
    return m.loc[m["held_date"].notna() & m["held_date"].le(ctx.end) & m["iro_id"].notna()]


def _latest_chairs(ctx: KpiContext) -> pd.DataFrame:
    """Each child's IRO at 31 March (child_id, iro_id): the chair of their latest meeting
    held on or before 31 March (any type; of two on one day, the higher meeting_id). Sorted
    once per context: every caseload figure reads it (issue #31's England profile found it
    sorted eleven times)."""

    def compute() -> pd.DataFrame:
        held = _held_by_31_march(ctx)
        return (
            held.sort_values(["child_id", "held_date", "meeting_id"], kind="mergesort")
            .groupby("child_id", sort=False)
            .tail(1)[["child_id", "iro_id"]]
        )

    return ctx.memo("workforce.latest_chairs", compute)


def _allocated(ctx: KpiContext, children: object, name: str) -> pd.Series:
    """Of `children`, how many each IRO carries at 31 March (by iro_id): a child counts for
    the IRO who chaired their latest meeting held on or before 31 March (any type)."""
    kids = pd.DataFrame(
        {"child_id": pd.Series(pd.unique(pd.Series(children).dropna()), dtype="str")}
    )
    alloc = kids.merge(_latest_chairs(ctx), on="child_id", how="inner")
    return alloc.groupby("iro_id")["child_id"].nunique().rename(name)


def caseload_bands(ctx: KpiContext) -> pd.DataFrame:
    """`_caseload_bands` once per context (two KPIs and the breakdown read it); a copy."""
    return ctx.memo("workforce.caseload_bands", lambda: _caseload_bands(ctx)).copy()


def _caseload_bands(ctx: KpiContext) -> pd.DataFrame:
    """IROs in post at 31 March (fte above 0) by looked-after children per FTE: `band`
    (CASELOAD_BANDS: under 50, 50 to 70, over 70; the per-FTE figure rounded half up to
    1 dp), `iros` (how many IROs) and, when the CIN census was supplied, `cp_children`
    (children on a CP plan at 31 March those IROs carry). A child counts for the IRO who
    chaired their latest meeting held on or before 31 March. What is published of the
    workforce: no IRO's own FTE or caseload."""
    fte = ctx.iros_in_post.groupby("iro_id")["fte"].sum()
    fte = fte[fte.gt(0)]
    cla = _allocated(ctx, ctx.cla_at_end["CHILD"], "cla").reindex(fte.index, fill_value=0)
    per_fte = pd.Series(
        [rate(n, f, per=1) for n, f in zip(cla, fte, strict=True)], index=fte.index, dtype="float64"
    )
    band = pd.Series(
        np.select([per_fte.lt(50), per_fte.le(70)], CASELOAD_BANDS[:2], CASELOAD_BANDS[2]),
        index=fte.index,
    )
    out = pd.DataFrame({"band": list(CASELOAD_BANDS)})
    out["iros"] = out["band"].map(band.value_counts()).fillna(0).astype("int64")
    if ctx.has("cin_census"):
        cp = _allocated(ctx, ctx.cp_open_at_end["LAchildID"], "cp").reindex(fte.index, fill_value=0)
        out["cp_children"] = out["band"].map(cp.groupby(band).sum()).fillna(0).astype("int64")
    return out


# KPIs that count staff (IROs), not children: the report publishes them, one or two reading
# "fewer than 3" (kpis-panel-2.md, "Caseload disclosure"; report.suppression.format_staff).
STAFF_COUNTS = ("iros_above_handbook_caseload", "iros_within_handbook_caseload")


def _iros_in_band(ctx: KpiContext, band: str) -> int:
    """IROs in `band` of `caseload_bands` (the one computation the table and KPIs share)."""
    bands = caseload_bands(ctx).set_index("band")["iros"]
    return int(bands.get(band, 0))


@kpi(
    "iros_above_handbook_caseload",
    title="IROs in post at 31 March with more than 70 looked-after children per full-time IRO",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    direction=False,
    unit="count",
    source=SOURCE_CASELOAD,
    inputs=("workforce", "meetings", "episodes"),
)
def iros_above_handbook_caseload(ctx: KpiContext) -> int:
    """IROs (distinct iro_id) in post at 31 March with fte above 0 whose looked-after
    children per full-time equivalent is above 70: the "Over 70" band of the caseload-bands
    breakdown, from the same computation. A child looked after at 31 March (short breaks
    excluded) counts for the IRO who chaired their latest meeting held on or before
    31 March (any type); an IRO's children are divided by their fte at 31 March and
    rounded half up to 1 decimal place, so 70.04 per FTE is 70.0 and within the Handbook's
    range, 70.05 is 70.1 and above it. Staff, not children: a count of IROs. Lower is
    better."""
    return _iros_in_band(ctx, CASELOAD_BANDS[2])


@kpi(
    "iros_within_handbook_caseload",
    title="IROs in post at 31 March with 50 to 70 looked-after children per full-time IRO",
    family=FAMILY_WORKFORCE,
    section="iro_service",
    direction=True,
    unit="count",
    source=SOURCE_CASELOAD,
    inputs=("workforce", "meetings", "episodes"),
)
def iros_within_handbook_caseload(ctx: KpiContext) -> int:
    """The same IROs (in post at 31 March, fte above 0) whose looked-after children per
    full-time equivalent, rounded half up to 1 decimal place, is from 50 to 70 inclusive:
    the "50 to 70" band of the caseload-bands breakdown (the IRO Handbook's range). Higher
    is better."""
    return _iros_in_band(ctx, CASELOAD_BANDS[1])


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """`caseload_bands` (published; needs the SSDA903 episodes too) and `caseload_by_iro`,
    the per-IRO figures for the service's own use, which the report never shows.

    Caseload by IRO: every IRO who chaired a meeting in the year or was in post at
    31 March (iro_id order), with `children_at_31_march` (children looked after or on a CP
    plan at 31 March whose latest meeting held on or before 31 March that IRO chaired),
    `children_in_year` (distinct children whose meetings held in the year they chaired),
    `fte_at_31_march` (blank when not in post) and `children_per_fte`. A child with no
    chaired meeting is allocated to nobody (they still count in iro_caseload_per_fte).
    Staff identifiers only; no child identifiers."""
    held = _held_by_31_march(ctx)
    in_year = held.loc[ctx.in_year(held["held_date"])]
    per_year = in_year.groupby("iro_id")["child_id"].nunique().rename("children_in_year")
    per_end = _allocated(ctx, caseload_children(ctx), "children_at_31_march")
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
    result = {"caseload_by_iro": out}
    if ctx.has("episodes"):
        result["caseload_bands"] = caseload_bands(ctx)
    return result


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
