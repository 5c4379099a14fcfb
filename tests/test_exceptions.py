"""Managers' exception lists (iro_analysis.analysts.exceptions) on a hand-made scenario.

The scenario is the KPI scenario (tests/fixtures/kpis/scenario.py, values worked out in
tests/test_kpis.py) plus the children of tests/fixtures/exceptions/scenario.py. Reporting
year 2023; the default as-at date is Friday 31 March 2023. Bank holidays near it: Good
Friday 7 April, Easter Monday 10 April and 1 May 2023. Every expected row is worked out in
the comments.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from iro_analysis import cli, pipeline
from iro_analysis.analysts.exceptions import (
    EXCEPTION_LISTS,
    as_at_context,
    check_as_at,
    exception_lists,
    exceptions_dir,
    iro_allocation,
    missing_inputs,
    reviews_overdue_or_due,
)
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.kpis.calendar import working_days_between
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.report.outputs import build_time
from tests.fixtures.exceptions import scenario

D = pd.Timestamp
KPI_RAW = Path(__file__).parent / "fixtures" / "kpis" / "raw"
NA = None  # a blank cell


@pytest.fixture(scope="module")
def ds():
    return scenario.dataset()


@pytest.fixture(scope="module")
def kpis(ds):
    return compute_kpis(ds, 2023).set_index("kpi_id")


def lists_at(ds, as_at=None, year=2023) -> dict[str, pd.DataFrame]:
    return exception_lists(as_at_context(ds, year, as_at))


def plain(v):
    """A cell as a plain value: NA as None, timestamps as ISO dates, numbers as int."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
        return int(v)
    return v


def rows(frame: pd.DataFrame, *columns: str, key: tuple[str, ...] = ("child_id",)) -> dict:
    """`key` value(s) -> tuple of `columns` (plain values); each key listed once."""
    out = {}
    for r in frame.itertuples(index=False):
        k = tuple(getattr(r, c) for c in key)
        k = k[0] if len(k) == 1 else k
        assert k not in out, f"{k} listed twice"
        out[k] = tuple(plain(getattr(r, c)) for c in columns)
    return out


# --------------------------------------------------------------------------------------
# Reviews overdue or due within 20 working days
# --------------------------------------------------------------------------------------

REVIEW_COLS = (
    "status",
    "next_due",
    "days_overdue",
    "working_days_overdue",
    "working_days_to_due",
    "iro_id",
)


def test_reviews_at_31_march(ds):
    got = rows(lists_at(ds)["reviews-overdue-or-due"], *REVIEW_COLS)
    assert got == {
        # No review yet; start Mon 20 Feb 2023 known: review 1 due 20 Mar (20th working
        # day); wd(20 Feb, 31 Mar) = 29 > 20: overdue 11 days, wd(20 Mar, 31 Mar) = 9.
        "C10": ("overdue", "2023-03-20", 11, 9, NA, NA),
        # Review 1 on 29 Dec 2022: review 2 due 29 Mar 2023 (3 months), not held.
        "C4": ("overdue", "2023-03-29", 2, 2, NA, NA),
        # Review 1 on Sat 31 Dec 2022: review 2 due 31 Dec + 3 months = 31 March, the
        # as-at date itself: due, not overdue (0 working days to go).
        "C15": ("due", "2023-03-31", NA, NA, 0, NA),
        # Started Mon 13 Mar 2023, no review: review 1 due on the 20th working day, Wed
        # 12 Apr (Good Friday and Easter Monday skipped): 6 working days away.
        "C11": ("due", "2023-04-12", NA, NA, 6, NA),
        # Review 3 on 3 Nov 2022: next due 3 May 2023, 23 weekdays after 31 March but
        # exactly 20 working days (7 Apr, 10 Apr and 1 May are bank holidays): due.
        # Allocated to I1 (M2, 3 Nov 2022).
        "C1": ("due", "2023-05-03", NA, NA, 20, "I1"),
    }
    # Not listed: C2 (next due 27 Jul 2023), C5 (16 May 2023, more than 20 working days
    # away), C12, C13 (July, August), C6 (care ended on 31 March), C14 (left in February).
    assert working_days_between(D("2023-03-31"), D("2023-05-16")) > 20


