"""Children looked after (SSDA903 episodes): counts and the 31 March breakdowns."""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract.codes import (
    AGE_BANDS,
    ETHNIC_GROUPS,
    LS_GROUPS,
    PLACE_GROUPS,
    REC_CONTINUING,
    SEX_LABELS,
)
from iro_analysis.ingest.periods import ends_period, starts_period
from iro_analysis.kpis.context import UNKNOWN, KpiContext, age_band, age_in_years
from iro_analysis.kpis.definitions import CHILD_POPULATION_PER, FAMILY_CLA, area_frame, kpi, rate

SOURCE_903 = (
    "DfE SSDA903 children looked after return guidance; DfE 'Children looked after in "
    "England' statistics (short breaks V3/V4 excluded)"
)
_INPUTS = ("episodes",)


@kpi(
    "cla_at_31_march",
    phrase="children were looked after at 31 March",
    title="Children looked after at 31 March",
    family=FAMILY_CLA,
    section="looked_after",
    headline=True,
    unit="count",
    source=SOURCE_903,
    inputs=_INPUTS,
)
def cla_at_31_march(ctx: KpiContext) -> int:
    """Distinct children with an episode open at 31 March: DECOM on or before 31 March and
    DEC blank or after 31 March. Short-break episodes (legal status V3/V4) are excluded, as
    in DfE statistics; a child whose care ended on 31 March is not counted."""
    return int(ctx.cla_at_end["CHILD"].nunique())


@kpi(
    "cla_during_year",
    title="Children looked after at any time in the year",
    family=FAMILY_CLA,
    section="looked_after",
    unit="count",
    source=SOURCE_903,
    inputs=_INPUTS,
)
def cla_during_year(ctx: KpiContext) -> int:
    """Distinct children with an episode overlapping the year: DECOM on or before 31 March
    and DEC blank or on or after 1 April. Short breaks (V3/V4) excluded."""
    return len(ctx.cla_during_year_children)


@kpi(
    "cla_started",
    title="Children who started to be looked after in the year",
    family=FAMILY_CLA,
    section="looked_after",
    unit="count",
    source=SOURCE_903,
    inputs=_INPUTS,
)
def cla_started(ctx: KpiContext) -> int:
    """Distinct children with a period of care starting in the year: an episode with
    RNE = S (start of a new period of care) and DECOM in the year. Short breaks excluded.
    An episode that starts while another of the child's episodes is open, or before one
    ends, continues that period of care whatever its RNE, so it starts none."""
    ep = ctx.cla_episodes
    mask = starts_period(ep, ep["period"]) & ctx.in_year(ep["DECOM"])
    return int(ep.loc[mask, "CHILD"].nunique())


def ceased_episodes(ctx: KpiContext) -> pd.DataFrame:
    """Episodes that end a period of care in the year (see `cla_ceased`)."""
    ep = ctx.cla_episodes
    ended = ctx.in_year(ep["DEC"]) & ep["REC"].ne(REC_CONTINUING).fillna(True)
    return ep.loc[ended & ends_period(ep, ep["period"])]


@kpi(
    "cla_ceased",
    title="Children who ceased to be looked after in the year",
    family=FAMILY_CLA,
    section="looked_after",
    unit="count",
    source=SOURCE_903,
    inputs=_INPUTS,
)
def cla_ceased(ctx: KpiContext) -> int:
    """Distinct children whose period of care ended in the year: an episode with DEC in
    the year, REC not X1 (X1 = the episode ends but care continues), and no episode of the
    same child starting on that DEC. Short breaks excluded. Overlapping episodes are one
    period of care, which ends at their latest DEC and is open while any of them is: an
    episode that ends while another of the child's episodes is still open, or ends later,
    ends no period, so a child is never both ceased and looked after at 31 March on the
    strength of two episodes at once (a child whose care ended and who came back into care
    later in the year is both, as in DfE statistics)."""
    return int(ceased_episodes(ctx)["CHILD"].nunique())


SOURCE_POPULATION = (
    "DfE 'Children looked after in England' statistics: rate per 10,000 children aged 0-17 "
    "(ONS mid-year population estimates); the council's population is a setting"
)


def child_population(ctx: KpiContext) -> int | None:
    """The council's mid-year population aged 0 to 17 for the context's year, from the
    settings' `child_population` (year -> int), or None when not set."""
    pops = getattr(ctx.settings, "child_population", None) or {}
    pop = pops.get(ctx.year, pops.get(str(ctx.year)))
    return None if pop is None else int(pop)


@kpi(
    "cla_per_10000",
    phrase="children per 10,000 were looked after at 31 March",
    title="Children looked after at 31 March per 10,000 children",
    family=FAMILY_CLA,
    section="looked_after",
    headline=True,
    england="cla_per_10000",
    unit="ratio",
    per=CHILD_POPULATION_PER,
    source=SOURCE_POPULATION,
    inputs=_INPUTS,
)
def cla_per_10000(ctx: KpiContext) -> tuple[int, int] | None:
    """Children looked after at 31 March (cla_at_31_march) / the council's mid-year
    population aged 0 to 17 (the child_population setting for the year) × 10,000, rounded
    half up to 1 decimal place (DfE publishes whole numbers). Not produced when the
    population for the year is not set."""
    return per_child_population(ctx, cla_at_31_march(ctx))


