"""SSDA903 XML: element mapping, reader (values, lines, unknown elements, errors), writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import iro_analysis.ingest.ssda903_layout as ssda903_layout
import iro_analysis.ingest.ssda903_xml as ssda903_xml
from iro_analysis.contract.raw_files import RAW_CSVS
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED, RAW_TEXT
from iro_analysis.ingest.ssda903_layout import record_lines_expat, record_lines_scan
from iro_analysis.ingest.ssda903_xml import (
    TABLES,
    XML_TO_CSV,
    _parse_fast,
    _parse_generic,
    is_903_xml,
    read_903_xml,
    write_903_xml,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ssda903_xml"
TWO_CHILDREN = FIXTURES / "two_children.xml"
NAMESPACED = FIXTURES / "namespaced.xml"
COLUMNS = {t: list(RAW_CSVS[t].columns) for t in TABLES}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def values(table: str, rows: list[dict[str, str]], lines: list[int]) -> pd.DataFrame:
    """An expected frame: every CSV column ("" unless given), then LINE, MALFORMED, RAW_TEXT."""
    frame = pd.DataFrame(
        {c: pd.Series([r.get(c, "") for r in rows], dtype="str") for c in COLUMNS[table]}
    )
    frame[LINE] = pd.Series(lines, dtype="int64")
    frame[MALFORMED] = pd.Series([""] * len(rows), dtype="str")
    frame[RAW_TEXT] = pd.Series([""] * len(rows), dtype="str")
    return frame


def csv_values(frame: pd.DataFrame, table: str) -> list[list[str]]:
    return frame[COLUMNS[table]].astype(object).to_numpy().tolist()


# --------------------------------------------------------------------------------------
# mapping
# --------------------------------------------------------------------------------------


def test_every_csv_column_has_exactly_one_element():
    for table in TABLES:
        mapped = list(XML_TO_CSV[table].values())
        assert sorted(mapped) == sorted(COLUMNS[table]), table
    assert XML_TO_CSV["header"]["CHILDID"] == "CHILD"
    assert XML_TO_CSV["episodes"]["PL"] == "PLACE"
    renamed = {(t, e) for t, m in XML_TO_CSV.items() for e, c in m.items() if e != c}
    assert renamed == {(t, "CHILDID") for t in TABLES} | {("episodes", "PL")}


# --------------------------------------------------------------------------------------
# reader
# --------------------------------------------------------------------------------------


def test_is_903_xml(tmp_path):
    assert is_903_xml(TWO_CHILDREN)
    assert is_903_xml(NAMESPACED)
    assert not is_903_xml(write(tmp_path / "cin.xml", "<Message><Header/></Message>"))
    assert not is_903_xml(write(tmp_path / "header.csv", "CHILD,SEX,DOB\n1,1,01/01/2010\n"))
    assert not is_903_xml(write(tmp_path / "empty.xml", ""))


def test_two_children_hand_checked():
    got = read_903_xml(TWO_CHILDREN)
    assert set(got) == set(TABLES)
    c1 = {"CHILD": "C001", "DOB": "14/03/2010"}
    expected = {
        "header": values(
            "header",
            [
                {
                    "CHILD": "C001",
                    "SEX": "1",
                    "DOB": "14/03/2010",
                    "ETHNIC": "WBRI",
                    "UPN": "A123456789012",
                    "MOTHER": "0",
                },  # MC_DOB is an empty element
                {"CHILD": "C002", "SEX": "2", "DOB": "01/12/2015", "ETHNIC": "MWBC"},
            ],  # C002: empty UPN, no MOTHER or MC_DOB element at all
            [4, 61],
        ),
        "episodes": values(
            "episodes",
            [
                {
                    "CHILD": "C001",
                    "DECOM": "01/04/2021",
                    "RNE": "S",
                    "LS": "C2",
                    "CIN": "N1",
                    "PLACE": "U1",
                    "PLACE_PROVIDER": "PR1",
                    "DEC": "15/09/2021",
                    "REC": "X1",
                    "REASON_PLACE_CHANGE": "CARPL",
                    "HOME_POST": " EF3 4GH",  # raw: the leading space is kept
                    "PL_POST": "AB1 2CD",
                    "URN": "SC123456",
                },
                {
                    "CHILD": "C001",
                    "DECOM": "15/09/2021",
                    "RNE": "P",
                    "LS": "C2",
                    "CIN": "N1",
                    "PLACE": "U3",
                    "PLACE_PROVIDER": "PR2",
                    "HOME_POST": " EF3 4GH",
                    "PL_POST": "AB5 6CD",
                },
                {
                    "CHILD": "C002",
                    "DECOM": "20/06/2021",
                    "RNE": "L",
                    "LS": "V2",
                    "CIN": "N2",
                    "PLACE": "K2",
                    "DEC": "27/06/2021",
                    "REC": "E13",
                },
            ],
            [33, 47, 70],
        ),
        "reviews": values(
            "reviews",
            [
                {**c1, "REVIEW": "02/05/2021", "REVIEW_CODE": "PN1"},
                {**c1, "REVIEW": "28/10/2021", "REVIEW_CODE": "PN0"},
            ],
            [11, 15],
        ),
        "oc2": values(
            "oc2",
            [
                {
                    **c1,
                    "SDQ_SCORE": "17",
                    "CONVICTED": "0",
                    "HEALTH_CHECK": "1",
                    "IMMUNISATIONS": "1",
                    "TEETH_CHECK": "1",
                    "HEALTH_ASSESSMENT": "1",
                    "SUBSTANCE_MISUSE": "0",
                    "INTERVENTION_RECEIVED": "0",
                    "INTERVENTION_OFFERED": "0",
                }
            ],
            [21],
        ),
    }
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table].frame, expected[table], check_exact=True)
    assert got["header"].unknown == ("LOCAL_REF",)  # a system's own field; UASC is known
    assert got["episodes"].unknown == got["reviews"].unknown == got["oc2"].unknown == ()


def test_fast_and_generic_passes_agree_on_the_real_layout(tmp_path):
    written = tmp_path / "written.xml"
    write_903_xml(small_tables(), written)  # stub children and own DOB elements included
    for path in (TWO_CHILDREN, NAMESPACED, written):
        fast, generic = _parse_fast(path), _parse_generic(path)  # fast raises if unusual
        for table in TABLES:
            assert [c.to_pylist() for c in fast.columns(table)] == [
                c.to_pylist() for c in generic.columns(table)
            ]
            assert fast.link[table] == generic.link[table]
            assert fast.own[table] == generic.own[table]
        assert fast.unknown == generic.unknown
        assert fast.malformed == generic.malformed


def test_namespace_prefix_entities_and_a_tag_inside_a_comment():
    # Prefixed tags and an "<EPISODE>" inside a comment: the byte scan miscounts, so the
    # lines come from the exact expat pass.
    got = read_903_xml(NAMESPACED)
    header = got["header"].frame
    assert header.loc[0, "CHILD"] == "N1"
    assert header.loc[0, "DOB"] == "2012-05-06"  # dates are returned as written
    assert header[LINE].tolist() == [5]
    reviews = got["reviews"].frame
    assert csv_values(reviews, "reviews") == [["N1", "2012-05-06", "01/02/2021", "PN1"]]
    assert reviews[LINE].tolist() == [10]
    assert got["reviews"].unknown == ("REVIEW_TYPE",)
    episodes = got["episodes"].frame
    assert episodes.loc[0, "PLACE"] == "R & 1"
    assert episodes.loc[0, "CHILD"] == "N1"
    assert episodes[LINE].tolist() == [16]


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_line_scan_matches_expat_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(ssda903_layout, "CHUNK", chunk)
    one_line = write(  # exports are often one long line
        tmp_path / "one_line.xml",
        "".join(x.strip() for x in TWO_CHILDREN.read_text().splitlines()),
    )
    for path in (TWO_CHILDREN, one_line):
        scan, exact = record_lines_scan(path), record_lines_expat(path)
        for table in TABLES:
            assert scan[table].tolist() == exact[table].tolist(), (path.name, table)
    assert record_lines_scan(one_line)["episodes"].tolist() == [1, 1, 1]
    assert read_903_xml(one_line)["reviews"].frame[LINE].tolist() == [1, 1]


def test_other_layouts_read_by_the_generic_pass(tmp_path):
    path = write(
        tmp_path / "flat.xml",
        "<EXPSSDA903>\n"
        "  <CHILD>\n"
        "    <EPISODE><DECOM>01/01/2021</DECOM></EPISODE>\n"  # before its HEADER
        "    <HEADER><CHILDID>A</CHILDID><DOB>01/01/2010</DOB></HEADER>\n"
        "  </CHILD>\n"
        "  <HEADER><CHILDID>B</CHILDID><DOB>02/02/2012</DOB>\n"  # no CHILD wrapper
        "    <EPISODE><DECOM>02/01/2021</DECOM></EPISODE>\n"  # nested in HEADER
        "    <AREVIEW><DOB>03/03/2013</DOB><REVIEW>05/05/2021</REVIEW></AREVIEW>\n"
        "  </HEADER>\n"
        "  <EPISODE><CHILDID>C</CHILDID><DECOM>03/01/2021</DECOM></EPISODE>\n"
        "  <EPISODE><DECOM>04/01/2021</DECOM></EPISODE>\n"  # no child at all
        "  <BATCH>7</BATCH>\n"
        "</EXPSSDA903>\n",
    )
    got = read_903_xml(path)
    assert got["header"].frame[["CHILD", LINE]].astype(object).to_numpy().tolist() == [
        ["A", 4],
        ["B", 6],
    ]
    episodes = got["episodes"].frame
    assert episodes[["CHILD", "DECOM", LINE]].astype(object).to_numpy().tolist() == [
        ["A", "01/01/2021", 3],
        ["B", "02/01/2021", 7],
        ["C", "03/01/2021", 10],
        ["", "04/01/2021", 11],
    ]
    reviews = got["reviews"].frame
    assert csv_values(reviews, "reviews") == [["B", "03/03/2013", "05/05/2021", ""]]
    assert got["header"].unknown == ("BATCH",)


def test_malformed_records_are_kept_and_marked(tmp_path):
    path = write(
        tmp_path / "bad.xml",
        "<EXPSSDA903>\n"
        "  <CHILD>\n"
        "    <HEADER><CHILDID>A</CHILDID><SEX>1</SEX><SEX>2</SEX></HEADER>\n"
        "    <EPISODE>01/01/2021,S,C2</EPISODE>\n"
        "  </CHILD>\n"
        "</EXPSSDA903>\n",
    )
    got = read_903_xml(path)
    header = got["header"].frame
    assert header.loc[0, MALFORMED] == "<SEX> appears more than once"
    assert header.loc[0, "SEX"] == "1"
    assert header.loc[0, RAW_TEXT] == "<SEX>1</SEX> <SEX>2</SEX>"
    episodes = got["episodes"].frame
    assert episodes.loc[0, MALFORMED] == "<EPISODE> holds text but no elements"
    assert episodes.loc[0, RAW_TEXT] == "01/01/2021,S,C2"
    assert episodes.loc[0, "CHILD"] == "A"
    assert episodes.loc[0, LINE] == 4


def test_no_records_gives_empty_frames_with_the_columns(tmp_path):
    got = read_903_xml(write(tmp_path / "none.xml", '<?xml version="1.0"?>\n<EXPSSDA903/>\n'))
    for table in TABLES:
        frame = got[table].frame
        assert len(frame) == 0
        assert list(frame.columns) == [*COLUMNS[table], LINE, MALFORMED, RAW_TEXT]
        pd.testing.assert_frame_equal(frame, values(table, [], []))


def test_truncated_xml_names_the_file_line_and_column(tmp_path):
    lines = TWO_CHILDREN.read_text().splitlines(keepends=True)
    cut = write(tmp_path / "cut.xml", "".join(lines[:40]))
    with pytest.raises(InputError, match=rf"^{cut}, line 41, column 0: not well-formed XML"):
        read_903_xml(cut)
    mid = write(tmp_path / "mid.xml", TWO_CHILDREN.read_text()[:300])  # inside line 13
    with pytest.raises(InputError, match=rf"^{mid}, line 13, column 22: "):
        read_903_xml(mid)


def test_wrong_root_empty_and_not_xml_files(tmp_path):
    cin = write(tmp_path / "cin.xml", "<Message>\n  <Children/>\n</Message>\n")
    with pytest.raises(
        InputError, match=rf"^{cin}: the root element is <Message>, expected <EXPSSDA903>"
    ):
        read_903_xml(cin)
    for name, text in (("empty.xml", ""), ("blank.xml", "  \n\n")):
        with pytest.raises(
            InputError, match=rf"^{tmp_path / name}: the file is empty .*<EXPSSDA903>"
        ):
            read_903_xml(write(tmp_path / name, text))
    csv = write(tmp_path / "header.xml", "CHILD,SEX\n1,2\n")
    with pytest.raises(InputError, match=rf"^{csv}, line 1, column 0: not well-formed XML"):
        read_903_xml(csv)


# --------------------------------------------------------------------------------------
# writer and round trip
# --------------------------------------------------------------------------------------


def small_tables(seed: int = 3) -> dict[str, pd.DataFrame]:
    """CSV-shaped tables with awkward values, blanks, a repeated child, orphans, DOB clashes."""
    rng = np.random.default_rng(seed)
    pool = ["", "1", "PN2", "01/02/2020", " spaced ", "a&b<c>", "tab\there", "cr\rlf\r\n", "Zoë"]

    def table(name: str, children: list[str]) -> pd.DataFrame:
        frame = pd.DataFrame(
            {c: pd.Series(rng.choice(pool, len(children)), dtype="str") for c in COLUMNS[name]}
        )
        frame["CHILD"] = pd.Series(children, dtype="str")
        return frame

    header = table("header", ["K1", "K2", "K3", "K2", "K4"])
    header.loc[0, "DOB"] = "01/01/2010"
    episodes = table("episodes", ["K2", "K1", "ORPHAN", "K2", "K9", "K1", "K3"])
    reviews = table("reviews", ["K1", "K1", "K9", "K4"])
    reviews.loc[0, "DOB"] = "01/01/2010"  # same as the header: no DOB element written
    reviews.loc[1, "DOB"] = "02/02/2010"  # clashes with the header: written in the record
    oc2 = table("oc2", ["K3", "K1"])
    return {"header": header, "episodes": episodes, "reviews": reviews, "oc2": oc2}


def expected_after_round_trip(tables: dict[str, pd.DataFrame]) -> dict[str, list[list[str]]]:
    """Records regrouped by child (header order, then stub children), order kept within one."""
    header_children = list(dict.fromkeys(tables["header"]["CHILD"]))
    stubs: list[str] = []
    for t in ("episodes", "reviews", "oc2"):
        for child in tables[t]["CHILD"]:
            if child not in header_children and child not in stubs:
                stubs.append(child)
    slot = {c: i for i, c in enumerate(header_children + stubs)}
    out = {"header": csv_values(tables["header"], "header")}
    out["header"] += [[s if c == "CHILD" else "" for c in COLUMNS["header"]] for s in stubs]
    for t in ("episodes", "reviews", "oc2"):
        rows = csv_values(tables[t], t)
        out[t] = sorted(rows, key=lambda r: slot[r[0]])  # stable: order within a child kept
    return out


@pytest.mark.parametrize("batch_rows", [1, 3, 1 << 16])
def test_round_trip_of_generated_tables(tmp_path, monkeypatch, batch_rows):
    monkeypatch.setattr(ssda903_xml, "_BATCH_ROWS", batch_rows)  # rows move to Arrow mid-read
    tables = small_tables()
    path = tmp_path / "903.xml"
    write_903_xml(tables, path)
    got = read_903_xml(path)
    expected = expected_after_round_trip(tables)
    for table in TABLES:
        assert csv_values(got[table].frame, table) == expected[table], table
        assert got[table].unknown == ()
        assert (got[table].frame[MALFORMED] == "").all()
    lines = path.read_text(encoding="utf-8").splitlines()
    for table, element in (("header", "HEADER"), ("episodes", "EPISODE")):
        starts = [i + 1 for i, x in enumerate(lines) if x.strip() == f"<{element}>"]
        assert got[table].frame[LINE].tolist() == starts
    assert lines.count("  <!-- no header row for this child in the source tables -->") == 2


def test_round_trip_of_the_fixture(tmp_path):
    first = read_903_xml(TWO_CHILDREN)
    path = tmp_path / "again.xml"
    write_903_xml({t: x.frame for t, x in first.items()}, path)
    again = read_903_xml(path)
    for table in TABLES:
        assert csv_values(again[table].frame, table) == csv_values(first[table].frame, table)


def test_writer_layout_and_determinism(tmp_path):
    tables = {
        "header": values(
            "header",
            [{"CHILD": "A1", "SEX": "1", "DOB": "01/02/2010", "ETHNIC": "WBRI"}],
            [2],
        )[COLUMNS["header"]],
        "episodes": pd.DataFrame(
            [["A1", "01/04/2021", "S", "C2", "N1", "U1", "", "", "", "", "", "", ""]],
            columns=COLUMNS["episodes"],
        ),
        "reviews": pd.DataFrame(
            [["A1", "01/02/2010", "02/05/2021", "PN1"]], columns=COLUMNS["reviews"]
        ),
    }  # no oc2 table: written as none
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    write_903_xml(tables, a)
    write_903_xml(tables, b)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text(encoding="utf-8") == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<EXPSSDA903>\n"
        "  <CHILD>\n"
        "    <HEADER>\n"
        "      <CHILDID>A1</CHILDID>\n"
        "      <UPN />\n"
        "      <SEX>1</SEX>\n"
        "      <DOB>01/02/2010</DOB>\n"
        "      <ETHNIC>WBRI</ETHNIC>\n"
        "      <UASC />\n"
        "      <AREVIEW>\n"
        "        <REVIEW>02/05/2021</REVIEW>\n"
        "        <REVIEW_CODE>PN1</REVIEW_CODE>\n"
        "      </AREVIEW>\n"
        "    </HEADER>\n"
        "    <EPISODE>\n"
        "      <DECOM>01/04/2021</DECOM>\n"
        "      <RNE>S</RNE>\n"
        "      <LS>C2</LS>\n"
        "      <CIN>N1</CIN>\n"
        "      <PL>U1</PL>\n"
        "      <DEC />\n"
        "      <REC />\n"
        "    </EPISODE>\n"
        "  </CHILD>\n"
        "</EXPSSDA903>\n"
    )
    empty = tmp_path / "empty.xml"
    write_903_xml({}, empty)
    assert (
        empty.read_text() == '<?xml version="1.0" encoding="UTF-8"?>\n<EXPSSDA903>\n</EXPSSDA903>\n'
    )
    assert all(len(x.frame) == 0 for x in read_903_xml(empty).values())


def test_writer_rejects_wrong_columns_and_unwritable_characters(tmp_path):
    header = values("header", [{"CHILD": "A"}], [2])
    with pytest.raises(ValueError, match="header: .*unexpected NOTE"):
        write_903_xml({"header": header.assign(NOTE="x")}, tmp_path / "x.xml")
    with pytest.raises(ValueError, match="episodes: .*missing DECOM"):
        write_903_xml({"episodes": pd.DataFrame({"CHILD": ["A"]})}, tmp_path / "x.xml")
    with pytest.raises(ValueError, match=r"header, row 0, column UPN: .*control character"):
        write_903_xml({"header": header.assign(UPN="A\x01")}, tmp_path / "x.xml")