@pytest.mark.slow
def test_review_due_on_the_as_at_date_is_due_and_overdue_the_next_day(ds):
    # C4's review 2 is due on Wed 29 March 2023.
    on = rows(lists_at(ds, "2023-03-29")["reviews-overdue-or-due"], *REVIEW_COLS)
    assert on["C4"] == ("due", "2023-03-29", NA, NA, 0, NA)
    after = rows(lists_at(ds, "2023-03-30")["reviews-overdue-or-due"], *REVIEW_COLS)
    assert after["C4"] == ("overdue", "2023-03-29", 1, 1, NA, NA)
    # Review 1 (working days): C10's is due Mon 20 March, wd(20 Feb, 20 Mar) = 20, on time
    # if held that day; from 21 March it is overdue.
    on = rows(lists_at(ds, "2023-03-20")["reviews-overdue-or-due"], *REVIEW_COLS)
    assert on["C10"] == ("due", "2023-03-20", NA, NA, 0, NA)
    after = rows(lists_at(ds, "2023-03-21")["reviews-overdue-or-due"], *REVIEW_COLS)
    assert after["C10"] == ("overdue", "2023-03-20", 1, 1, NA, NA)


def test_due_window_is_20_working_days_with_bank_holidays(ds):
    # From Thu 30 March, C1's 3 May is 21 working days away: not listed; from 31 March, 20.
    assert "C1" not in set(lists_at(ds, "2023-03-30")["reviews-overdue-or-due"]["child_id"])
    ctx = as_at_context(ds, 2023)
    assert "C1" not in set(reviews_overdue_or_due(ctx, within=19)["child_id"])
    assert "C1" in set(reviews_overdue_or_due(ctx, within=20)["child_id"])


def test_review_rules_and_numbers(ds):
    got = rows(lists_at(ds)["reviews-overdue-or-due"], "last_review", "last_review_number", "rule")
    assert got["C10"] == (NA, NA, "review 1: within 20 working days of the period's start")
    assert got["C4"] == ("2022-12-29", 1, "review 2: within 3 months of review 1")
    assert got["C1"] == ("2022-11-03", 3, "within 6 months of the previous review")


def test_overdue_reviews_agree_with_the_kpi(ds, kpis):
    listed = lists_at(ds)["reviews-overdue-or-due"]
    assert (listed["status"] == "overdue").sum() == kpis.loc[
        "cla_reviews_overdue_at_31_march", "value"
    ]


# --------------------------------------------------------------------------------------
# Conferences
# --------------------------------------------------------------------------------------

CONF_COLS = (
    "status",
    "counted_from",
    "due_date",
    "held_date",
    "days_overdue",
    "working_days_overdue",
    "iro_id",
)


def test_conferences_at_31_march(ds):
    got = rows(
        lists_at(ds)["conferences-out-of-timescale"], *CONF_COLS, key=("child_id", "conference")
    )
    assert got == {
        # S47 Wed 1 Mar 2023, ICPC required, none held: due on the 15th working day,
        # 22 Mar; wd(22 Mar, 31 Mar) = 7.
        ("K7", "ICPC"): ("overdue, not held", "2023-03-01", "2023-03-22", NA, 9, 7, NA),
        # S47 1 Nov 2022, ICPC 30 Nov: wd = 21 > 15; due 22 Nov, 6 working days late.
        ("K3", "ICPC"): ("held late", "2022-11-01", "2022-11-22", "2022-11-30", 8, 6, NA),
        # Plan from 30 Nov 2022, open, no review conference: due 28 Feb 2023 (3 months).
        ("K3", "RCPC"): ("overdue, not held", "2022-11-30", "2023-02-28", NA, 31, 23, NA),
        # Previous 8 Apr 2022: due Sat 8 Oct 2022, held Mon 10 Oct: 2 days, 1 working day.
        ("K6", "RCPC"): ("held late", "2022-04-08", "2022-10-08", "2022-10-10", 2, 1, NA),
        # Previous 20 Sep 2022: due 20 Mar 2023, held 21 Mar; K1's IRO: I2 (M6).
        ("K1", "RCPC"): ("held late", "2022-09-20", "2023-03-20", "2023-03-21", 1, 1, "I2"),
    }
    # Not listed: K1's ICPC (wd(27 May, 21 Jun 2022) = 15 over the Jubilee bank holidays),
    # K2 (ICPCnotRequired), K8 (S47 13 Mar, wd 14 at 31 March; blank ICPCnotRequired =
    # false), K9 (ICPCnotRequired true), K1's 20 Sep 2022 and K2's reviews (on time).


