"""The panel's second-wave KPIs (shared/spec/kpis-panel-2.md, issue #26) on small hand-made
inputs: caseload against the IRO Handbook, IRO continuity and placement stability.

Reporting year 2023 = 1 April 2022 to 31 March 2023. Each test builds the clean tables it
needs by hand (ISO dates, typed as the cleaner types them; `tests/test_kpis_panel.dataset`)
and works out every expected value in its comments.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.kpis.workforce import caseload_bands
from tests.test_kpis_panel import YEAR, dataset, kpis, row

NEW = (
    "iros_above_handbook_caseload",
    "iros_within_handbook_caseload",
    "cla_iro_changed_pct",
    "cla_placements_3plus_pct",
    "cla_long_term_stability_pct",
)


def ep(child, decom, dec="", rne="S", ls="C2", place="U1"):
    """An episode; one that ends is followed by another (REC X1) unless it is the last."""
    return {
        "CHILD": child,
        "DECOM": decom,
        "RNE": rne,
        "LS": ls,
        "PLACE": place,
        "DEC": dec,
        "REC": "X1" if dec else "",
    }


def left(child, decom, dec, rne="S"):
    """An episode ending a period of care (REC E13)."""
    return {**ep(child, decom, dec, rne), "REC": "E13"}


def mt(mid, child, iro, held, kind="CLA_REVIEW"):
    return {
        "meeting_id": mid,
        "child_id": child,
        "meeting_type": kind,
        "iro_id": iro,
        "first_scheduled_date": held,
        "held_date": held,
    }


def wf(iro, fte, start="2020-01-01", end=""):
    return {"iro_id": iro, "fte": fte, "start_date": start, "end_date": end, "agency": "N"}


def test_registered_with_direction_section_and_england():
    d = {k: KPI_DEFINITIONS[k] for k in NEW}
    assert [d[k].direction for k in NEW] == [False, True, False, False, True]
    assert not any(x.headline for x in d.values())  # the spec names none as a headline
    assert {d[k].section for k in NEW[:2]} == {"iro_service"}
    assert d["cla_iro_changed_pct"].section == "meetings"  # reviews held, by their chair
    assert {d[k].section for k in NEW[3:]} == {"looked_after"}
    assert d["cla_placements_3plus_pct"].england == "cla_placements_3plus_pct"
    assert d["cla_long_term_stability_pct"].england == "cla_long_term_stability_pct"
    assert d["iros_above_handbook_caseload"].unit == "count"


# --------------------------------------------------------------------------------------
# IROs above / within the Handbook's caseload
# --------------------------------------------------------------------------------------


def _caseload_ds(meetings: bool = True) -> dict:
    # Children looked after at 31 March, each allocated to the IRO who chaired their latest
    # meeting held by 31 March: I1 71 children at fte 0.5 + 0.5 (two rows) = 71.0 per FTE
    # (over 70); I2 35 at 0.5 = 70.0 (50 to 70, the top of the range); I6 50 at 0.714 =
    # 70.028 -> 70.0 (rounded half up to 1 dp: 50 to 70); I3 49 at 1.0 = 49.0 (under 50);
    # I4 fte 0 (not banded); I5 left on 30 March 2023 (not in post at 31 March): its 3
    # children are banded with nobody.
    alloc = {"I1": 71, "I2": 35, "I6": 50, "I3": 49, "I5": 3}
    episodes, rows = [], []
    for iro, n in alloc.items():
        for i in range(n):
            child = f"{iro}-{i}"
            episodes.append(ep(child, "2021-06-01"))
            rows.append(mt(f"{child}-a", child, "I3", "2022-05-01"))  # earlier, another IRO
            rows.append(mt(f"{child}-b", child, iro, "2023-01-15"))
    # a meeting after 31 March (a later year's) does not move a child
    rows.append(mt("late", "I2-0", "I3", "2023-04-02"))
    tables = {
        "episodes": episodes,
        "workforce": [
            wf("I1", 0.5),
            wf("I1", 0.5, start="2022-10-01"),
            wf("I2", 0.5),
            wf("I6", 0.714),
            wf("I3", 1.0),
            wf("I4", 0.0),
            wf("I5", 1.0, end="2023-03-30"),
        ],
    }
    if meetings:
        tables["meetings"] = rows
    return tables


def test_iros_above_and_within_handbook_caseload():
    ds = dataset(_caseload_ds())
    df = kpis(ds)
    assert row(df, "iros_above_handbook_caseload") == (1.0, None, None)  # I1
    assert row(df, "iros_within_handbook_caseload") == (2.0, None, None)  # I2, I6
    # one source of truth: the published caseload bands say the same
    bands = caseload_bands(KpiContext(ds, YEAR)).set_index("band")["iros"]
    assert bands.to_dict() == {"Under 50": 1, "50 to 70": 2, "Over 70": 1}


def test_caseload_kpis_absent_without_the_meetings_log():
    # no meetings: nobody can be allocated, so the KPIs are absent, never 0
    df = kpis(dataset(_caseload_ds(meetings=False)))
    assert "iros_above_handbook_caseload" not in df.index
    assert "iros_within_handbook_caseload" not in df.index
    assert "iro_fte_at_31_march" in df.index


# --------------------------------------------------------------------------------------
# IRO continuity
# --------------------------------------------------------------------------------------


def test_cla_iro_changed_pct():
    episodes = [ep(c, "2021-06-01") for c in ("M1", "M2", "M3", "M4", "M5", "M7", "M8")]
    episodes.append(left("M6", "2021-06-01", "2023-02-01"))  # ceased before 31 March
    meetings = [
        mt("1a", "M1", "I1", "2022-05-01"),  # M1: I1, I1 -> same IRO
        mt("1b", "M1", "I1", "2022-11-01"),
        mt("2a", "M2", "I1", "2022-04-01"),  # M2: I1 on 1 April, I2 on 31 March -> changed
        mt("2b", "M2", "I2", "2023-03-31"),
        mt("3a", "M3", "I1", "2022-05-01"),  # M3: I1, I1 and a review with no iro_id
        mt("3b", "M3", "I1", "2022-11-01"),
        mt("3c", "M3", "", "2023-01-01"),
        mt("4a", "M4", "I2", "2022-03-31"),  # M4: last year's review is not in the year,
        mt("4b", "M4", "I1", "2022-09-01"),  # so one review: not in the measure
        mt("5a", "M5", "I1", "2022-05-01"),  # M5: a conference chaired by I2 is no review
        mt("5b", "M5", "I2", "2022-08-01", kind="RCPC"),
        mt("5c", "M5", "I1", "2022-11-01"),
        mt("6a", "M6", "I1", "2022-05-01"),  # M6: changed, but not looked after at 31 March
        mt("6b", "M6", "I2", "2022-11-01"),
        mt("7a", "M7", "I1", "2022-05-01"),  # M7: one review only
        {**mt("8a", "M8", "I3", ""), "held_date": ""},  # M8: a review not held (no chair)
        mt("8b", "M8", "I1", "2022-06-01"),
        mt("8c", "M8", "I1", "2022-12-01"),
    ]
    df = kpis(dataset({"episodes": episodes, "meetings": meetings}))
    # children with two or more reviews in the year: M1, M2, M3, M5, M8 = 5; changed: M2
    assert row(df, "cla_iro_changed_pct") == (20.0, 1, 5)
    # without the 903 episodes nobody is known to be looked after at 31 March: absent
    assert "cla_iro_changed_pct" not in kpis(dataset({"meetings": meetings}))


# --------------------------------------------------------------------------------------
# Placement stability
# --------------------------------------------------------------------------------------


def test_cla_placements_3plus_pct():
    episodes = [
        # A: placement from 2021 to 1 Jun; new carer (P) to 1 Sep; change of legal status
        # only (L) from 1 Sep: the same placement -> 2 placements
        ep("A", "2021-01-01", "2022-06-01"),
        ep("A", "2022-06-01", "2022-09-01", rne="P"),
        ep("A", "2022-09-01", rne="L"),
        # B: the first placement ends on 1 April (in the year); P, then T -> 3
        ep("B", "2021-01-01", "2022-04-01"),
        ep("B", "2022-04-01", "2022-12-01", rne="P"),
        ep("B", "2022-12-01", rne="T"),
        # C: the first placement ended on 31 March 2022, before the year -> 2
        ep("C", "2021-01-01", "2022-03-31"),
        ep("C", "2022-03-31", "2022-10-01", rne="P"),
        ep("C", "2022-10-01", rne="U"),
        # D: left care in July, came back in November (S), then B -> 3 across two periods
        left("D", "2022-05-01", "2022-07-01"),
        ep("D", "2022-11-01", "2023-01-01"),
        ep("D", "2023-01-01", rne="B"),
        # E: short breaks only: not looked after, not a placement
        left("E", "2022-04-05", "2022-04-06"),
        left("E", "2022-05-05", "2022-05-06"),
        ep("E", "2023-03-01", ls="V3"),
        # F: a short break (V4) then care with one move -> 2 (3 with the short break)
        left("F", "2022-04-10", "2022-04-20"),
        ep("F", "2022-06-01", "2022-08-01"),
        ep("F", "2022-08-01", rne="P"),
        # G: three placements, but care ended before 31 March: not in the measure
        ep("G", "2022-04-05", "2022-05-01"),
        ep("G", "2022-05-01", "2022-06-01", rne="P"),
        left("G", "2022-06-01", "2022-12-01", rne="P"),
        # H: the third placement starts on 31 March 2023 -> 3
        ep("H", "2022-01-01", "2022-10-01"),
        ep("H", "2022-10-01", "2023-03-31", rne="P"),
        ep("H", "2023-03-31", rne="P"),
    ]
    for i in (0, 1):  # E's first two episodes are short breaks too
        episodes[12 + i]["LS"] = "V3"
    episodes[15]["LS"] = "V4"  # F's short break
    df = kpis(dataset({"episodes": episodes}))
    # looked after at 31 March: A, B, C, D, F, H = 6; 3 or more placements: B, D, H
    assert row(df, "cla_at_31_march") == (6.0, None, None)
    assert row(df, "cla_placements_3plus_pct") == (50.0, 3, 6)


def test_cla_long_term_stability_pct():
    # 31 March 2023 - 30 months = 30 September 2020; - 2 years = 31 March 2021.
    dob = {"L1": "2010-01-01", "L2": "2010-01-01", "L3": "2007-03-31", "L3b": "2007-04-01"}
    dob |= {c: "2012-05-05" for c in ("L4", "L5", "L6", "L7", "L10", "L11")}
    episodes = [
        ep("L1", "2020-09-30"),  # in care exactly 2.5 years, one placement: stable
        ep("L2", "2020-10-01"),  # a day short of 2.5 years: not in the cohort
        ep("L3", "2015-01-01"),  # 16 on 31 March 2023: not under 16
        ep("L3b", "2015-01-01", "2021-03-31"),  # 15; placement since exactly 2 years: stable
        ep("L3b", "2021-03-31", rne="P"),
        ep("L4", "2019-01-01", "2021-01-01"),  # P in Jan 2021 then L (same placement): stable
        ep("L4", "2021-01-01", "2022-01-01", rne="P"),
        ep("L4", "2022-01-01", rne="L"),
        ep("L5", "2019-01-01", "2021-04-01"),  # placement since 1 Apr 2021: not stable
        ep("L5", "2021-04-01", rne="P"),
        # L6: placed for adoption in June 2022; with the placement before it (June 2020): stable
        ep("L6", "2019-01-01", "2020-06-01"),
        ep("L6", "2020-06-01", "2022-06-01", rne="P"),
        ep("L6", "2022-06-01", rne="U", place="A5"),
        # L7: placed for adoption; the placement before it began June 2021: not stable
        ep("L7", "2019-01-01", "2021-06-01"),
        ep("L7", "2021-06-01", "2022-06-01", rne="P"),
        ep("L7", "2022-06-01", rne="U", place="A5"),
        ep("L8", "2015-01-01"),  # no date of birth in the header: left out
        ep("L9", "2015-01-01", ls="V3"),  # short breaks: not looked after
        ep("L10", "2019-05-01", rne="P"),  # care began before the data: counts from May 2019
        left("L11", "2018-01-01", "2021-01-01"),  # left care and came back in Feb 2021:
        ep("L11", "2021-02-01"),  # not looked after continuously for 2.5 years
    ]
    header = [
        {"CHILD": c, "SEX": "1", "DOB": d, "ETHNIC": "WBRI"}
        for c, d in (dob | {"L9": "2012-05-05"}).items()
    ]
    df = kpis(dataset({"episodes": episodes, "header": header}))
    # cohort: L1, L3b, L4, L5, L6, L7, L10 = 7; stable: L1, L3b, L4, L6, L10 = 5 -> 71.4
    assert row(df, "cla_long_term_stability_pct") == (71.4, 5, 7)
    assert "cla_long_term_stability_pct" not in kpis(dataset({"episodes": episodes}))


def test_england_figures_for_the_stability_measures():
    from iro_analysis.kpis.registry import england_value

    # la_cla_placement_stability.csv, national rows of the 2025 edition
    assert england_value("cla_placements_3plus_pct", 2022) == 10  # 8,210 of 82,090
    assert england_value("cla_long_term_stability_pct", 2022) == 71  # 20,830 of 29,510
    assert england_value("cla_placements_3plus_pct", 2018) is None  # not found: left out
    assert england_value("iros_above_handbook_caseload", 2022) is None


def test_new_kpis_are_pure():
    ds = dataset(_caseload_ds())
    before = {k: v.copy() for k, v in ds.tables.items()}
    kpis(ds)
    for k, v in ds.tables.items():
        pd.testing.assert_frame_equal(v, before[k])
