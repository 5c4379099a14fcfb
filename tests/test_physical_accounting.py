"""Physical accounting: every non-blank line of every CSV is kept, a duplicate or
quarantined, and a stray quote can never hide the lines after it (issue: one `"` at the
start of a line in disputes.csv swallowed 217 of 267 rows into one record)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iro_analysis.contract import schema as S
from iro_analysis.ingest.clean import build_dataset

KPI_RAW = Path(__file__).parent / "fixtures" / "kpis" / "raw"


def nonblank_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip())


@pytest.mark.parametrize("table", list(S.RAW_CSVS))
def test_a_stray_quote_costs_one_line_in_every_csv(tmp_path, table):
    raw = tmp_path / "raw"
    shutil.copytree(KPI_RAW, raw)
    rel = S.RAW_CSVS[table].relpath
    path = raw / "2023" / rel
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 3, "the fixture needs two data rows"
    lines[1] = '"' + lines[1]  # a stray quote at the start of the first data line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = build_dataset(raw)
    acc = ds.accounting.set_index(["year", "file"]).loc[(2023, rel)]
    assert acc["rows_read"] == nonblank_lines(path)
    assert acc["rows_quarantined"] == 1
    assert acc["rows_kept"] + acc["duplicates_removed"] == acc["rows_read"] - 1
    q = ds.quarantine[(ds.quarantine["year"] == 2023) & (ds.quarantine["file"] == rel)]
    assert q[["line", "rule"]].values.tolist() == [[2, "malformed_record"]]


def test_a_stray_quote_in_a_large_file_is_one_malformed_line(tmp_path):
    """No 'field larger than field limit': the quote would swallow megabytes otherwise."""
    raw = tmp_path / "raw"
    (raw / "2023" / "iro").mkdir(parents=True)
    (raw / "2023" / "ssda903").mkdir()
    (raw / "2023" / "ssda903" / "header.csv").write_text(
        ",".join(S.HEADER.columns) + "\nC1,1,01/01/2010,WBRI,,,\n"
    )
    (raw / "2023" / "iro" / "pep.csv").write_text(
        "child_id,pep_date\n" + '"C1,01/05/2022\n' + "C1,01/06/2022\n" * 200_000
    )
    ds = build_dataset(raw)
    acc = ds.accounting.set_index("file").loc["iro/pep.csv"]
    assert acc.tolist() == [2023, 200_001, 1, 199_999, 1]