def test_held_late_conferences_agree_with_the_kpis(ds, kpis):
    c = lists_at(ds)["conferences-out-of-timescale"]
    late = c.loc[c["status"].eq("held late")].groupby("conference").size()
    for conf, kid in (("ICPC", "icpc_within_15wd_pct"), ("RCPC", "rcpc_on_time_pct")):
        assert late[conf] == kpis.loc[kid, "denominator"] - kpis.loc[kid, "numerator"]


def test_awaited_icpc_becomes_overdue_after_15_working_days(ds):
    # K8's S47 started Mon 13 Mar 2023: the 15th working day is Fri 31 March, so it is
    # listed from Mon 3 April, which is outside the year; K7 (1 Mar) from 23 March.
    at_22 = lists_at(ds, "2023-03-22")["conferences-out-of-timescale"]
    at_23 = lists_at(ds, "2023-03-23")["conferences-out-of-timescale"]
    assert "K7" not in set(at_22["child_id"]) and "K7" in set(at_23["child_id"])
    assert working_days_between(D("2023-03-13"), D("2023-03-31")) == 14


# --------------------------------------------------------------------------------------
# Disputes
# --------------------------------------------------------------------------------------

DISPUTE_COLS = (
    "dispute_id",
    "raised_date",
    "due_date",
    "working_days_open",
    "days_overdue",
    "working_days_overdue",
    "iro_id",
)


def test_disputes_at_31_march(ds):
    got = rows(lists_at(ds)["disputes-open-over-20wd"], *DISPUTE_COLS)
    assert got == {
        # D6 raised 1 Dec 2022, open: 20th working day 3 Jan 2023 (26, 27 Dec and 2 Jan
        # are bank holidays); raised by I2.
        "K3": ("D6", "2022-12-01", "2023-01-03", 83, 87, 63, "I2"),
        # D8 raised 1 Feb 2023, resolved 3 April (after the date): open for 42 working
        # days. No IRO on the dispute: C13's allocated IRO, I3 (M13).
        "C13": ("D8", "2023-02-01", "2023-03-01", 42, 30, 22, "I3"),
    }
    # Not listed: D7 (C12) resolved on 31 March itself, the as-at date: closed. D3 (K1)
    # raised 3 Mar 2023: wd(3 Mar, 31 Mar) = 20, not more than 20. D4 resolved 20 Mar.


@pytest.mark.slow
def test_dispute_resolved_on_the_date_and_bank_holiday_in_the_20_working_days(ds):
    # D2 (C5) raised Thu 1 Sep 2022, resolved Mon 10 Oct 2022. The State Funeral
    # (19 Sep) is not a working day: wd(1 Sep, 30 Sep) = 20, so not yet listed on
    # 30 Sep; wd(1 Sep, 3 Oct) = 21: listed, 1 working day overdue.
    assert working_days_between(D("2022-09-01"), D("2022-09-30")) == 20
    assert "C5" not in set(lists_at(ds, "2022-09-30")["disputes-open-over-20wd"]["child_id"])
    on_3 = rows(lists_at(ds, "2022-10-03")["disputes-open-over-20wd"], *DISPUTE_COLS)
    assert on_3["C5"] == ("D2", "2022-09-01", "2022-09-30", 21, 3, 1, "I1")
    assert "C5" in set(lists_at(ds, "2022-10-07")["disputes-open-over-20wd"]["child_id"])
    # Resolved on 10 October: closed at that date.
    assert "C5" not in set(lists_at(ds, "2022-10-10")["disputes-open-over-20wd"]["child_id"])


