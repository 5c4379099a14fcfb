"""Real councils' returns: files found by their columns, tolerant columns, the census year.

The KPI scenario's raw folder (tests/fixtures/kpis/raw, hand-checked in test_kpis.py) is
copied and reshaped as councils' systems write it: other file names, extra columns, absent
optional columns, files the project does not read. The same children must give the same
KPIs whatever the shape.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iro_analysis.cli import main
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.ingest.discover import discover_year, match_csv
from iro_analysis.kpis.engine import compute_kpis

FIXTURES = Path(__file__).parent / "fixtures"
ONLY_903 = FIXTURES / "returns" / "settings-903-only.yaml"  # no CIN census there
KPI_RAW = FIXTURES / "kpis" / "raw"
YEARS = (2022, 2023, 2024)


@pytest.fixture(scope="module")
def reference() -> dict[int, pd.DataFrame]:
    ds = build_dataset(KPI_RAW)
    return {y: compute_kpis(ds, y) for y in YEARS}


def copy_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(KPI_RAW, raw)
    return raw


def edit_columns(path: Path, add: dict[str, str] | None = None, drop: tuple[str, ...] = ()):
    """Rewrite a simple (unquoted) CSV with columns added (name -> value) or dropped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    keep = [i for i, c in enumerate(head) if c not in drop]
    add = add or {}
    out = []
    for n, line in enumerate(lines):
        cells = line.split(",")
        row = [cells[i] for i in keep]
        row += list(add) if n == 0 else list(add.values())
        out.append(",".join(row))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def assert_same_kpis(raw: Path, reference: dict[int, pd.DataFrame]):
    ds = build_dataset(raw)
    assert ds.quarantine.empty
    for y in YEARS:
        pd.testing.assert_frame_equal(compute_kpis(ds, y), reference[y])
    return ds


@pytest.mark.slow
def test_tables_named_anyhow_are_read_by_their_columns(tmp_path, reference):
    raw = copy_raw(tmp_path)
    names = {
        "header.csv": "{y}-header.csv",
        "episodes.csv": "SSDA903_{y}_episodes.csv",
        "reviews.csv": "Reviews.csv",
        "oc2.csv": "OC2 extract.CSV",
    }
    for y in YEARS:
        for old, new in names.items():
            p = raw / str(y) / "ssda903" / old
            if p.exists():
                p.rename(p.with_name(new.format(y=y)))
    (raw / "2022" / "iro" / "meetings.csv").rename(raw / "2022" / "iro" / "IRO Meetings.csv")
    ds = assert_same_kpis(raw, reference)
    sup = ds.supplied.set_index(["year", "input"])
    assert sup.loc[(2022, "episodes"), "path"].endswith("ssda903/SSDA903_2022_episodes.csv")
    assert sup.loc[(2022, "meetings"), "path"].endswith("iro/IRO Meetings.csv")
    assert set(ds.accounting["file"]) >= {"ssda903/Reviews.csv", "ssda903/2023-header.csv"}


@pytest.mark.slow
def test_extra_and_absent_optional_columns_are_tolerated_with_warnings(tmp_path, reference):
    raw = copy_raw(tmp_path)
    for y in YEARS:
        edit_columns(raw / str(y) / "ssda903" / "header.csv", {"UASC": "0"}, ("MOTHER", "MC_DOB"))
        edit_columns(raw / str(y) / "ssda903" / "episodes.csv", {"LA_SYSTEM_REF": "x"}, ("URN",))
    ds = assert_same_kpis(raw, reference)
    w = ds.warnings[ds.warnings["year"] == 2023]
    got = {(r.file, r.rule, r.column) for r in w.itertuples()}
    assert got == {
        ("ssda903/header.csv", "unknown_column", "UASC"),
        ("ssda903/header.csv", "absent_column", "MOTHER"),
        ("ssda903/header.csv", "absent_column", "MC_DOB"),
        ("ssda903/episodes.csv", "unknown_column", "LA_SYSTEM_REF"),
        ("ssda903/episodes.csv", "absent_column", "URN"),
    }
    assert ds["header"]["MOTHER"].isna().all()


