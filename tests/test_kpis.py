"""The KPI engine on the hand-built scenario (tests/fixtures/kpis/scenario.py).

Reporting year 2023 = 1 April 2022 to 31 March 2023. Every expected value is worked out
by hand in the comments; the children and their stories are listed in the scenario's
docstring.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from iro_analysis.contract import codes as C
from iro_analysis.contract import tables as T
from iro_analysis.core import paths
from iro_analysis.core.settings import Settings
from iro_analysis.kpis import voice
from iro_analysis.kpis.definitions import (
    KPI_CSV_COLUMNS,
    NON_DATA_INPUTS,
    rate,
    round_half_up,
)
from iro_analysis.kpis.engine import (
    compute_breakdowns,
    compute_kpis,
    format_kpis,
    missing_inputs,
    write_kpis,
)
from iro_analysis.kpis.registry import KPI_DEFINITIONS, REGISTRY
from tests.fixtures.kpis import scenario

SPEC = paths.PROJECT_ROOT.parent / "shared" / "spec" / "kpis.md"  # shared/ sits beside the clone
PANEL_SPEC = SPEC.with_name("kpis-panel.md")
PANEL_2_SPEC = SPEC.with_name("kpis-panel-2.md")  # the second wave (issue #26)


@pytest.fixture(scope="module")
def ds():
    return scenario.dataset()


@pytest.fixture(scope="module")
def k2023(ds) -> pd.DataFrame:
    return compute_kpis(ds, 2023).set_index("kpi_id")


def row(frame: pd.DataFrame, kpi_id: str) -> tuple:
    r = frame.loc[kpi_id]
    out = []
    for v in (r["value"], r["numerator"], r["denominator"]):
        out.append(None if pd.isna(v) else float(v))
    return tuple(out)


# --------------------------------------------------------------------------------------
# Children looked after, 2023
# --------------------------------------------------------------------------------------

CLA_2023 = {
    # Open at 31 March 2023 (DEC blank or after): C1, C2 (period 2), C4, C5, C10, C11.
    # Not C3 (short breaks only), not C6 (DEC = 31 March), not C9 (left 31 March 2022).
    "cla_at_31_march": 6,
    # Overlapping the year: the six above plus C6.
    "cla_during_year": 7,
    # RNE = S with DECOM in the year: C2 (3 Oct 2022), C4, C6, C10, C11 (C3 is V4).
    "cla_started": 5,
    # DEC in the year, REC not X1, no episode starting that day: C2 (30 Jun 2022) and C6
    # (31 Mar 2023). C4's 9 Dec X1 change of placement does not count.
    "cla_ceased": 2,
}
# Placement stability (kpis-panel-2.md), of the six looked after at 31 March: C1, C5, C10,
# C11 one episode each; C2 one placement in each period (left 30 Jun 2022, back 3 Oct):
# 2; C4 S on 1 Dec then L on 9 Dec (legal status only: the same placement): 1. None has 3
# -> 0 / 6. Long-term: under 16 at 31 March and in care since 30 Sep 2020 or earlier:
# only C5 has been in care that long (since Feb 2020) and C5 is 17 -> nobody: 0/0, blank.
STABILITY_2023 = {
    "cla_placements_3plus_pct": (0.0, 0, 6),
    "cla_long_term_stability_pct": (None, 0, 0),
}


@pytest.mark.parametrize(("kpi_id", "expected"), STABILITY_2023.items())
def test_stability_2023(k2023, kpi_id, expected):
    assert row(k2023, kpi_id) == expected


@pytest.mark.parametrize(("kpi_id", "expected"), CLA_2023.items())
def test_cla_counts_2023(k2023, kpi_id, expected):
    assert row(k2023, kpi_id) == (expected, None, None)


# --------------------------------------------------------------------------------------
# Reviews, 2023
# --------------------------------------------------------------------------------------
# Reviews dated in the year (C3's 2 May 2022 review is inside its short break only and
# dropped):
#   C1 4 May 2022   review 2 of a period from 10 Jan 2022; review 1 (4 Feb 2022) is only in
#                   the 2022 return; due 4 Feb + 3 months = 4 May: on time (PN1)
#   C1 3 Nov 2022   review 3, due 4 May + 6 months = 4 Nov: on time (PN4)
#   C2 31 Oct 2022  review 1 of the period from 3 Oct 2022 (C2 came back into care):
#                   wd(3 Oct, 31 Oct) = 20: on time (PN2)
#   C2 27 Jan 2023  review 2, due 31 Jan 2023: on time (PN7)
#   C4 29 Dec 2022  review 1: wd(1 Dec, 29 Dec 2022) = 18 (26, 27 Dec bank holidays):
#                   on time (PN0)
#   C5 10 May 2022  unknown start (RNE = T), previous review 15 Nov 2021 (2022 return):
#                   due 15 May 2022: on time (PN5)
#   C5 16 Nov 2022  due 10 Nov 2022: late (PN6)
#   C6 1 Jul 2022   before C6's period (from 1 Aug 2022): inside no period, not
#                   assessable (PN3)
#   C6 26 Aug 2022  review 1: wd(1 Aug, 26 Aug) = 19: on time (PN1)
#   C6 28 Nov 2022  review 2, due 26 Nov 2022: late (PN1)
# Held 10; not assessable 1; on time 7 of 9 = 77.777... -> 77.8.
#
# Children looked after at 31 March for >= 20 working days: C1, C2, C4, C5, C10 (C11
# started 13 Mar 2023: wd = 14). All reviews on time and none overdue: C1, C2. C4 is
# overdue (review 2 due 29 Dec + 3 months = 29 Mar 2023); C5 had a late review; C10 has
# no review and wd(20 Feb 2023, 31 Mar 2023) = 29 > 20: overdue. 2 / 5 = 40.0.
# Overdue at 31 March: C4, C10 = 2.
# Participation: PN1-PN6 = 3 PN1 + PN2 + PN3 + PN4 + PN5 + PN6 = 8; PN1-PN7 = 9
# (PN0 excluded): 88.888... -> 88.9. Without PN4: 7 / 9 = 77.8.
REVIEWS_2023 = {
    "cla_reviews_held": (10, None, None),
    "cla_reviews_on_time_pct": (77.8, 7, 9),
    "cla_reviews_not_assessable": (1, None, None),
    "cla_children_reviews_on_time_pct": (40.0, 2, 5),
    "cla_reviews_overdue_at_31_march": (2, None, None),
    "cla_participation_pct": (88.9, 8, 9),
    # Attended (PN1-PN4): 3 PN1 + PN2 + PN3 + PN4 = 6 of PN1-PN7 = 9 -> 66.666... -> 66.7.
    "cla_review_attendance_pct": (66.7, 6, 9),
    "cla_participation_pn0": (1, None, None),
    "cla_participation_pn1": (3, None, None),
    "cla_participation_pn2": (1, None, None),
    "cla_participation_pn3": (1, None, None),
    "cla_participation_pn4": (1, None, None),
    "cla_participation_pn5": (1, None, None),
    "cla_participation_pn6": (1, None, None),
    "cla_participation_pn7": (1, None, None),
}


@pytest.mark.parametrize(("kpi_id", "expected"), REVIEWS_2023.items())
def test_reviews_2023(k2023, kpi_id, expected):
    assert row(k2023, kpi_id) == expected


def test_pn4_setting(ds):
    df = compute_kpis(ds, 2023, Settings(pn4_counts_as_participation=False)).set_index("kpi_id")
    assert row(df, "cla_participation_pct") == (77.8, 7, 9)


def test_reviews_2022_first_review_only_in_history():
    # 2022 (1 Apr 2021 - 31 Mar 2022), reviews: C1 4 Feb 2022 (wd(10 Jan, 4 Feb) = 19, on
    # time), C2 28 Sep 2021 (wd = 19, on time) and 25 Mar 2022 (due 28 Dec 2021, late),
    # C5 15 Nov 2021 (first supplied review of an unknown start: not assessable), C9
    # 25 Jun 2021 (wd(1 Jun, 25 Jun 2021) = 18, on time). 3 / 4 = 75.0.
    # Children at 31 March 2022: C1 (all on time), C2 (late), C5 (not assessable) -> 1/3.
    df = compute_kpis(scenario.dataset(), 2022).set_index("kpi_id")
    assert row(df, "cla_reviews_held") == (5, None, None)
    assert row(df, "cla_reviews_on_time_pct") == (75.0, 3, 4)
    assert row(df, "cla_reviews_not_assessable") == (1, None, None)
    assert row(df, "cla_children_reviews_on_time_pct") == (33.3, 1, 3)
    # At 31 March 2022: C1, C2 (left 30 Jun 2022), C5; C9's DEC is 31 March 2022.
    assert row(df, "cla_at_31_march") == (3, None, None)


def test_reviews_2024_due_on_29_february(ds):
    # C7: wd(1 Nov, 29 Nov 2023) = 20 on time; review 2 due 29 Feb 2024 held 29 Feb: on
    # time. C8: the same review 1, review 2 on 1 Mar 2024: late. 3 / 4 = 75.0.
    df = compute_kpis(ds, 2024).set_index("kpi_id")
    assert row(df, "cla_reviews_held") == (4, None, None)
    assert row(df, "cla_reviews_on_time_pct") == (75.0, 3, 4)


# --------------------------------------------------------------------------------------
# Child protection, 2023
# --------------------------------------------------------------------------------------
# Plans: K1 21 Jun 2022 (open, NEG, 0 previous), K2 1 Aug 2022 - 31 Mar 2023 (PHY, 1
# previous), K3 30 Nov 2022 (open, EMO, 2 previous), K6 15 Jan 2021 - 16 Jan 2023 (SAB).
# Open at 31 March: K1, K3 (K2 ends exactly on 31 March: not open, ended in the year).
# Started: K1, K2, K3; repeat: K2, K3 -> 2 / 3 = 66.7.
# Ended: K2, K6; 2 years or more: K6 (15 Jan 2021 + 2 years = 15 Jan 2023 <= 16 Jan 2023)
# -> 1 / 2 = 50.0.
# ICPCs: K1 21 Jun (S47 Fri 27 May 2022: wd = 15 over the Jubilee days, on time), K2
# 1 Aug (CINdetails only; its S47 has ICPCnotRequired: held, not in the measure), K3
# 30 Nov (S47 1 Nov: wd = 21, late) -> held 3, 1 / 2 = 50.0.
# RCPCs: K1 20 Sep 2022 (due 21 Sep, on time), 21 Mar 2023 (due 20 Mar, late); K2
# 25 Oct 2022 (due 1 Nov, on time); K6 8 Apr 2022 (due 11 Oct 2021 + 6 months = 11 Apr
# 2022, on time), 10 Oct 2022 (due 8 Oct, late) -> 5 held, 3 / 5 = 60.0.
CP_2023 = {
    "cp_plans_at_31_march": (2, None, None),
    "cp_plans_started": (3, None, None),
    "cp_plans_ended": (2, None, None),
    "cp_repeat_plans_pct": (66.7, 2, 3),
    "cp_plans_ended_2y_plus_pct": (50.0, 1, 2),
    "icpc_held": (3, None, None),
    "icpc_within_15wd_pct": (50.0, 1, 2),
    "rcpc_held": (5, None, None),
    "rcpc_on_time_pct": (60.0, 3, 5),
    "cp_category_neg": (1, None, None),
    "cp_category_phy": (0, None, None),
    "cp_category_sab": (0, None, None),
    "cp_category_emo": (1, None, None),
    "cp_category_mul": (0, None, None),
}


@pytest.mark.parametrize(("kpi_id", "expected"), CP_2023.items())
def test_cp_2023(k2023, kpi_id, expected):
    assert row(k2023, kpi_id) == expected


def test_cp_2022_29_february_and_plans_before_history(ds):
    # K4 29 Feb 2020 - 28 Feb 2022: 29 Feb + 2 years = 28 Feb 2022 -> 2 years. K5 2 Mar
    # 2020 - 1 Mar 2022: 2 Mar 2022 > 1 Mar -> not. 1 / 2 = 50.0.
    # RCPCs 2022: K4 10 May 2021 (plan before 1 April 2021, first supplied review: not
    # assessable) and 8 Nov 2021 (due 10 Nov, on time); K6 12 Apr 2021 (not assessable)
    # and 11 Oct 2021 (due 12 Oct, on time) -> held 4, 2 / 2.
    df = compute_kpis(ds, 2022).set_index("kpi_id")
    assert row(df, "cp_plans_ended_2y_plus_pct") == (50.0, 1, 2)
    assert row(df, "rcpc_held") == (4, None, None)
    assert row(df, "rcpc_on_time_pct") == (100.0, 2, 2)
    # No plan started in 2022: the percentage is blank with 0/0 and the row is written.
    assert row(df, "cp_repeat_plans_pct") == (None, 0, 0)


# --------------------------------------------------------------------------------------
# Disputes, meetings, workforce, education and health, 2023
# --------------------------------------------------------------------------------------
# Disputes raised in the year: D1 (CLA, 27 May 2022, resolved 24 Jun: wd 18), D2 (CLA,
# 1 Sep, resolved 10 Oct: wd 26), D3 (CP, 3 Mar 2023, open: wd(3 Mar, 31 Mar) = 20 so in
# the denominator), D4 (CLA, 6 Mar 2023: wd to 31 Mar = 19, not yet due), D6 (CP, 1 Dec
# 2022, still open at year end). D5 was raised in 2022 and resolved 20 Apr 2022.
# raised 5; CLA 3 / cla_during_year 7 x 100 = 42.857 -> 42.9; within 20 wd: D1 of D1, D2,
# D3, D6 -> 25.0; stage >= 2: D2, D3, D6 -> 60.0; open at 31 March: D3, D6; overdue
# (wd > 20): D6.
# Meetings held in the year: M1-M6, M8 (M7 has no held_date) = 7; rearranged M2, M4, M6
# (M3's blank times_rearranged is 0) = 3 -> 42.9; visits M1, M2, M4, M8 -> 57.1 (M5's
# blank is not Y); advocate M2, M6, M8 -> 42.9.
# IROs in post at 31 March: I1 1.0, I2 0.6 (last day 31 March counts), I4 0.5; I3 left
# 31 Oct 2022. FTE 2.1. Caseload: 6 looked after + K1, K3 = 8 / 2.1 = 3.809... -> 3.8.
# PEP cohort (looked after at 31 March, aged 5-15): C1 (12), C2 (8), C10 (15: 16 on
# 1 April). C1 latest PEP 28 Sep 2022 (in place; 184 days: not up to date), C2 29 Sep 2022
# (183 days: up to date), C10 31 Mar 2022 (exactly 12 months: not in place; its
# 5 Apr 2023 PEP is after 31 March). In place 2/3 = 66.7; up to date 1/3 = 33.3.
# OC2 2023 rows C1 (1, 1, 0) and C5 (1, blank, 1); the 2022 file's C5 row (0, 0, 0) is
# not used. Health 2/2, teeth 1/2, immunisations 1/2.
OTHER_2023 = {
    "drp_raised": (5, None, None),
    "drp_raised_per_100_cla": (42.9, 3, 7),
    "drp_resolved_within_20wd_pct": (25.0, 1, 4),
    "drp_escalated_pct": (60.0, 3, 5),
    "drp_open_at_31_march": (2, None, None),
    "drp_open_overdue_at_31_march": (1, None, None),
    "drp_theme_DRIFT_DELAY": (1, None, None),
    "drp_theme_CARE_PLAN": (2, None, None),
    "drp_theme_PLACEMENT": (1, None, None),
    "drp_theme_QUALITY_OF_ASSESSMENT": (1, None, None),
    "meetings_held": (7, None, None),
    "meetings_rearranged_pct": (42.9, 3, 7),
    "pre_meeting_visit_pct": (57.1, 4, 7),
    "advocacy_pct": (42.9, 3, 7),
    # Resolved in the year: D1, D2, D4 and D5 (raised in 2022, resolved 20 Apr 2022) = 4;
    # D3 and D6 are open. Outcome PLAN_CHANGED: D1, D4 and D5 (D2 RESOLVED_NO_CHANGE) -> 3 / 4.
    "drp_outcome_plan_changed_pct": (75.0, 3, 4),
    "iro_fte_at_31_march": (2.1, None, None),
    # 6 looked after / 2.1 = 2.857... -> 2.9; K1, K3 on a plan / 2.1 = 0.952... -> 1.0.
    "cla_caseload_per_iro_fte": (2.9, 6, 2.1),
    "cp_caseload_per_iro_fte": (1.0, 2, 2.1),
    "iro_caseload_per_fte": (3.8, 8, 2.1),
    # Agency in post at 31 March: I2 (0.6, last day 31 March).
    "iro_agency_fte": (0.6, None, None),
    # In post on 1 April 2022: I1, I2, I3 (I4 joined 1 Nov 2022). Left in the year: I3
    # (31 Oct 2022) and I2 (last day 31 March 2023, not in post on 1 April) -> 2 / 3.
    "iro_leavers_pct": (66.7, 2, 3),
    # Handbook bands (kpis-panel-2.md): in post at 31 March I1 (1.0), I2 (0.6), I4 (0.5).
    # Latest meeting held by 31 March of the six looked after: C1 M2 (I1), C5 M8 (I1), C2
    # M4 (I3, not in post), C4, C10 (M7 not held) and C11 none. I1 2 / 1.0 = 2.0, I2 and I4
    # 0: all under 50 -> none above 70, none within 50 to 70.
    "iros_above_handbook_caseload": (0, None, None),
    "iros_within_handbook_caseload": (0, None, None),
    # Looked-after reviews held in the year with a chair, of the six looked after: C1 M1, M2
    # (I1, I1); C2 M3 (I2), M4 (I3): changed; C5 M8 only (one review); C10's M7 not held.
    # Two or more: C1, C2 -> 1 / 2.
    "cla_iro_changed_pct": (50.0, 1, 2),
    "pep_in_place_pct": (66.7, 2, 3),
    "pep_up_to_date_pct": (33.3, 1, 3),
    "health_assessment_pct": (100.0, 2, 2),
    "dental_check_pct": (50.0, 1, 2),
    "immunisations_pct": (50.0, 1, 2),
}


@pytest.mark.parametrize(("kpi_id", "expected"), OTHER_2023.items())
def test_other_families_2023(k2023, kpi_id, expected):
    assert row(k2023, kpi_id) == expected


def test_every_2023_row_is_checked_and_in_definition_order(k2023):
    expected = {**CLA_2023, **STABILITY_2023, **REVIEWS_2023, **CP_2023, **OTHER_2023}
    assert set(k2023.index) == set(expected)
    # Themes that do not occur (CONTACT ...) have no row.
    assert "drp_theme_CONTACT" not in k2023.index
    order = list(KPI_DEFINITIONS)
    positions = [order.index(k) for k in k2023.index]
    assert positions == sorted(positions)


def test_disputes_open_at_31_march_2022(ds):
    # D5 raised 14 Feb 2022, resolved 20 Apr 2022 (the 2023 file's row wins): open at
    # 31 March 2022 and wd(14 Feb, 31 Mar 2022) = 32 > 20.
    df = compute_kpis(ds, 2022).set_index("kpi_id")
    assert row(df, "drp_open_at_31_march") == (1, None, None)
    assert row(df, "drp_open_overdue_at_31_march") == (1, None, None)


# --------------------------------------------------------------------------------------
# Inputs supplied
# --------------------------------------------------------------------------------------


def test_missing_inputs_and_absent_families_2024(ds):
    # 2024's folder has header, episodes, reviews and pep only.
    df = compute_kpis(ds, 2024)
    families = {KPI_DEFINITIONS[k].family for k in df["kpi_id"]}
    assert families == {"Children looked after", "Looked-after reviews", "Education and health"}
    assert not df["kpi_id"].str.startswith(("cp_", "drp_", "meetings_", "iro_", "health")).any()
    assert "pep_in_place_pct" in set(df["kpi_id"])
    assert missing_inputs(ds, 2024) == {
        "Child protection": ["cin_census"],
        "Disputes": ["disputes"],
        "Meetings": ["meetings"],
        "Workforce": ["workforce", "cin_census", "establishment", "meetings"],
        "Education and health": ["oc2"],
        "Oversight between reviews": ["footprints"],
        "Feedback": ["feedback"],
        "Independent visitors": ["independent_visitors"],
    }
    # The scenario has none of the optional extracts (a missing narrative is not data).
    assert missing_inputs(ds, 2023) == {
        "Workforce": ["establishment"],
        "Oversight between reviews": ["footprints"],
        "Feedback": ["feedback"],
        "Independent visitors": ["independent_visitors"],
    }
    assert set(compute_breakdowns(ds, 2024)) == {
        "cla_by_age_band",
        "cla_by_sex",
        "cla_by_ethnicity_group",
        "cla_by_legal_status",
        "cla_by_placement",
        "participation_by_code",
        "participation_by_age_band",
    }


# --------------------------------------------------------------------------------------
# Breakdowns, 2023
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def b2023(ds):
    return compute_breakdowns(ds, 2023)


def counts(frame: pd.DataFrame, category: str, column: str = "count") -> dict:
    return {k: v for k, v in zip(frame[category], frame[column], strict=True) if v}


def test_cla_breakdowns(b2023):
    # Ages at 31 March 2023: C4 0, C11 4 (born 31 Mar 2019), C2 8, C1 12, C10 15 (16 on
    # 1 April), C5 17 (born 31 Mar 2006).
    assert counts(b2023["cla_by_age_band"], "age_band") == {
        "Under 1": 1,
        "1 to 4": 1,
        "5 to 9": 1,
        "10 to 15": 2,
        "16 and over": 1,
    }
    assert list(b2023["cla_by_age_band"]["age_band"]) == [b[0] for b in C.AGE_BANDS]
    assert counts(b2023["cla_by_sex"], "sex") == {"Male": 3, "Female": 3}
    assert counts(b2023["cla_by_ethnicity_group"], "ethnicity_group") == {
        "White": 3,
        "Mixed": 1,
        "Asian": 1,
        "Black": 1,
    }
    # 1 / 6 = 16.666... -> 16.7
    eth = b2023["cla_by_ethnicity_group"].set_index("ethnicity_group")
    assert eth.loc["Mixed", "percent"] == 16.7 and eth.loc["White", "percent"] == 50.0
    assert counts(b2023["cla_by_legal_status"], "legal_status") == {
        "Care order": 5,
        "Voluntary agreement (s20)": 1,
    }
    assert counts(b2023["cla_by_placement"], "placement") == {
        "Foster placement": 4,
        "Children's home / secure unit": 1,
        "Independent / semi-independent living": 1,
    }


def test_participation_breakdowns(b2023):
    assert counts(b2023["participation_by_code"], "code") == {
        "PN0": 1,
        "PN1": 3,
        "PN2": 1,
        "PN3": 1,
        "PN4": 1,
        "PN5": 1,
        "PN6": 1,
        "PN7": 1,
    }
    # Age at the review: C4 under 1 (PN0, not eligible); C2 aged 7 and 7 (PN2 yes, PN7
    # no) -> 50.0; C1 11 and 12, C6 10 (x3) -> 5 of 5; C5 16 (x2) -> 2 of 2.
    by_age = b2023["participation_by_age_band"].set_index("age_band")
    assert by_age.loc["Under 1", ["reviews", "eligible"]].tolist() == [1, 0]
    assert pd.isna(by_age.loc["Under 1", "participated_percent"])
    assert by_age.loc["5 to 9", ["participated", "eligible", "participated_percent"]].tolist() == [
        1,
        2,
        50.0,
    ]
    assert by_age.loc["10 to 15", ["participated", "eligible"]].tolist() == [5, 5]
    assert by_age.loc["16 and over", "reviews"] == 2


def test_cp_dispute_meeting_breakdowns(b2023):
    assert counts(b2023["cp_by_category"], "category") == {"NEG": 1, "EMO": 1}
    assert counts(b2023["drp_by_theme"], "theme") == {
        "DRIFT_DELAY": 1,
        "CARE_PLAN": 2,
        "PLACEMENT": 1,
        "QUALITY_OF_ASSESSMENT": 1,
    }
    assert counts(b2023["drp_by_stage"], "stage") == {"1": 2, "2": 1, "3": 1, "4": 1}
    m = b2023["meetings_by_type"].set_index("meeting_type")
    assert m.loc[
        "CLA_REVIEW", ["held", "rearranged", "pre_meeting_visit", "advocacy"]
    ].tolist() == [
        5,
        2,
        4,
        2,
    ]
    assert m.loc["RCPC", ["held", "rearranged", "advocacy"]].tolist() == [1, 1, 1]
    assert m.loc["CLA_REVIEW", "pre_meeting_visit_percent"] == 80.0
    assert counts(b2023["rearranged_by_reason"], "reason") == {
        "FAMILY_REQUEST": 1,
        "PAPERS_NOT_READY": 1,
        "IRO_UNAVAILABLE": 1,
    }


def test_caseload_by_iro_with_an_iro_leaving_mid_year(b2023):
    # Latest meeting held by 31 March of each child in the caseload: C1 M2 (I1), C5 M8
    # (I1), C2 M4 (I3), K1 M6 (I2); C4, C10 (M7 not held), C11, K3 have none.
    c = b2023["caseload_by_iro"].set_index("iro_id")
    assert list(c.index) == ["I1", "I2", "I3", "I4"]
    assert c["children_at_31_march"].tolist() == [2, 1, 1, 0]
    assert c["children_in_year"].tolist() == [2, 2, 1, 0]
    # I3 left on 31 Oct 2022: no fte at 31 March.
    assert pd.isna(c.loc["I3", "fte_at_31_march"]) and c.loc["I2", "fte_at_31_march"] == 0.6
    # 1 / 0.6 = 1.666... -> 1.7
    assert c.loc["I2", "children_per_fte"] == 1.7


def test_breakdowns_hold_no_child_identifiers(ds, b2023):
    ids = set(ds["header"]["CHILD"]) | set(ds["cin_children"]["LAchildID"])
    for name, frame in b2023.items():
        assert not {"CHILD", "child_id", "LAchildID"} & set(frame.columns), name
        values = set(frame.astype("str").to_numpy().ravel())
        assert not ids & values, name


# --------------------------------------------------------------------------------------
# Definitions, rounding and output
# --------------------------------------------------------------------------------------


def _spec_ids() -> set[str]:
    specs = (SPEC, PANEL_SPEC, PANEL_2_SPEC)
    text = "\n".join(p.read_text(encoding="utf-8") for p in specs)
    ids = set(re.findall(r"^\| ([a-z0-9_<>A-Z ,….]+?) \|", text, flags=re.M)) - {"id"}
    out: set[str] = set()
    for entry in ids:
        if entry.startswith("cla_participation_pn0"):
            out |= {f"cla_participation_pn{i}" for i in range(8)}
        elif entry.startswith("cp_category_neg"):
            out |= {f"cp_category_{c.lower()}" for c in C.CP_CATEGORIES}
        elif entry == "drp_theme_<THEME>":
            out |= {f"drp_theme_{t}" for t in C.DISPUTE_THEMES}
        else:
            out.add(entry)
    return out


@pytest.mark.skipif(
    not (SPEC.is_file() and PANEL_SPEC.is_file() and PANEL_2_SPEC.is_file()),
    reason="shared spec not mounted",
)
def test_every_spec_kpi_is_defined():
    """The shared specs (beside the clone, when mounted) and the registry agree; docs/kpis.md,
    in every clone, is checked against the registry in tests/test_kpi_registry.py. The
    panel spec's "also by respondent" are the per-respondent counts."""
    by_respondent = {f"feedback_responses_{r.lower()}" for r in voice.RESPONDENTS}
    assert _spec_ids() | by_respondent | BEYOND_SPEC == set(KPI_DEFINITIONS)
    assert not BEYOND_SPEC & _spec_ids()  # once the spec defines one, drop it from here


