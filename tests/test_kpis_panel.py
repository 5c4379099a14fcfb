"""The panel's KPIs (shared/spec/kpis-panel.md, issue #15) on small hand-made inputs.

Reporting year 2023 = 1 April 2022 to 31 March 2023. Each test builds the clean tables it
needs by hand (ISO date strings typed as the cleaner types them) and works out every
expected value in its comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from iro_analysis.contract.tables import CLEAN_TABLES, SOURCE_YEAR, SUPPLIED_INPUTS
from iro_analysis.core.settings import Settings
from iro_analysis.core.settings_sections import FrozenMap
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.engine import compute_breakdowns, compute_kpis, format_kpis
from iro_analysis.kpis.registry import population_rate_kpis
from iro_analysis.kpis.workforce import establishment_at_end
from tests.fixtures.kpis.scenario import _typed

YEAR = 2023
CIN_TABLES = ("cin_children", "cin_details", "s47", "cp_plans", "cp_reviews")


def dataset(tables: dict[str, list[dict]], year: int = YEAR) -> Dataset:
    """A Dataset of hand-made rows (ISO dates), each table supplied in `year`'s folder
    (the census tables as "cin_census")."""
    typed = {}
    for name, rows in tables.items():
        cols = list(CLEAN_TABLES[name].columns)
        frame = pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols)
        frame[SOURCE_YEAR] = year
        typed[name] = _typed(frame, name)
    given = {"cin_census" if n in CIN_TABLES else n for n in tables}
    sup = pd.DataFrame(
        [(year, n, f"{year}/{n}", n in given, "x") for n in SUPPLIED_INPUTS],
        columns=["year", "input", "path", "present", "sha256"],
    )
    return Dataset(tables=typed, supplied=sup)


def ep(child, decom, dec="", ls="C2", rne="S", rec=""):
    rec = rec or ("E13" if dec else "")
    return {
        "CHILD": child,
        "DECOM": decom,
        "RNE": rne,
        "LS": ls,
        "PLACE": "U1",
        "DEC": dec,
        "REC": rec,
    }


def rv(child, review, code="PN1"):
    return {"CHILD": child, "REVIEW": review, "REVIEW_CODE": code}


def kpis(ds: Dataset, settings: Settings | None = None, **kw) -> pd.DataFrame:
    return compute_kpis(ds, YEAR, settings, **kw).set_index("kpi_id")


def row(frame: pd.DataFrame, kpi_id: str) -> tuple:
    r = frame.loc[kpi_id]
    return tuple(
        None if pd.isna(r[c]) else float(r[c]) for c in ("value", "numerator", "denominator")
    )


# --------------------------------------------------------------------------------------
# Review attendance
# --------------------------------------------------------------------------------------


def test_review_attendance_pct():
    # In the year: PN0 (under 4: in neither), PN1, PN4 (attended without contributing:
    # attended), PN5, PN7 and PN2 on 31 March 2023. Not in the year: PN3 on 31 March 2022
    # and PN1 on 1 April 2023. Attended PN1, PN4, PN2 = 3 of PN1-PN7 = 5 -> 60.0.
    ds = dataset(
        {
            "episodes": [ep("A", "2021-06-01")],
            "reviews": [
                rv("A", "2022-03-31", "PN3"),
                rv("A", "2022-04-01", "PN0"),
                rv("A", "2022-06-01", "PN1"),
                rv("A", "2022-08-01", "PN4"),
                rv("A", "2022-10-01", "PN5"),
                rv("A", "2022-12-01", "PN7"),
                rv("A", "2023-03-31", "PN2"),
                rv("A", "2023-04-01", "PN1"),
            ],
        }
    )
    df = kpis(ds)
    assert row(df, "cla_review_attendance_pct") == (60.0, 3, 5)
    # Participation counts PN5 too: PN1, PN4, PN5, PN2 = 4 / 5.
    assert row(df, "cla_participation_pct") == (80.0, 4, 5)
    # The PN4 setting changes participation (3 / 5), never attendance.
    df = kpis(ds, Settings(pn4_counts_as_participation=False))
    assert row(df, "cla_review_attendance_pct") == (60.0, 3, 5)
    assert row(df, "cla_participation_pct") == (60.0, 3, 5)


# --------------------------------------------------------------------------------------
# Midway checks
# --------------------------------------------------------------------------------------


def _midway_ds(footprints: bool = True) -> Dataset:
    tables = {
        # A's period starts 10 Jan 2022, B's 1 Jun 2022 (RNE = S: starts known).
        "episodes": [ep("A", "2022-01-10"), ep("B", "2022-06-01")],
        "reviews": [
            rv("A", "2022-02-01"),  # A's first review (previous year)
            rv("A", "2022-05-01"),  # review 2: window (1 Feb, 1 May)
            rv("A", "2022-10-31"),  # review 3: window (1 May, 31 Oct)
            rv("A", "2023-03-31"),  # review 4 on 31 March: window (31 Oct, 31 Mar)
            rv("B", "2022-06-28"),  # B's first review: not in the measure
            rv("B", "2022-09-27"),  # review 2: window (28 Jun, 27 Sep)
        ],
    }
    if footprints:
        tables["footprints"] = [
            # in A's review 2 window, dated in the previous year: counts
            {"footprint_id": "F1", "child_id": "A", "footprint_date": "2022-03-15",
             "footprint_type": "MIDWAY_CHECK"},
            # on the day of review 3: neither before it nor after it
            {"footprint_id": "F2", "child_id": "A", "footprint_date": "2022-10-31",
             "footprint_type": "MIDWAY_CHECK"},
            # a challenge, not a midway check
            {"footprint_id": "F3", "child_id": "A", "footprint_date": "2022-08-01",
             "footprint_type": "CHALLENGE"},
            # the day before review 4 on 31 March: counts
            {"footprint_id": "F4", "child_id": "A", "footprint_date": "2023-03-30",
             "footprint_type": "MIDWAY_CHECK"},
            # before B's first review: B's review 2 window starts after it
            {"footprint_id": "F5", "child_id": "B", "footprint_date": "2022-06-15",
             "footprint_type": "MIDWAY_CHECK"},
            # another child's check
            {"footprint_id": "F6", "child_id": "C", "footprint_date": "2022-08-01",
             "footprint_type": "MIDWAY_CHECK"},
        ]  # fmt: skip
    return dataset(tables)


def test_midway_checks_pct():
    # Denominator: A's reviews 2, 3, 4 and B's review 2 (B's first review of its period,
    # held in the year, is left out) = 4. Checked: A review 2 (F1), A review 4 (F4) -> 2.
    df = kpis(_midway_ds())
    assert row(df, "midway_checks_pct") == (50.0, 2, 4)


def test_midway_checks_absent_without_footprints():
    assert "midway_checks_pct" not in kpis(_midway_ds(footprints=False)).index


# --------------------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------------------


def fb(rid, who, date, rating=""):
    return {"response_id": rid, "respondent": who, "response_date": date, "rating": rating,
            "quote": "", "quote_publishable": "N"}  # fmt: skip


FEEDBACK = [
    fb("R1", "CHILD", "2022-04-01", "5"),  # 1 April: in the year
    fb("R2", "CHILD", "2023-03-31", "4"),  # 31 March: in the year
    fb("R3", "PARENT", "2022-06-01", "3"),
    fb("R4", "PARENT", "2022-07-01", ""),  # no rating
    fb("R5", "CARER", "2022-08-01", "1"),
    fb("R6", "PROFESSIONAL", "2023-04-01", "5"),  # next year
    fb("R7", "CHILD", "2022-03-31", "5"),  # last year
]


def test_feedback():
    # In the year: R1-R5 = 5. Rated: R1, R2, R3, R5 = 4 (R4's blank rating is in neither);
    # 4 or 5: R1, R2 -> 2 / 4 = 50.0.
    ds = dataset({"feedback": FEEDBACK})
    df = kpis(ds)
    assert row(df, "feedback_responses") == (5, None, None)
    assert row(df, "feedback_positive_pct") == (50.0, 2, 4)
    # Per respondent (every respondent has a row, zeros included).
    assert {k: row(df, f"feedback_responses_{k}")[0] for k in
            ("child", "parent", "carer", "professional")} == {
        "child": 2, "parent": 2, "carer": 1, "professional": 0}  # fmt: skip
    b = compute_breakdowns(ds, YEAR)["feedback_by_respondent"].set_index("respondent")
    assert list(b.index) == ["CHILD", "PARENT", "CARER", "PROFESSIONAL"]
    assert b["count"].tolist() == [2, 2, 1, 0]
    assert b["rated"].tolist() == [2, 1, 1, 0]
    assert b["positive"].tolist() == [2, 0, 0, 0]
    assert b.loc["CHILD", "positive_percent"] == 100.0
    assert b.loc["PARENT", "positive_percent"] == 0.0
    assert pd.isna(b.loc["PROFESSIONAL", "positive_percent"])  # none rated: blank
    assert b.loc["CHILD", "percent"] == 40.0  # 2 of 5 responses
    assert "quote" not in b.columns and "response_id" not in b.columns


def test_feedback_absent_without_the_extract():
    df = kpis(dataset({"episodes": [ep("A", "2021-06-01")]}))
    assert not df.index.str.startswith("feedback_").any()
    assert "feedback_by_respondent" not in compute_breakdowns(
        dataset({"episodes": [ep("A", "2021-06-01")]}), YEAR
    )


# --------------------------------------------------------------------------------------
# Dispute outcomes
# --------------------------------------------------------------------------------------


def dp(did, raised, resolved="", outcome=""):
    return {"dispute_id": did, "child_id": "A", "cohort": "CLA", "raised_date": raised,
            "theme": "CARE_PLAN", "highest_stage": "1", "resolved_date": resolved,
            "outcome": outcome}  # fmt: skip


def test_drp_outcome_plan_changed_pct():
    # Resolved in the year: X1 (raised last year, resolved 1 April 2022, PLAN_CHANGED), X2
    # (resolved 31 March 2023, PLAN_CHANGED), X3 (RESOLVED_NO_CHANGE), X4 (blank outcome)
    # = 4; X5 resolved 1 April 2023 and X6 open are in neither. 2 / 4 = 50.0.
    ds = dataset(
        {
            "disputes": [
                dp("X1", "2022-03-01", "2022-04-01", "PLAN_CHANGED"),
                dp("X2", "2022-05-01", "2023-03-31", "PLAN_CHANGED"),
                dp("X3", "2022-06-01", "2022-07-01", "RESOLVED_NO_CHANGE"),
                dp("X4", "2022-09-01", "2022-10-01", ""),
                dp("X5", "2023-03-01", "2023-04-01", "PLAN_CHANGED"),
                dp("X6", "2022-10-01"),
            ]
        }
    )
    assert row(kpis(ds), "drp_outcome_plan_changed_pct") == (50.0, 2, 4)


# --------------------------------------------------------------------------------------
# Workforce: caseloads, agency, vacancies, leavers
# --------------------------------------------------------------------------------------


def wf(iro, fte, start, end="", agency="N"):
    return {"iro_id": iro, "fte": fte, "start_date": start, "end_date": end, "agency": agency}


WORKFORCE = [
    wf("W1", "1.0", "2015-01-01"),
    wf("W2", "0.8", "2020-01-01", "2023-03-31", "Y"),  # last day 31 March: in post, a leaver
    wf("W3", "0.5", "2021-01-01", "2022-09-30"),  # a new contract the next day: not a leaver
    wf("W3", "0.6", "2022-10-01"),
    wf("W4", "0.4", "2022-04-01", "2022-12-31", "Y"),  # joined on 1 April: in post on 1 April
    wf("W5", "1.0", "2019-01-01", "2022-03-31"),  # left on 31 March 2022: last year's leaver
    wf("W6", "0.5", "2022-06-01", "2022-11-30", "Y"),  # joined and left in the year
]

CP_PLANS = [
    {"LAchildID": "P1", "CPPstartDate": "2022-05-01", "CPPendDate": ""},
    {"LAchildID": "P2", "CPPstartDate": "2022-05-01", "CPPendDate": "2023-03-31"},  # ended
    {"LAchildID": "P3", "CPPstartDate": "2021-05-01", "CPPendDate": ""},
]

EPISODES = [
    ep("E1", "2021-06-01"),
    ep("E2", "2021-06-01", dec="2023-03-31"),  # care ended on 31 March: not looked after
    ep("E3", "2022-06-01", ls="V3"),  # short breaks: not looked after
    ep("E4", "2022-01-01"),
    ep("E5", "2022-01-01"),
    ep("E6", "2023-03-31"),  # came into care on 31 March: looked after
]


def _workforce_ds(establishment: list[dict] | None = None) -> Dataset:
    tables = {"workforce": WORKFORCE, "episodes": EPISODES, "cp_plans": CP_PLANS}
    if establishment is not None:
        tables["establishment"] = establishment
    return dataset(tables)


def est(date, fte):
    return {"as_at_date": date, "establishment_fte": fte}


def test_caseloads_agency_and_leavers():
    # In post at 31 March 2023: W1 1.0, W2 0.8, W3 0.6 = 2.4 FTE; agency: W2 0.8.
    # Looked after at 31 March: E1, E4, E5, E6 = 4 -> 4 / 2.4 = 1.666... -> 1.7.
    # On a plan at 31 March: P1, P3 = 2 -> 2 / 2.4 = 0.833... -> 0.8.
    # In post on 1 April 2022: W1, W2, W3, W4 = 4. Leavers: W2 (31 March 2023), W4, W6
    # (not in the denominator); W3 continues on a new contract; W5 left last year.
    # 3 / 4 = 75.0.
    df = kpis(_workforce_ds())
    assert row(df, "iro_fte_at_31_march") == (2.4, None, None)
    assert row(df, "cla_caseload_per_iro_fte") == (1.7, 4, 2.4)
    assert row(df, "cp_caseload_per_iro_fte") == (0.8, 2, 2.4)
    assert row(df, "iro_agency_fte") == (0.8, None, None)
    assert row(df, "iro_leavers_pct") == (75.0, 3, 4)
    # No establishment extract: no vacancy row.
    assert "iro_vacancy_fte" not in df.index


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # The latest establishment on or before 31 March (3.0); 30 June 2023 is later.
        # 3.0 - 2.4 = 0.6 (0.6000000000000001 in floats).
        ([est("2022-03-31", "2.0"), est("2023-03-31", "3.0"), est("2023-06-30", "5.0")], 0.6),
        # An establishment below the FTE in post: floored at 0.
        ([est("2023-03-31", "2.0")], 0.0),
        # Dated in the year, before 31 March: still the establishment in force.
        ([est("2022-10-01", "2.9")], 0.5),
    ],
)
def test_vacancy_fte(rows, expected):
    assert row(kpis(_workforce_ds(rows)), "iro_vacancy_fte") == (expected, None, None)


def test_vacancy_absent_when_no_establishment_dated_by_31_march():
    ds = _workforce_ds([est("2023-04-01", "3.0")])
    assert establishment_at_end(KpiContext(ds, YEAR)) is None
    assert "iro_vacancy_fte" not in kpis(ds).index


def test_leavers_with_nobody_in_post_on_1_april():
    ds = dataset({"workforce": [wf("N1", "1.0", "2022-06-01", "2022-12-31")]})
    assert row(kpis(ds), "iro_leavers_pct") == (None, 1, 0)


# --------------------------------------------------------------------------------------
# Independent visitors
# --------------------------------------------------------------------------------------


def iv(child, start, end=""):
    return {"child_id": child, "match_start_date": start, "match_end_date": end}


def test_independent_visitor_pct():
    # Looked after at 31 March: E1, E4, E5, E6 = 4. Open matches at 31 March: E1 (open;
    # a second open match counts once), E4 (ends on 31 March: its last day). Not: E5 (ended
    # 30 March), E6 (starts 1 April 2023), E2 (match open but not looked after at
    # 31 March), E3 (short breaks). 2 / 4 = 50.0.
    ds = dataset(
        {
            "episodes": EPISODES,
            "independent_visitors": [
                iv("E1", "2022-01-01"),
                iv("E1", "2022-06-01"),
                iv("E4", "2021-01-01", "2023-03-31"),
                iv("E5", "2021-01-01", "2023-03-30"),
                iv("E6", "2023-04-01"),
                iv("E2", "2021-01-01"),
                iv("E3", "2022-06-01"),
            ],
        }
    )
    assert row(kpis(ds), "independent_visitor_pct") == (50.0, 2, 4)
    assert "independent_visitor_pct" not in kpis(dataset({"episodes": EPISODES})).index


# --------------------------------------------------------------------------------------
# Rates per 10,000 children
# --------------------------------------------------------------------------------------


def test_rates_per_10000_children():
    # 4 looked after / 30,000 x 10,000 = 1.333... -> 1.3; 2 on a plan -> 0.666... -> 0.7.
    # England 2023: 70 looked after per 10,000; no CP rate published for 2023.
    ds = dataset({"episodes": EPISODES, "cp_plans": CP_PLANS})
    settings = Settings(child_population=FrozenMap({2023: 30000}))
    df = kpis(ds, settings)
    assert row(df, "cla_per_10000") == (1.3, 4, 30000)
    assert row(df, "cp_per_10000") == (0.7, 2, 30000)
    assert df.loc["cla_per_10000", "england"] == 70
    assert pd.isna(df.loc["cp_per_10000", "england"])
    # Neutral (context): not rated.
    assert pd.isna(df.loc["cla_per_10000", "rating"])
    assert df.loc["cla_per_10000", "rating_basis"] == "no basis"
    lines = format_kpis(df.reset_index()).splitlines()
    assert "cla_per_10000,2023,1.3,4,30000,70,,no basis" in lines


# Year 2023 runs 1 April 2022 to 31 March 2023.
STARTS_AND_ENDS = [
    ep("S1", "2022-04-01", dec="2022-05-01"),  # starts on 1 April, ceases in May...
    ep("S1", "2022-09-01"),  # ...and starts again: one child started, one ceased
    ep("S2", "2022-03-31", dec="2022-06-01", rec="X1"),  # started last year; X1: care goes on
    ep("S2", "2022-06-01", dec="2023-03-31", rne="P"),  # ...ceases on 31 March: ceased
    ep("S3", "2022-10-01", ls="V3"),  # short break: neither
    ep("S4", "2023-03-31"),  # starts on 31 March: started
    ep("S5", "2021-01-01", dec="2022-03-31"),  # ceased the year before: neither
    ep("S6", "2020-01-01", dec="2022-07-01", rec="E4A"),  # an episode follows on that day:
    ep("S6", "2022-07-01", rne="L"),  # ...care did not end, so not ceased
    ep("S7", "2022-12-25"),  # started on Christmas Day
]


def test_children_starting_and_ceasing_per_10000_children():
    # Started: S1 (once, though twice), S4, S7 = 3 -> 3 / 7,000 x 10,000 = 4.2857 -> 4.3.
    # Ceased: S1, S2 = 2 -> 2 / 7,000 x 10,000 = 2.857 -> 2.9.
    # England 2023 (CLA 2025 edition): 28 starting and 27 ceasing per 10,000.
    ds = dataset({"episodes": STARTS_AND_ENDS})
    df = kpis(ds, Settings(child_population=FrozenMap({2023: 7000})))
    assert row(df, "cla_started") == (3, None, None)
    assert row(df, "cla_ceased") == (2, None, None)
    assert row(df, "cla_started_per_10000") == (4.3, 3, 7000)
    assert row(df, "cla_ceased_per_10000") == (2.9, 2, 7000)
    assert df.loc["cla_started_per_10000", "england"] == 28
    assert df.loc["cla_ceased_per_10000", "england"] == 27
    # Demand, not performance: compared with England but never rated.
    assert df.loc[["cla_started_per_10000", "cla_ceased_per_10000"], "rating"].isna().all()


@pytest.mark.parametrize("population", [None, FrozenMap({2022: 30000})])
def test_rates_absent_without_the_years_population(population):
    ds = dataset({"episodes": EPISODES, "cp_plans": CP_PLANS})
    settings = Settings() if population is None else Settings(child_population=population)
    df = kpis(ds, settings)
    assert not set(population_rate_kpis()) & set(df.index)
    assert set(population_rate_kpis()) >= {"cla_per_10000", "cp_per_10000"}
    assert "cla_at_31_march" in df.index