@pytest.mark.slow
def test_files_matching_no_table_are_listed_as_present_but_not_read(tmp_path, reference):
    raw = copy_raw(tmp_path)
    y = raw / "2023"
    (y / "ssda903" / "uasc.csv").write_text("CHILD,SEX,DOB,DUC\nC1,1,01/01/2010,\n")
    (y / "iro" / "notes.txt").write_text("notes\n")
    (y / "extract.csv").write_text("a,b\n1,2\n")
    ds = assert_same_kpis(raw, reference)
    w = ds.warnings[ds.warnings["rule"] == "file_not_read"]
    assert dict(zip(w["file"], w["value"], strict=True)) == {
        "extract.csv": "not a return the project reads (the CIN census is an XML file here)",
        "iro/notes.txt": "not a CSV file",
        "ssda903/uasc.csv": "its columns match no SSDA903 table",
    }


def test_two_files_for_one_table_is_an_error_naming_both(tmp_path):
    raw = copy_raw(tmp_path)
    src = raw / "2023" / "ssda903" / "reviews.csv"
    shutil.copy(src, src.with_name("Reviews_2023.csv"))
    with pytest.raises(InputError) as exc:
        build_dataset(raw)
    msg = str(exc.value)
    assert "reviews table" in msg and "ssda903/Reviews_2023.csv" in msg
    assert "ssda903/reviews.csv" in msg


