"""Outputs safe in a spreadsheet (issue #29): no value from the data becomes a formula.

The rule is `iro_analysis.core.cells` (OWASP "CSV Injection"): a text cell beginning with
=, +, -, @, a tab or a carriage return, unless it is a plain number, is written to a CSV
with a leading `'` and kept a text cell (never a formula) in a workbook.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from iro_analysis.analysts.exceptions import (
    as_at_context,
    exception_lists,
    write_exception_lists,
)
from iro_analysis.core.cells import (
    DANGEROUS_PREFIXES,
    csv_safe,
    csv_safe_column,
    csv_safe_value,
    dangerous,
    is_dangerous,
    keep_text,
)
from iro_analysis.kpis.definitions import KPI_CSV_COLUMNS
from iro_analysis.kpis.engine import format_kpis
from iro_analysis.region.run import region_csv
from iro_analysis.report.outputs import write_kpis_xlsx
from tests.fixtures.exceptions import scenario

HYPERLINK = '=HYPERLINK("http://x","click")'
HOSTILE = [HYPERLINK, "=1+1", "+1+2", "@SUM(1,2)", "-2+3", "\t=3+3", "\r=4+4"]
NUMBERS = ["-5", "+3.2", "7", "-0.5", "-.5", "12.", "+0"]
HARMLESS = ["C1", "ok", " =1", "'=1", "a=b", "", "2023-03-31"]


def _sheet_cells(ws):
    return [cell for row in ws.iter_rows() for cell in row if cell.value is not None]


def _spreadsheet_safe_csv_cell(cell: str) -> bool:
    """Not read as a formula: it begins with none of =, +, @, tab, CR, and a leading -
    only in a plain number."""
    if cell.startswith(("=", "+", "@", "\t", "\r")):
        return cell.lstrip("+").replace(".", "", 1).isdigit()
    if cell.startswith("-"):
        return cell[1:].replace(".", "", 1).isdigit()
    return True


# --------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES)
def test_each_dangerous_prefix_is_escaped(prefix):
    value = prefix + "1+1"
    assert is_dangerous(value)
    assert csv_safe_value(value) == "'" + value
    s = pd.Series(["x", value, None])
    assert dangerous(s).tolist() == [False, True, False]
    assert csv_safe_column(s).tolist()[:2] == ["x", "'" + value]


def test_the_prefixes_are_owasps():
    assert set(DANGEROUS_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("value", HOSTILE)
def test_the_drills_values_are_escaped(value):
    assert is_dangerous(value) and csv_safe_value(value) == "'" + value


@pytest.mark.parametrize("value", NUMBERS)
def test_a_plain_number_is_left_alone(value):
    assert not is_dangerous(value)
    assert csv_safe_value(value) == value


@pytest.mark.parametrize("value", ["-2+3", "-1e5", "- 5", "-", "--5", "+", "-5-", "+3.2.1"])
def test_not_a_plain_number_is_escaped(value):
    assert is_dangerous(value)
    assert csv_safe_value(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_text_is_left_alone(value):
    assert not is_dangerous(value) and csv_safe_value(value) == value


@pytest.mark.parametrize(
    "value", [None, np.nan, pd.NA, pd.NaT, -5, -2.5, pd.Timestamp("2023-03-31")]
)
def test_a_cell_that_is_not_text_is_left_alone(value):
    assert not is_dangerous(value)
    assert csv_safe_value(value) is value


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_id": ["=1+1", "C1", "-5", None, "-2+3"],
            "iro_id": pd.array(["@SUM(1,2)", pd.NA, "I1", "+3.2", "\tx"], dtype="string"),
            "theme": pd.Categorical(["=bad", "OK", "OK", "=bad", "OK"]),
            "mixed": pd.Series([-1, "=1", np.nan, 2.5, "-3"], dtype=object),
            "days": [-3, -2, -1, 0, 1],
            "rate": [-0.5, np.nan, 1.0, 2.0, 3.0],
            "when": pd.to_datetime(["2023-03-31", None, "2022-01-01", "2021-01-01", None]),
            "blank": [np.nan] * 5,
        }
    )


def test_csv_safe_escapes_text_cells_only_and_never_changes_its_input():
    df = _frame()
    before = df.copy(deep=True)
    out = csv_safe(df)
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    assert out is not df
    assert out["child_id"].tolist()[:3] == ["'=1+1", "C1", "-5"]
    assert pd.isna(out["child_id"][3]) and out["child_id"][4] == "'-2+3"
    assert out["iro_id"].tolist()[0] == "'@SUM(1,2)" and out["iro_id"][4] == "'\tx"
    assert out["iro_id"][2:4].tolist() == ["I1", "+3.2"] and pd.isna(out["iro_id"][1])
    assert out["theme"].tolist() == ["'=bad", "OK", "OK", "'=bad", "OK"]
    assert out["mixed"][0] == -1 and out["mixed"][1] == "'=1" and pd.isna(out["mixed"][2])
    assert out["mixed"][3] == 2.5 and out["mixed"][4] == "-3"
    for col in ("days", "rate", "when", "blank"):  # numbers, dates and NaN unchanged
        pd.testing.assert_series_equal(out[col], df[col])
    assert [type(d) for d in out.dtypes] == [type(d) for d in df.dtypes]  # dtypes kept
    assert out.drop(columns="theme").dtypes.equals(df.drop(columns="theme").dtypes)
    assert dangerous(df["child_id"]).tolist() == [True, False, False, False, True]
    assert dangerous(df["days"]).tolist() == [False] * 5


def test_csv_safe_of_a_safe_frame_is_an_equal_frame():
    df = pd.DataFrame({"a": ["C1", "-5", None], "b": [1, -2, 3]})
    pd.testing.assert_frame_equal(csv_safe(df), df)
    pd.testing.assert_frame_equal(csv_safe(df.iloc[:0]), df.iloc[:0])


def test_a_csv_reads_back_with_the_quote_and_no_formula():
    text = csv_safe(_frame()).to_csv(index=False, lineterminator="\n")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for r in rows for c in r]
    assert "'=1+1" in cells and "'-2+3" in cells and "-5" in cells
    assert all(_spreadsheet_safe_csv_cell(c) for c in cells)


def _write_xlsx(path: Path, df: pd.DataFrame) -> int:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        df.to_excel(xl, sheet_name="S", index=False)
        return keep_text(xl.sheets["S"])


def test_keep_text_stores_dangerous_text_as_text_cells(tmp_path):
    values = [*HOSTILE, *NUMBERS, "C1"]
    df = pd.DataFrame({"id": values, "n": range(-3, len(values) - 3)})
    assert _write_xlsx(tmp_path / "x.xlsx", df) == len(HOSTILE)
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["S"]
    assert all(cell.data_type != "f" for cell in _sheet_cells(ws))
    got = [c.value for c in ws["A"][1:]]
    # the value reads exactly as the data (openpyxl writes a carriage return as a newline)
    assert got == [v.replace("\r", "\n") for v in values]
    for cell, value in zip(ws["A"][1:], values, strict=True):
        assert cell.data_type == "s"
        assert cell.quotePrefix == is_dangerous(value)  # Excel keeps it text when edited
    assert [c.value for c in ws["B"][1:]] == list(range(-3, len(values) - 3))  # numbers


def test_without_keep_text_openpyxl_writes_a_formula(tmp_path):
    # Why keep_text exists: pandas through openpyxl turns text beginning with = into one.
    df = pd.DataFrame({"id": ["=1+1"]})
    df.to_excel(tmp_path / "raw.xlsx", index=False)
    assert openpyxl.load_workbook(tmp_path / "raw.xlsx").active["A2"].data_type == "f"


# --------------------------------------------------------------------------------------
# The managers' exception lists, end to end, with hostile ids in the input data
# --------------------------------------------------------------------------------------

CHILD_IDS = {
    "C1": HYPERLINK,
    "C4": "=1+1",
    "C10": "+1+2",
    "C12": "-2+3",
    "K3": "@SUM(1,2)",
    "K7": "\t=3+3",
    "C11": "-5",  # a plain number: left as it is
    "C13": "+3.2",
}
IRO_IDS = {"I1": "=1+1", "I2": "@SUM(1,2)", "I3": "-2+3", "I4": HYPERLINK}
DISPUTE_IDS = {"D6": "=2+2"}
ID_COLUMNS = {
    "CHILD": CHILD_IDS,
    "LAchildID": CHILD_IDS,
    "child_id": CHILD_IDS,
    "iro_id": IRO_IDS,
    "dispute_id": DISPUTE_IDS,
}


def hostile_dataset():
    """The exception lists' scenario with child, IRO and dispute ids renamed to hostile
    text in every table (the same renaming everywhere, so the lists keep their rows)."""
    ds = scenario.dataset()
    for frame in ds.tables.values():
        for col, mapping in ID_COLUMNS.items():
            if col in frame.columns:
                frame[col] = frame[col].replace(mapping)
    return ds


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ds = hostile_dataset()
    ctx = as_at_context(ds, 2023, None)
    lists = exception_lists(ctx)
    out = tmp_path_factory.mktemp("exceptions")
    files = write_exception_lists(ctx, lists, out)
    return lists, files


def test_the_hostile_ids_reach_the_lists(written):
    lists, _ = written
    shown = {v for df in lists.values() for c in ("child_id", "iro_id") for v in df[c].dropna()}
    dangerous_ids = {v for v in [*CHILD_IDS.values(), *IRO_IDS.values()] if is_dangerous(v)}
    assert dangerous_ids <= shown  # each hostile id is in at least one list
    assert {"-5", "+3.2"} <= shown


def test_no_workbook_cell_is_a_formula_and_the_ids_read_as_the_data(written):
    _, files = written
    workbooks = [p for p in files.values() if p.suffix == ".xlsx"]
    assert workbooks
    seen = set()
    for path in workbooks:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for cell in _sheet_cells(ws):
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.add(cell.value)
                    assert cell.quotePrefix == is_dangerous(cell.value), cell.coordinate
    hostile = {*CHILD_IDS.values(), *IRO_IDS.values(), *DISPUTE_IDS.values()}
    assert hostile <= seen  # the text survives exactly, as text


def test_no_csv_cell_could_be_read_as_a_formula(written):
    _, files = written
    csvs = [p for p in files.values() if p.suffix == ".csv"]
    assert len(csvs) >= 4
    cells = []
    for path in csvs:
        with path.open(encoding="utf-8", newline="") as fh:
            cells += [c for row in csv.reader(fh) for c in row]
    bad = [c for c in cells if not _spreadsheet_safe_csv_cell(c)]
    assert bad == []
    for value in [*CHILD_IDS.values(), *IRO_IDS.values(), *DISPUTE_IDS.values()]:
        assert ("'" + value if is_dangerous(value) else value) in cells, value


# --------------------------------------------------------------------------------------
# The KPI files (kpis.csv, kpis.xlsx, region_kpis.csv)
# --------------------------------------------------------------------------------------


def _kpis() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi_id": ["cla_at_31_march", "cla_reviews_on_time_pct"],
            "year": [2022, 2022],
            "value": [42.0, -2.5],
            "numerator": [np.nan, 3.0],
            "denominator": [np.nan, 4.0],
            "england": [np.nan, 79.7],
            "rating": pd.array(["=1+1", pd.NA], dtype="string"),
            "rating_basis": pd.array([HYPERLINK, "-2+3"], dtype="string"),
        }
    )[list(KPI_CSV_COLUMNS)]


def test_kpis_csv_escapes_text_cells():
    df = _kpis()
    before = df.copy(deep=True)
    text = format_kpis(df, "csv")
    pd.testing.assert_frame_equal(df, before)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][-2:] == ["'=1+1", "'" + HYPERLINK]
    assert rows[2][2] == "-2.5" and rows[2][-1] == "'-2+3"
    assert all(_spreadsheet_safe_csv_cell(c) for r in rows for c in r)
    assert '"rating": "=1+1"' in format_kpis(df, "json")  # JSON is not a spreadsheet


def test_region_kpis_csv_escapes_text_cells():
    table = _kpis()[["kpi_id", "year", "value", "numerator", "denominator"]]
    table.insert(0, "la_code", ["=1+1", "region"])
    table["suppressed"] = [False, False]
    rows = list(csv.reader(io.StringIO(region_csv(table))))
    assert rows[1][0] == "'=1+1" and rows[2][0] == "region"
    assert all(_spreadsheet_safe_csv_cell(c) for r in rows for c in r)


def test_kpis_xlsx_keeps_text_cells_text(tmp_path):
    kpis = _kpis()
    ctx = SimpleNamespace(
        kpis=kpis,
        history=kpis,
        year=SimpleNamespace(year=2022, slug="2021-22"),
        title=lambda k: "=SUM(1,2)" if k == "cla_at_31_march" else "Reviews on time",
    )
    write_kpis_xlsx(ctx, tmp_path / "kpis.xlsx", exact=True)
    wb = openpyxl.load_workbook(tmp_path / "kpis.xlsx")
    values = set()
    for ws in wb.worksheets:
        for cell in _sheet_cells(ws):
            assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
            values.add(cell.value)
    assert {"=SUM(1,2)", "=1+1", HYPERLINK, "-2+3", -2.5} <= values