def per_child_population(ctx: KpiContext, children: int) -> tuple[int, int] | None:
    """(children, the year's child_population) for a rate per 10,000 children aged 0 to
    17, or None when the population for the year is not set (the KPI is then absent)."""
    pop = child_population(ctx)
    return None if pop is None else (children, pop)


@kpi(
    "cla_started_per_10000",
    title="Children who started to be looked after in the year per 10,000 children",
    family=FAMILY_CLA,
    section="looked_after",
    england="cla_started_per_10000",
    unit="ratio",
    per=CHILD_POPULATION_PER,
    source=SOURCE_POPULATION,
    inputs=_INPUTS,
)
def cla_started_per_10000(ctx: KpiContext) -> tuple[int, int] | None:
    """Children who started to be looked after in the year (cla_started) / the council's
    mid-year population aged 0 to 17 × 10,000, rounded half up to 1 decimal place: DfE's
    "children starting to be looked after each year" rate. Not produced when the
    population for the year is not set."""
    return per_child_population(ctx, cla_started(ctx))


@kpi(
    "cla_ceased_per_10000",
    title="Children who ceased to be looked after in the year per 10,000 children",
    family=FAMILY_CLA,
    section="looked_after",
    england="cla_ceased_per_10000",
    unit="ratio",
    per=CHILD_POPULATION_PER,
    source=SOURCE_POPULATION,
    inputs=_INPUTS,
)
def cla_ceased_per_10000(ctx: KpiContext) -> tuple[int, int] | None:
    """Children who ceased to be looked after in the year (cla_ceased) / the council's
    mid-year population aged 0 to 17 × 10,000, rounded half up to 1 decimal place: DfE's
    "children ceasing to be looked after each year" rate. Not produced when the
    population for the year is not set."""
    return per_child_population(ctx, cla_ceased(ctx))


# --------------------------------------------------------------------------------------
# Breakdowns at 31 March
# --------------------------------------------------------------------------------------


def _share(counts: pd.DataFrame, category: str, order: list[str]) -> pd.DataFrame:
    """Tidy frame: category, count, percent of the total (1 dp, half up), in `order`."""
    out = counts.copy()
    known = [c for c in order if c in set(out[category])]
    extra = sorted(set(out[category]) - set(order))
    out[category] = pd.Categorical(out[category], categories=known + extra, ordered=True)
    out = out.sort_values(category).reset_index(drop=True)
    out[category] = out[category].astype("str")
    total = int(out["count"].sum())
    out["count"] = out["count"].astype("int64")
    out["percent"] = [rate(n, total) for n in out["count"]]
    out["percent"] = out["percent"].astype("Float64")
    return out


def tally(labels: pd.Series, category: str, order: list[str]) -> pd.DataFrame:
    """Count of each label (every label in `order` shown, zeros included) with percent."""
    counts = labels.value_counts(dropna=False)
    frame = pd.DataFrame({category: order})
    frame = frame.merge(
        counts.rename("count").rename_axis(category).reset_index(), on=category, how="outer"
    )
    frame["count"] = frame["count"].fillna(0)
    frame = frame.loc[frame[category].ne(UNKNOWN) | frame["count"].gt(0)]
    return _share(frame, category, order)


def _cla_with_header(ctx: KpiContext) -> pd.DataFrame:
    cla = ctx.cla_at_end[["CHILD", "LS", "PLACE"]]
    return cla.merge(ctx.header[["CHILD", "SEX", "DOB", "ETHNIC"]], on="CHILD", how="left")


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Children looked after at 31 March by DfE age band, sex, ethnicity group, legal status
    group and placement group (labels from schema; "Not known" where the header is missing)."""
    cla = _cla_with_header(ctx)
    bands = [b[0] for b in AGE_BANDS] + [UNKNOWN]
    age = age_band(age_in_years(cla["DOB"], ctx.end))
    sex = cla["SEX"].map(SEX_LABELS).fillna(UNKNOWN)
    eth = cla["ETHNIC"].map(ETHNIC_GROUPS).fillna(UNKNOWN)
    ls = cla["LS"].map(LS_GROUPS).fillna(UNKNOWN)
    place = cla["PLACE"].map(PLACE_GROUPS).fillna(UNKNOWN)

    def order(labels: dict[str, str]) -> list[str]:
        return list(dict.fromkeys(labels.values())) + [UNKNOWN]

    return {
        "cla_by_age_band": tally(age, "age_band", bands),
        "cla_by_sex": tally(sex, "sex", order(SEX_LABELS)),
        "cla_by_ethnicity_group": tally(eth, "ethnicity_group", order(ETHNIC_GROUPS)),
        "cla_by_legal_status": tally(ls, "legal_status", order(LS_GROUPS)),
        "cla_by_placement": tally(place, "placement", order(PLACE_GROUPS)),
    }


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