def test_open_overdue_disputes_agree_with_the_kpi(ds, kpis):
    n = len(lists_at(ds)["disputes-open-over-20wd"])
    assert n == kpis.loc["drp_open_overdue_at_31_march", "value"]


# --------------------------------------------------------------------------------------
# PN7 at the last two reviews
# --------------------------------------------------------------------------------------

PN7_COLS = ("previous_review", "last_review", "pn7_reviews_in_a_row", "next_review_due", "iro_id")


def test_pn7_at_31_march(ds):
    got = rows(lists_at(ds)["pn7-last-two-reviews"], *PN7_COLS)
    # C12: three PN7 reviews; next due 20 Jan + 6 months; allocated to I4 (M10 on
    # 20 Jan 2023 is later than M12 with I3).
    assert got == {"C12": ("2022-07-27", "2023-01-20", 3, "2023-07-20", "I4")}
    # Not listed: C13 (PN7, PN7, then PN1), C2 (PN2 then PN7), C14 (two PN7s, but left
    # care on 1 Feb 2023).


def test_pn7_counts_reviews_up_to_the_date(ds):
    # On 3 Oct 2022 C12, C13 and C14 all have two PN7 reviews and are looked after.
    got = rows(lists_at(ds, "2022-10-03")["pn7-last-two-reviews"], "pn7_reviews_in_a_row")
    assert got == {"C12": (2,), "C13": (2,), "C14": (2,)}
    # On 1 Aug 2022 C13 has had one review only.
    assert set(lists_at(ds, "2022-08-01")["pn7-last-two-reviews"]["child_id"]) == {"C12", "C14"}


# --------------------------------------------------------------------------------------
# PEPs
# --------------------------------------------------------------------------------------

PEP_COLS = ("age_at_date", "latest_pep", "pep_due", "days_since_pep", "days_overdue", "iro_id")


def test_no_recent_pep_at_31_march(ds, kpis):
    got = rows(lists_at(ds)["no-pep-in-6-months"], *PEP_COLS)
    assert got == {
        # 15 (16 on 1 April): latest PEP 31 Mar 2022, 365 days; its 5 Apr 2023 PEP is
        # after the date. No meeting held: no IRO.
        "C10": (15, "2022-03-31", "2022-09-30", 365, 182, NA),
        # 28 Sep 2022: 184 days > 183.
        "C1": (12, "2022-09-28", "2023-03-30", 184, 1, "I1"),
    }
    # Not listed: C2 (29 Sep 2022, exactly 183 days), C5, C12, C13 (17: not of school
    # age), C4, C11, C15 (under 5), C6 (care ended 31 March).
    row = kpis.loc["pep_up_to_date_pct"]
    assert len(got) == row["denominator"] - row["numerator"]


def test_no_recent_pep_at_another_date(ds):
    got = rows(lists_at(ds, "2023-03-29")["no-pep-in-6-months"], *PEP_COLS)
    # C6 is still looked after on 29 March (aged 11) and has no PEP; C1's is 182 days old.
    assert got == {
        "C6": (11, NA, NA, NA, NA, NA),
        "C10": (15, "2022-03-31", "2022-09-30", 363, 180, NA),
    }


# --------------------------------------------------------------------------------------
# The as-at date, allocation and inputs
# --------------------------------------------------------------------------------------


def test_as_at_date_rules(ds):
    assert check_as_at(2023) == D("2023-03-31")
    assert check_as_at(2023, "2022-04-01") == D("2022-04-01")
    for bad in ("2023-04-01", "2022-03-31", "31/03/2023x", "2023-03-31 12:00"):
        with pytest.raises(InputError):
            check_as_at(2023, bad)
    ctx = as_at_context(ds, 2023, "2022-10-03")
    assert (ctx.start, ctx.end) == (D("2021-10-04"), D("2022-10-03"))
    default = as_at_context(ds, 2023)
    assert (default.start, default.end) == (D("2022-04-01"), D("2023-03-31"))


