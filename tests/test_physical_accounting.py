"""Physical accounting: every non-blank line of every CSV is kept, a duplicate or
quarantined, and a stray quote can never hide the lines after it (issue: one `"` at the
start of a line in disputes.csv swallowed 217 of 267 rows into one record)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iro_analysis.contract import raw_files as R
from iro_analysis.ingest.clean import build_dataset

KPI_RAW = Path(__file__).parent / "fixtures" / "kpis" / "raw"


def nonblank_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip())


# The optional IRO extracts, which the KPI scenario does not supply: three clean rows each
# (children of the scenario's header; no quote, so a stray quote is the only one).
OPTIONAL_ROWS = {
    "footprints": [
        "F1,C1,I1,01/06/2022,MIDWAY_CHECK",
        "F2,C2,I1,02/06/2022,CHALLENGE",
        "F3,C1,I2,03/06/2022,OTHER",
    ],
    "feedback": [
        "R1,,CHILD,01/06/2022,5,,N",
        "R2,,PARENT,02/06/2022,4,,N",
        "R3,,CARER,03/06/2022,,,N",
    ],
    "establishment": ["30/09/2022,10.0", "31/03/2023,10.5", "30/06/2022,10.0"],
    "independent_visitors": ["C1,01/05/2022,", "C2,01/06/2022,01/12/2022", "C1,01/01/2023,"],
}


@pytest.mark.slow
# meeting_details.csv is read with the SSD's meetings only: tests/test_ssd.py has its case
@pytest.mark.parametrize("table", [t for t in R.RAW_CSVS if t != "meeting_details"])
def test_a_stray_quote_costs_one_line_in_every_csv(tmp_path, table):
    raw = tmp_path / "raw"
    shutil.copytree(KPI_RAW, raw)
    rel = R.RAW_CSVS[table].relpath
    path = raw / "2023" / rel
    if table in OPTIONAL_ROWS:
        head = ",".join(R.RAW_CSVS[table].columns)
        path.write_text("\n".join([head, *OPTIONAL_ROWS[table]]) + "\n", encoding="utf-8")
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


@pytest.mark.slow
def test_a_stray_quote_in_a_large_file_is_one_malformed_line(tmp_path):
    """No 'field larger than field limit': the quote would swallow megabytes otherwise."""
    raw = tmp_path / "raw"
    (raw / "2023" / "iro").mkdir(parents=True)
    (raw / "2023" / "ssda903").mkdir()
    (raw / "2023" / "ssda903" / "header.csv").write_text(
        ",".join(R.HEADER.columns) + "\nC1,1,01/01/2010,WBRI,,,\n"
    )
    (raw / "2023" / "iro" / "pep.csv").write_text(
        "child_id,pep_date\n" + '"C1,01/05/2022\n' + "C1,01/06/2022\n" * 200_000
    )
    ds = build_dataset(raw)
    acc = ds.accounting.set_index("file").loc["iro/pep.csv"]
    assert acc.tolist() == [2023, 200_001, 1, 199_999, 1]
