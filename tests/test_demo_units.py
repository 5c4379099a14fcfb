"""Hand-checked cases for the demo generator's building blocks: working days, calendar
months, ages, the statutory schedule and fault injection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iro_analysis.contract import raw_files as R
from iro_analysis.demo import resolve_params
from iro_analysis.demo.dates import add_months, completed_years
from iro_analysis.demo.faults import OrphanIds, inject
from iro_analysis.demo.population import upns
from iro_analysis.demo.reviews import review_schedule
from iro_analysis.demo.workdays import WorkDays

D = np.datetime64


@pytest.fixture(scope="module")
def wd() -> WorkDays:
    return WorkDays(2020, 2024)


def test_working_days_follow_kpis_md(wd):
    # wd(a, a) = 0; wd(Fri, next Mon) = 1
    assert wd.count(D("2022-01-07"), D("2022-01-07")) == 0
    assert wd.count(D("2022-01-07"), D("2022-01-10")) == 1
    # one-off bank holidays: 2 and 3 June 2022 (Thu, Fri), 19 September 2022, 8 May 2023
    assert wd.count(D("2022-06-01"), D("2022-06-06")) == 1
    assert wd.count(D("2022-09-16"), D("2022-09-20")) == 1
    assert wd.count(D("2023-05-05"), D("2023-05-09")) == 1
    # Christmas 2022: 25th is a Sunday, so 26th and 27th are both bank holidays
    assert wd.count(D("2022-12-23"), D("2022-12-28")) == 1


def test_adding_working_days_is_the_inverse_of_counting(wd):
    starts = np.arange(D("2021-12-01"), D("2022-07-01"))  # weekends and holidays included
    for n in (1, 15, 20):
        assert (wd.count(starts, wd.add(starts, n)) == n).all()
    assert wd.add(D("2022-06-01"), 1) == D("2022-06-06")
    assert wd.roll_forward(D("2022-06-02")) == D("2022-06-06")


def test_calendar_months_and_ages():
    assert add_months(np.array(["2021-08-31"], dtype="datetime64[D]"), 6)[0] == D("2022-02-28")
    assert add_months(np.array(["2023-08-31"], dtype="datetime64[D]"), 6)[0] == D("2024-02-29")
    dob = np.array(["2008-02-29", "2010-06-15", "2010-06-15"], dtype="datetime64[D]")
    at = np.array(["2012-02-28", "2014-06-14", "2014-06-15"], dtype="datetime64[D]")
    assert completed_years(dob, at).tolist() == [3, 3, 4]


def test_review_schedule_is_reg33_from_the_actual_previous_review(wd):
    rng = np.random.default_rng(0)
    start = np.array(["2021-04-01"], dtype="datetime64[D]")
    end = np.array(["2023-01-01"], dtype="datetime64[D]")
    s = review_schedule(rng, wd, start, end, D("2024-03-31"), 0.0, 0, 5, 20, 3, 6)
    # held exactly on the due date: 20 working days after Thu 1 April 2021 skip Good
    # Friday, Easter Monday and the 3 May bank holiday; then 3 months, then 6-monthly;
    # none on or after the end of care (4 February 2023 is after 1 January 2023)
    assert s["held"].astype(str).tolist() == [
        "2021-05-04",
        "2021-08-04",
        "2022-02-04",
        "2022-08-04",
    ]
    # a due date on a Sunday is held on the Friday before when on time
    assert wd.add(D("2022-01-30"), 0) == D("2022-01-28")
    assert not s["late"].any()
    late = review_schedule(rng, wd, start, end, D("2024-03-31"), 1.0, 0, 5, 20, 3, 6)
    assert late["late"].all()
    assert (wd.count(late["due"].values, late["held"].values) <= 5).all()
    due2 = add_months(late["held"].values[:1], 3)[0]
    assert late["due"].values[1] == due2  # counted from the actual (late) first review


def test_upn_check_letter():
    # DfE check letter: sum of characters 2-13 x weights 2-13, mod 23 -> A..Z without I, O, S
    u = upns(np.random.default_rng(1), np.array(["2012-05-01"] * 20, dtype="datetime64[D]"))
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    for x in u:
        assert len(x) == 13 and x[1:].isdigit()
        assert (
            letters[sum(int(c) * w for c, w in zip(x[1:], range(2, 14), strict=True)) % 23] == x[0]
        )


def test_inject_numbers_lines_after_inserted_rows():
    df = pd.DataFrame(
        {
            "CHILD": [str(1000000 + i) for i in range(40)],
            "DOB": ["01/01/2010"] * 40,
            "REVIEW": ["15/06/2021"] * 40,
            "REVIEW_CODE": ["PN1"] * 40,
        }
    )
    out, manifest = inject(
        np.random.default_rng(4), "reviews", df, 0.5, OrphanIds(9_000_000), "ssda903/reviews.csv"
    )
    assert len(manifest) > 10
    inserted = sum(e["kind"] in ("exact_duplicate", "orphan_child") for e in manifest)
    assert len(out) == 40 + inserted
    lines = ["header", *(",".join(r) for r in out.itertuples(index=False))]
    for e in manifest:
        row = dict(zip(df.columns, lines[e["line"] - 1].split(","), strict=True))
        if e["kind"] == "exact_duplicate":
            assert lines[e["line"] - 1] == lines[e["line"] - 2]
        else:
            assert row[e["column"]] == e["value"]
        if e["kind"] == "impossible_date":
            assert pd.to_datetime(e["value"], dayfirst=True) < pd.Timestamp("2010-01-01")
    # the original rows keep their order
    originals = out.loc[~out["CHILD"].str.startswith("9"), "CHILD"].drop_duplicates()
    assert originals.tolist() == sorted(originals)


def test_inject_with_rate_zero_changes_nothing():
    df = pd.DataFrame({c: ["x"] for c in R.PEP.columns})
    out, manifest = inject(np.random.default_rng(0), "pep", df, 0.0, OrphanIds(9_000_000), "p")
    assert manifest == [] and out.equals(df)


def test_inject_never_makes_a_row_identical_to_another():
    # one child's PEP dates: a blanked date would otherwise duplicate another blanked one
    dates = pd.date_range("2021-04-01", periods=60, freq="7D").strftime("%d/%m/%Y")
    df = pd.DataFrame({"child_id": "1000001", "pep_date": list(dates)}, dtype=object)
    for seed in range(30):
        out, manifest = inject(
            np.random.default_rng(seed), "pep", df, 0.5, OrphanIds(9_000_000), "p"
        )
        copies = sum(e["kind"] == "exact_duplicate" for e in manifest)
        assert out.duplicated().sum() == copies
        assert sum(e["kind"] == "missing_required" for e in manifest) <= 1


def test_resolve_params_checks_options():
    assert resolve_params("small").cla_target == 400
    assert resolve_params("small", scale=84000).cla_target == 84000
    assert resolve_params(fault_rate=0).fault_rate == 0
    with pytest.raises(ValueError, match="size"):
        resolve_params("huge")
    with pytest.raises(ValueError, match="fault_rate"):
        resolve_params(fault_rate=0.7)