def test_iro_allocation(ds):
    alloc = dict(iro_allocation(as_at_context(ds, 2023)).itertuples(index=False))
    assert alloc["C12"] == "I4" and alloc["C1"] == "I1" and alloc["K1"] == "I2"
    assert "C10" not in alloc  # M7 was never held
    earlier = dict(iro_allocation(as_at_context(ds, 2023, "2022-12-01")).itertuples(index=False))
    assert earlier["C12"] == "I3"


def test_lists_whose_inputs_were_not_supplied_are_left_out(ds):
    # 2024's folder has header, episodes, reviews and pep only.
    ctx = as_at_context(ds, 2024)
    assert set(exception_lists(ctx)) == {
        "reviews-overdue-or-due",
        "pn7-last-two-reviews",
        "no-pep-in-6-months",
    }
    assert missing_inputs(ctx) == {
        "conferences-out-of-timescale": ["cin_census"],
        "disputes-open-over-20wd": ["disputes"],
    }


def test_every_list_has_child_id_first_and_iro_id_last(ds):
    for key, frame in lists_at(ds).items():
        assert list(frame.columns)[0] == "child_id", key
        assert list(frame.columns)[-1] == "iro_id", key
        assert len(EXCEPTION_LISTS[key].sheet) <= 31


# --------------------------------------------------------------------------------------
# Files: restricted/<YEAR>/exceptions/, never reports/
# --------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_cli_writes_workbook_and_csvs_under_restricted(tmp_path, capsys):
    restricted = tmp_path / "restricted"
    rc = cli.main(
        [
            "exceptions",
            "--year",
            "2023",
            "--raw-dir",
            str(KPI_RAW),
            "--processed-dir",
            str(tmp_path / "processed"),
            "--restricted-dir",
            str(restricted),
        ]
    )
    assert rc == 0
    out = exceptions_dir(2023, restricted)
    assert out == restricted / "2023" / "exceptions"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["exceptions-2023-03-31.xlsx"] + [f"{k}-2023-03-31.csv" for k in EXCEPTION_LISTS]
    )
    # Nothing anywhere else: no reports folder, nothing staged left behind.
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(w.startswith(("restricted/2023/exceptions/", "processed/")) for w in written)
    assert "Workbook:" in capsys.readouterr().out

    # The committed raw fixture is the KPI scenario (no extra children): the lists read
    # from it through the cleaner are those worked out in test_kpis.py.
    reviews = {
        r["child_id"]: r["status"] for r in _read_csv(out / "reviews-overdue-or-due-2023-03-31.csv")
    }
    assert reviews == {"C10": "overdue", "C4": "overdue", "C11": "due", "C1": "due"}
    disputes = _read_csv(out / "disputes-open-over-20wd-2023-03-31.csv")
    assert [(d["dispute_id"], d["raised_date"], d["working_days_overdue"]) for d in disputes] == [
        ("D6", "2022-12-01", "63")
    ]
    assert _read_csv(out / "pn7-last-two-reviews-2023-03-31.csv") == []
    pep = {
        r["child_id"]: r["latest_pep"] for r in _read_csv(out / "no-pep-in-6-months-2023-03-31.csv")
    }
    assert pep == {"C10": "2022-03-31", "C1": "2022-09-28"}

    # its bytes do not depend on when it was written: times pinned to the build time
    # (SOURCE_DATE_EPOCH, which the tests set, else 31 March), as kpis.xlsx's are
    when = build_time(2023)
    with zipfile.ZipFile(out / "exceptions-2023-03-31.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {when.timetuple()[:6]}
        core = z.read("docProps/core.xml").decode("utf-8")
    assert core.count(when.strftime("%Y-%m-%dT%H:%M:%SZ")) == 2

    wb = openpyxl.load_workbook(out / "exceptions-2023-03-31.xlsx")
    assert wb.sheetnames == ["About"] + [e.sheet for e in EXCEPTION_LISTS.values()]
    about = dict(wb["About"].iter_rows(min_row=2, values_only=True))
    assert about["As at"] == "2023-03-31" and "restricted" in about["Restricted"]
    for e in EXCEPTION_LISTS.values():
        ws = wb[e.sheet]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert ws.cell(1, 1).value == "child_id"
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(w >= len(str(c.value)) + 2 for w, c in zip(widths, ws[1], strict=True))
    ws = wb["Reviews overdue or due"]
    header = [c.value for c in ws[1]]
    due = ws.cell(2, header.index("next_due") + 1)
    assert due.number_format == "DD/MM/YYYY" and due.value.year == 2023


@pytest.mark.slow
def test_cli_as_at_names_the_files_and_refuses_a_date_outside_the_year(tmp_path, capsys):
    common = ["--year", "2023", "--raw-dir", str(KPI_RAW), "--processed-dir", str(tmp_path / "p")]
    restricted = ["--restricted-dir", str(tmp_path / "restricted")]
    assert cli.main(["exceptions", *common, *restricted, "--as-at", "2022-10-03"]) == 0
    out = tmp_path / "restricted" / "2023" / "exceptions"
    assert (out / "exceptions-2022-10-03.xlsx").is_file()
    disputes = _read_csv(out / "disputes-open-over-20wd-2022-10-03.csv")
    assert [d["dispute_id"] for d in disputes] == ["D2"]
    capsys.readouterr()
    assert cli.main(["exceptions", *common, *restricted, "--as-at", "2023-04-01"]) == 1
    assert "outside the reporting year 2022/23" in capsys.readouterr().err


def test_cli_refuses_a_restricted_folder_inside_the_reports_folder(tmp_path, capsys):
    reports = tmp_path / "reports"
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"paths:\n  reports: {reports}\n", encoding="utf-8")
    common = ["--year", "2023", "--raw-dir", str(KPI_RAW), "--processed-dir", str(tmp_path / "p")]
    for inside in (reports, reports / "2023", reports / "restricted"):
        rc = cli.main(
            ["--settings", str(settings), "exceptions", *common, "--restricted-dir", str(inside)]
        )
        assert rc == 1
        assert "inside the reports folder" in capsys.readouterr().err
    assert not reports.exists()
    # The project's own reports/ folder is refused whatever the settings say.
    rc = cli.main(
        [
            "--settings",
            str(settings),
            "exceptions",
            *common,
            "--restricted-dir",
            str(paths.REPORTS_DIR / "x"),
        ]
    )
    assert rc == 1 and "inside the reports folder" in capsys.readouterr().err
    assert not (paths.REPORTS_DIR / "x").exists()