# Measures the specs do not define, added because issue #15 asks for England beside every
# rate DfE's national tables give (docs/assumptions.md, "Rates DfE publishes beyond the
# spec"): each is a spec count over the child_population setting, as cla_per_10000 is.
BEYOND_SPEC = frozenset({"cla_started_per_10000", "cla_ceased_per_10000"})


def test_definitions_are_the_function_docstrings():
    for kid, reg in REGISTRY.items():
        d = KPI_DEFINITIONS[kid]
        assert d.id == kid
        assert d.unit in ("count", "percent", "ratio")
        assert d.title and d.source and d.inputs
        assert set(d.inputs) <= set(T.SUPPLIED_INPUTS) | set(NON_DATA_INPUTS)
        rule, _, tail = reg.func.__doc__.partition("\n\nSource: ")
        assert d.definition == rule.format(**reg.kwargs)
        assert tail.startswith(d.source)
    assert "PN4" in KPI_DEFINITIONS["cla_participation_pn4"].definition
    assert KPI_DEFINITIONS["drp_theme_CARE_PLAN"].pattern == "drp_theme_<THEME>"
    assert "reg. 33" in KPI_DEFINITIONS["cla_reviews_on_time_pct"].source


@pytest.mark.parametrize(
    ("num", "den", "per", "expected"),
    [
        (1, 8, 100, 12.5),
        (1, 16, 100, 6.3),  # 6.25 rounds half up (banker's rounding would give 6.2)
        (1, 40, 100, 2.5),
        (7, 9, 100, 77.8),
        (3, 7, 100, 42.9),
        (8, 2.1, 1, 3.8),
        (0, 0, 100, None),
    ],
)
def test_rate_rounds_half_up(num, den, per, expected):
    assert rate(num, den, per) == expected


