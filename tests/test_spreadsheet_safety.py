"""Outputs safe in a spreadsheet (issue #29): no value from the data becomes a formula.

The rule is `iro_analysis.core.cells` (OWASP "CSV Injection"): a text cell beginning with
=, +, -, @, a tab or a carriage return, unless it is a plain number, is written to a CSV
with a leading `'` and kept a text cell (never a formula) in a workbook.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from iro_analysis.core.cells import (
    DANGEROUS_PREFIXES,
    csv_safe,
    csv_safe_column,
    csv_safe_value,
    dangerous,
    is_dangerous,
    keep_text,
)

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