@pytest.mark.slow
def test_no_published_report_folder_may_hold_the_lists(tmp_path):
    # Were the lists staged for reports/<YEAR>/, the publication allow-list refuses every
    # one of them, so a report build would stop rather than publish them.
    restricted = tmp_path / "restricted"
    assert (
        cli.main(
            [
                "exceptions",
                "--year",
                "2023",
                "--raw-dir",
                str(KPI_RAW),
                "--processed-dir",
                str(tmp_path / "p"),
                "--restricted-dir",
                str(restricted),
            ]
        )
        == 0
    )
    staged = tmp_path / "staged"
    shutil.copytree(exceptions_dir(2023, restricted), staged / "exceptions")
    for f in exceptions_dir(2023, restricted).iterdir():
        shutil.copy(f, staged / f.name)
    bad = pipeline.unpublishable(staged, pipeline.PUBLISHED)
    files = [p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()]
    assert set(files) <= set(bad) and "exceptions/" in bad


@pytest.mark.slow
def test_rewriting_a_date_replaces_its_files(tmp_path):
    restricted = tmp_path / "restricted"
    args = [
        "exceptions",
        "--year",
        "2023",
        "--raw-dir",
        str(KPI_RAW),
        "--processed-dir",
        str(tmp_path / "p"),
        "--restricted-dir",
        str(restricted),
    ]
    assert cli.main(args) == 0
    out = exceptions_dir(2023, restricted)
    stale = out / "disputes-open-over-20wd-2023-03-31.csv"
    stale.write_text("old\n", encoding="utf-8")
    other = out / "exceptions-2022-12-31.xlsx"
    other.write_bytes(b"an earlier date's workbook")
    assert cli.main(args) == 0
    assert stale.read_text(encoding="utf-8").startswith("child_id,")
    assert other.read_bytes() == b"an earlier date's workbook"  # other dates are kept
    assert not list(out.glob(".staging-*"))