def test_round_half_up():
    assert round_half_up(0.25) == 0.3
    assert round_half_up(2.45) == 2.5  # the float 2.45 is read as written, not 2.4499...
    assert round_half_up(2.0) == 2.0


def test_write_kpis_csv_is_deterministic(ds, tmp_path):
    df = compute_kpis(ds, 2022)
    a = write_kpis(df, tmp_path / "a.csv").read_bytes()
    b = write_kpis(compute_kpis(ds, 2022), tmp_path / "b.csv").read_bytes()
    assert a == b
    lines = a.decode().splitlines()
    assert lines[0] == ("kpi_id,year,value,numerator,denominator,england,rating,rating_basis")
    assert lines[0].split(",") == list(KPI_CSV_COLUMNS)
    # A headline count: neutral, so no rating; counts have no England figure.
    assert "cla_at_31_march,2022,3,,,,,no basis" in lines
    # A headline percentage with no England figure and no 2021 folder: no basis.
    assert "cla_reviews_on_time_pct,2022,75.0,3,4,,,no basis" in lines
    # Not headline but with a direction, so rated (issue #26); England 22.7% in 2022, and
    # 0/0: blank value, row written, nothing to rate.
    assert "cp_repeat_plans_pct,2022,,0,0,22.7,,no value" in lines
    assert "iro_caseload_per_fte,2022,1.7,4,2.4,,," in lines  # 4 / 2.4 = 1.666...
    # England 79.2% in 2022; no ICPC in the 2022 census: no value to rate.
    assert "icpc_within_15wd_pct,2022,,0,0,79.2,,no value" in lines
    assert b"\r" not in a