def test_a_table_missing_a_required_column_is_refused_naming_it(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "ssda903" / "episodes.csv"
    edit_columns(p, drop=("DECOM",))
    p.rename(p.with_name("Episodes 2023.csv"))
    with pytest.raises(InputError, match=r"Episodes 2023.csv, line 1.*missing column\(s\) DECOM"):
        build_dataset(raw)


def test_most_distinctive_columns_say_which_table_was_meant(tmp_path):
    p = tmp_path / "extract.csv"
    p.write_text("CHILD,DECOM,RNE,LS,PLACE,DEC\n")  # an episodes table without REC
    assert match_csv(p, "ssda903", 2023) == "episodes"
    p.write_text("CHILD,SEX,DOB,DUC\n")  # the UASC table: only SEX in common with header
    assert match_csv(p, "ssda903", 2023) is None


def test_the_project_s_own_files_are_not_listed(tmp_path):
    raw = copy_raw(tmp_path)
    (raw / "2023" / "fault_manifest.json").write_text("{}")
    (raw / "2023" / ".DS_Store").write_bytes(b"\x00")
    found = discover_year(raw / "2023", 2023)
    assert found.unread == []


@pytest.mark.slow
def test_census_from_another_year_is_refused_naming_both(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "cin_census.xml"
    p.write_text(
        p.read_text()
        .replace("<Year>2023</Year>", "<Year>2019</Year>")
        .replace("<ReferenceDate>2023-03-31", "<ReferenceDate>2019-03-31")
    )
    with pytest.raises(InputError) as exc:
        build_dataset(raw)
    msg = str(exc.value)
    assert str(p) in msg
    assert "collection year 2019 with ReferenceDate 2019-03-31" in msg
    assert "2022/23" in msg and "ReferenceDate 2023-03-31 (and Year 2023)" in msg


@pytest.mark.slow
def test_census_reference_date_decides_its_year_and_a_year_that_disagrees_warns(tmp_path):
    """DfE's CIN validator takes the collection year from ReferenceDate; two of DfE's own
    published samples give `Year` as the year before (issue #25)."""
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "cin_census.xml"
    p.write_text(p.read_text().replace("<Year>2023</Year>", "<Year>2022</Year>"))
    ds = build_dataset(raw)
    assert ds.has_input("cin_census", 2023)
    w = ds.warnings[ds.warnings["rule"] == "census_year_differs"]
    assert w[["year", "file", "column"]].values.tolist() == [[2023, "cin_census.xml", "Year"]]
    assert w["value"].iloc[0].startswith("Year 2022 with ReferenceDate 2023-03-31")


@pytest.mark.slow
def test_census_with_the_right_year_but_another_reference_date_is_refused(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "cin_census.xml"
    p.write_text(p.read_text().replace("<ReferenceDate>2023-03-31", "<ReferenceDate>2022-03-31"))
    with pytest.raises(InputError, match="collection year 2023 with ReferenceDate 2022-03-31"):
        build_dataset(raw)


@pytest.mark.slow
def test_census_named_otherwise_is_found_by_its_root(tmp_path, reference):
    raw = copy_raw(tmp_path)
    (raw / "2022" / "cin_census.xml").rename(raw / "2022" / "CIN Census 2022.XML")
    assert_same_kpis(raw, reference)


def test_two_census_files_are_an_error_naming_both(tmp_path):
    raw = copy_raw(tmp_path)
    shutil.copy(raw / "2022" / "cin_census.xml", raw / "2022" / "census_copy.xml")
    with pytest.raises(InputError, match="two CIN census files") as exc:
        build_dataset(raw)
    assert "cin_census.xml" in str(exc.value) and "census_copy.xml" in str(exc.value)


@pytest.mark.slow
def test_a_2025_return_with_sex_m_reads(tmp_path, capsys):
    raw = FIXTURES / "returns" / "sex_m_2025"
    ds = build_dataset(raw)
    assert ds.quarantine.empty
    assert ds["header"]["SEX"].tolist() == ["1"]  # M: the analysis code for male
    out = tmp_path / "kpis.csv"
    args = ["kpis", "--year", "2025", "--raw-dir", str(raw), "--out", str(out)]
    assert main([*args, "--settings", str(ONLY_903)]) == 0
    kpis = pd.read_csv(out).set_index("kpi_id")
    assert kpis.loc["cla_at_31_march", "value"] == 1
    assert kpis.loc["cla_reviews_held", "value"] == 2


@pytest.mark.slow
def test_every_header_row_quarantined_gives_no_traceback(tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "returns" / "sex_m_2025", raw)
    p = raw / "2025" / "ssda903" / "header.csv"
    p.write_text(p.read_text().replace(",M,", ",X,"))
    ds = build_dataset(raw)
    assert ds.quarantine[["table", "column", "rule"]].values.tolist() == [
        ["header", "SEX", "unknown_code"]
    ]
    assert len(ds["header"]) == 0 and len(ds["episodes"]) == 1
    assert main(["kpis", "--year", "2025", "--raw-dir", str(raw), "--settings", str(ONLY_903)]) == 0


# Any header a council's export might have: the build reads it, lists it as not read, or
# stops with an InputError naming the file; never a traceback.
HEADER_NAMES = st.sampled_from(
    [
        "CHILD",
        "child",
        "DOB",
        "SEX",
        "ETHNIC",
        "DECOM",
        "RNE",
        "LS",
        "PLACE",
        "DEC",
        "REC",
        "REVIEW",
        "REVIEW_CODE",
        "UASC",
        "x",
        "",
        '"',
        "CHILD ",
        "HEALTH_ASSESSMENT",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(HEADER_NAMES, min_size=0, max_size=9),
    st.sampled_from(["data.csv", "Episodes.CSV", "reviews_2022.csv", "x.txt"]),
    st.text(max_size=30),
)
@pytest.mark.slow
def test_any_file_in_ssda903_is_read_listed_or_refused_by_name(names, filename, body):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "raw" / "2022" / "ssda903"
        folder.mkdir(parents=True)
        (folder / "header.csv").write_text(
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,01/01/2010,WBRI,,,\n"
        )
        p = folder / filename
        p.write_text(",".join(names) + "\n" + body, encoding="utf-8")
        try:
            ds = build_dataset(Path(tmp) / "raw")
        except InputError as exc:
            assert str(p) in str(exc) or filename in str(exc)
            return
        files = set(ds.accounting["file"]) | set(ds.warnings["file"])
        assert f"ssda903/{filename}" in files or filename == "header.csv"


def test_a_review_before_birth_is_quarantined_when_its_row_has_no_dob(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "returns" / "sex_m_2025", raw)
    p = raw / "2025" / "ssda903" / "reviews.csv"
    p.write_text(p.read_text() + "A1,,01/01/2011,PN1\n")  # born 14/02/2012; no DOB on the row
    ds = build_dataset(raw)
    q = ds.quarantine
    assert q[["file", "line", "column", "rule", "value"]].values.tolist() == [
        ["ssda903/reviews.csv", 4, "REVIEW", "impossible_date", "01/01/2011"],
        # and, dated years before 2024/25, outside the file's collection year (issue #25)
        ["ssda903/reviews.csv", 4, "REVIEW", "outside_collection_year", "01/01/2011"],
    ]


def _as_903_xml(raw: Path) -> None:
    """Replace each year's 903 CSVs by one SSDA903 XML file holding the same records."""
    from iro_analysis.contract import raw_files as R
    from iro_analysis.ingest.read import read_raw_csv
    from iro_analysis.ingest.ssda903_xml import write_903_xml

    for year_dir in sorted(p for p in raw.iterdir() if p.is_dir()):
        folder = year_dir / "ssda903"
        tables = {}
        for name in R.SSDA903_TABLES:
            p = folder / f"{name}.csv"
            spec = R.RAW_CSVS[name]
            if p.exists():
                tables[name] = read_raw_csv(p, spec).frame[list(spec.columns)]
                p.unlink()
            else:
                tables[name] = pd.DataFrame({c: pd.Series(dtype="str") for c in spec.columns})
        write_903_xml(tables, folder / "SSDA903 return.xml")


@pytest.mark.slow
def test_the_same_903_as_xml_gives_identical_kpis(tmp_path, reference):
    raw = copy_raw(tmp_path)
    _as_903_xml(raw)
    assert not list(raw.glob("*/ssda903/*.csv"))
    ds = build_dataset(raw)
    assert ds.quarantine.empty
    for y in YEARS:
        pd.testing.assert_frame_equal(compute_kpis(ds, y), reference[y])
    sup = ds.supplied.set_index(["year", "input"])
    assert sup.loc[(2023, "episodes"), "path"].endswith("ssda903/SSDA903 return.xml")


def test_903_as_xml_and_as_csv_together_is_an_error_naming_both(tmp_path):
    raw = copy_raw(tmp_path)
    shutil.copytree(raw / "2023" / "ssda903", tmp_path / "csv")
    _as_903_xml(raw)
    shutil.copy(tmp_path / "csv" / "reviews.csv", raw / "2023" / "ssda903" / "reviews.csv")
    with pytest.raises(InputError, match="both as XML") as exc:
        build_dataset(raw)
    assert "SSDA903 return.xml" in str(exc.value) and "reviews.csv" in str(exc.value)


def test_a_2025_26_return_with_that_year_s_codings_reads(tmp_path):
    """Hand-made 2025/26 files (CRLF, lower-case column names, no MOTHER/MC_DOB, an extra
    system column): SEX F and U, PLACE Z11 and K3, REASON_PLACE_CHANGE CUSTOD."""
    ds = build_dataset(FIXTURES / "returns" / "codes_2026")
    assert ds.quarantine.empty and len(ds["episodes"]) == 3
    assert ds["header"].set_index("CHILD")["SEX"].to_dict() == {"B7": "2", "B8": "0"}
    assert ds["episodes"]["PLACE"].tolist() == ["Z11", "K3", "U1"]
    w = ds.warnings
    assert set(zip(w["rule"], w["column"], strict=True)) == {
        ("unknown_column", "LA_SYSTEM_ID"),
        ("absent_column", "MOTHER"),
        ("absent_column", "MC_DOB"),
    }
    # the same files in 2024/25's folder: Z11 did not exist yet
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "returns" / "codes_2026" / "2026", raw / "2025")
    for p in (raw / "2025" / "ssda903").iterdir():
        p.write_text(p.read_text().replace("/2025", "/2024").replace("/2026", "/2025"))
    q = build_dataset(raw).quarantine
    assert q[["column", "value"]].values.tolist() == [["PLACE", "Z11"]]
