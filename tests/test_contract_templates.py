"""`iro-analysis templates --out DIR` (issue #30): a header-only CSV per IRO extract, its
columns those of `contract.raw_files`, and a README of each column's meaning and codes;
the data dictionary prints the same column tables (`contract.iro_columns`)."""

from __future__ import annotations

import csv

import pytest

from iro_analysis import cli
from iro_analysis.contract import raw_files as R
from iro_analysis.contract.dictionary import DICTIONARY
from iro_analysis.contract.iro_columns import COLUMNS, IRO_EXTRACTS, columns_markdown
from iro_analysis.contract.templates import write_templates
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.clean import read_year
from iro_analysis.ingest.rules import IRO_CODE_LISTS


def test_every_iro_extract_and_only_they_have_a_template():
    assert set(IRO_EXTRACTS) == {n for n, r in R.RAW_CSVS.items() if r.source == "iro"}
    assert len(IRO_EXTRACTS) == 9  # meeting_details: with the SSD's meetings
    for table in IRO_EXTRACTS:  # the words follow the contract's columns, in order
        assert tuple(c for c, _, _ in COLUMNS[table]) == R.RAW_CSVS[table].columns, table


def test_the_data_dictionary_prints_each_extract_as_the_contract_words_it():
    text = DICTIONARY.read_text(encoding="utf-8")
    for table in IRO_EXTRACTS:
        assert "\n".join(columns_markdown(table)) in text, table


def test_the_command_writes_a_header_only_csv_per_extract_and_a_readme(tmp_path, capsys):
    out = tmp_path / "templates"
    assert cli.main(["templates", "--out", str(out)]) == 0
    assert "wrote 9 header-only IRO extract templates" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "iro").iterdir()) == sorted(
        f"{t}.csv" for t in IRO_EXTRACTS
    )
    for table in IRO_EXTRACTS:
        raw = (out / R.RAW_CSVS[table].relpath).read_bytes()
        assert raw.endswith(b"\n") and raw.count(b"\n") == 1, table  # the header only
        rows = list(csv.reader(raw.decode("utf-8").splitlines()))
        assert rows == [list(R.RAW_CSVS[table].columns)], table
    readme = (out / "README.md").read_text(encoding="utf-8")
    for table in IRO_EXTRACTS:
        assert f"## `iro/{table}.csv`" in readme
        for column in R.RAW_CSVS[table].columns:
            assert f"| `{column}` |" in readme, (table, column)
    for table, columns in IRO_CODE_LISTS.items():
        for column, codes in columns.items():
            if column == "cohort":  # listed in the column's values
                assert "`CLA`, `CP`" in readme
                continue
            for code in codes:
                assert f"| `{code}` |" in readme, (table, column, code)
    assert "code_map:" in readme and "(optional)" in readme


def test_the_templates_read_as_the_extracts_with_no_rows(tmp_path):
    write_templates(tmp_path / "t")
    raw = tmp_path / "raw"
    (raw / "2022").mkdir(parents=True)
    (tmp_path / "t" / "iro").rename(raw / "2022" / "iro")
    # meeting_details.csv is for meetings from the SSD (docs/ssd.md): read only with ssd/
    details = raw / "2022" / "iro" / "meeting_details.csv"
    with pytest.raises(InputError, match="meeting details are read with the SSD"):
        read_year(raw, 2022)
    details.unlink()
    _, parts, warns = read_year(raw, 2022)
    assert sorted(p.table for p in parts) == sorted(set(IRO_EXTRACTS) - {"meeting_details"})
    assert all(p.rows_read == 0 for p in parts) and warns == []


def test_nothing_is_overwritten(tmp_path, capsys):
    out = tmp_path / "year"
    (out / "iro").mkdir(parents=True)
    (out / "iro" / "meetings.csv").write_text("real extract\n", encoding="utf-8")
    assert cli.main(["templates", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{out / 'iro' / 'meetings.csv'} already exists" in err
    assert (out / "iro" / "meetings.csv").read_text(encoding="utf-8") == "real extract\n"
    assert sorted(p.name for p in out.rglob("*")) == ["iro", "meetings.csv"]


def test_make_templates_is_a_listed_target():
    makefile = (paths.PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ntemplates: $(STAMP) ## " in makefile
    assert "iro-analysis templates --out" in makefile


@pytest.mark.parametrize("value", ["=1+1", "meeting_id"])
def test_a_header_cell_is_spreadsheet_safe(value, monkeypatch):
    import dataclasses

    from iro_analysis.contract import templates

    monkeypatch.setitem(R.RAW_CSVS, "pep", dataclasses.replace(R.RAW_CSVS["pep"], columns=(value,)))
    line = templates.header_csv("pep")
    assert line == ("'=1+1\n" if value.startswith("=") else "meeting_id\n")