def test_write_kpis_json(ds, tmp_path):
    df = compute_kpis(ds, 2022)
    data = json.loads(write_kpis(df, tmp_path / "k.json", format="json").read_text())
    first = data[0]
    assert first == {
        "kpi_id": "cla_at_31_march",
        "year": 2022,
        "value": 3,
        "numerator": None,
        "denominator": None,
        "england": None,
        "rating": None,
        "rating_basis": "no basis",
    }
    blank = next(r for r in data if r["kpi_id"] == "cp_repeat_plans_pct")
    assert blank["value"] is None and blank["numerator"] == 0
    with pytest.raises(ValueError, match="format"):
        format_kpis(df, "xml")


def test_inputs_are_not_mutated(ds):
    before = {k: v.copy() for k, v in ds.tables.items()}
    compute_kpis(ds, 2023)
    compute_breakdowns(ds, 2023)
    for k, v in ds.tables.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_empty_tables_give_zero_counts_and_blank_percentages():
    from iro_analysis.ingest.dataset import Dataset
    from iro_analysis.kpis.context import empty_table

    supplied = pd.DataFrame(
        [(2023, n, "", True, "") for n in T.SUPPLIED_INPUTS],
        columns=["year", "input", "path", "present", "sha256"],
    )
    empty = Dataset(tables={t: empty_table(t) for t in T.CLEAN_TABLES}, supplied=supplied)
    df = compute_kpis(empty, 2023).set_index("kpi_id")
    assert row(df, "cla_at_31_march") == (0, None, None)
    assert row(df, "cla_reviews_on_time_pct") == (None, 0, 0)
    assert row(df, "iro_caseload_per_fte") == (None, 0, 0)
    assert not df.index.str.startswith("drp_theme_").any()
    b = compute_breakdowns(empty, 2023)
    assert b["cla_by_sex"]["count"].sum() == 0 and b["caseload_by_iro"].empty


def test_area_functions_return_their_family(ds):
    from iro_analysis.kpis import cla, cp, reviews
    from iro_analysis.kpis.context import KpiContext

    ctx = KpiContext(ds, 2023)
    assert list(cla.kpis(ctx)["kpi_id"]) == list(CLA_2023)
    assert list(reviews.kpis(ctx)["kpi_id"]) == list(REVIEWS_2023)
    assert list(cp.kpis(ctx)["kpi_id"]) == list(CP_2023)
