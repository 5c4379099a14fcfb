"""Raw readers: encodings, physical line numbers, bad files, and the CIN census XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from iro_analysis.contract.raw_files import HEADER, PEP
from iro_analysis.core.errors import InputError
from iro_analysis.core.text import detect_encoding
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED
from iro_analysis.ingest.cin_census import element_lines, elements_lines, read_cin_census
from iro_analysis.ingest.read import read_csv_header, read_raw_csv

FIXTURE_XML = Path(__file__).parent / "fixtures" / "clean" / "raw" / "2022" / "cin_census.xml"
HEAD = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_detect_encoding():
    assert detect_encoding(b"\xef\xbb\xbfCHILD") == "utf-8-sig"
    assert detect_encoding("CHILD,é".encode()) == "utf-8"
    assert detect_encoding("CHILD,é".encode("cp1252")) == "cp1252"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_each_encoding_reads_the_same_values(tmp_path, encoding):
    p = tmp_path / "header.csv"
    p.write_bytes((HEAD + "C1,1,01/01/2010,WBRI,Zoë’s,,\n").encode(encoding))
    t = read_raw_csv(p, HEADER)
    assert t.encoding == encoding
    assert list(t.frame.columns[:7]) == list(HEADER.columns)  # BOM not glued to CHILD
    assert t.frame.loc[0, "UPN"] == "Zoë’s"


def test_physical_line_numbers_survive_blank_lines_and_quoted_fields(tmp_path):
    p = write(
        tmp_path / "header.csv",
        HEAD
        + 'C1,1,01/01/2010,WBRI,,,\n\n\nC2,2,01/01/2011,WBRI,"A1,2",,\nC3,1,01/01/2012,WBRI,,,\n',
    )
    f = read_raw_csv(p, HEADER).frame
    assert f["CHILD"].tolist() == ["C1", "C2", "C3"]
    assert f[LINE].tolist() == [2, 5, 6]
    assert f.loc[1, "UPN"] == "A1,2"


def test_a_quoted_newline_in_a_table_without_free_text_is_two_malformed_lines(tmp_path):
    """903 and IRO tables hold no free text, so a record over two lines is a stray quote."""
    p = write(
        tmp_path / "header.csv",
        HEAD + 'C2,2,01/01/2011,WBRI,"two\nlines",,\nC3,1,01/01/2012,WBRI,,,\n',
    )
    f = read_raw_csv(p, HEADER).frame
    assert f[LINE].tolist() == [2, 3, 4]
    assert f[MALFORMED].tolist()[:2] == ["an unmatched double quote on this line"] * 2
    assert f.loc[2, "CHILD"] == "C3"


def test_unquoted_file_line_numbers_and_crlf(tmp_path):
    p = write(tmp_path / "pep.csv", "child_id,pep_date\r\nC1,01/01/2021\r\n\r\nC2,02/01/2021\r\n")
    f = read_raw_csv(p, PEP).frame
    assert f[LINE].tolist() == [2, 4]
    assert f["pep_date"].tolist() == ["01/01/2021", "02/01/2021"]


def test_wrong_field_count_and_repeated_header_are_marked_not_dropped(tmp_path):
    p = write(
        tmp_path / "pep.csv",
        "child_id,pep_date\nC1,01/01/2021\nchild_id,pep_date\nC2,02/01/2021,extra\nC3\n",
    )
    f = read_raw_csv(p, PEP).frame
    assert len(f) == 4
    assert f[MALFORMED].tolist() == [
        "",
        "repeated header line",
        "expected 2 fields, found 3",
        "expected 2 fields, found 1",
    ]


def test_missing_and_unexpected_columns_are_listed(tmp_path):
    p = write(tmp_path / "header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,FOO\nC1,1,01/01/2010,WBRI,,x\n")
    with pytest.raises(InputError) as exc:
        read_raw_csv(p, HEADER)
    msg = str(exc.value)
    assert str(p) in msg and "line 1" in msg
    assert "missing column(s) MOTHER, MC_DOB" in msg
    assert "unexpected column(s) 'FOO'" in msg


def test_column_names_match_case_insensitively(tmp_path):
    p = write(tmp_path / "pep.csv", " CHILD_ID , PEP_DATE\nC1,01/01/2021\n")
    assert read_raw_csv(p, PEP).frame["child_id"].tolist() == ["C1"]


def test_empty_file_is_an_error_naming_it(tmp_path):
    p = write(tmp_path / "pep.csv", b"")
    with pytest.raises(InputError, match="pep.csv: the file is empty"):
        read_raw_csv(p, PEP)


def test_header_only_file_has_no_rows(tmp_path):
    p = write(tmp_path / "pep.csv", "child_id,pep_date\n")
    assert len(read_raw_csv(p, PEP).frame) == 0


def test_binary_file_named_csv_is_an_error(tmp_path):
    p = write(tmp_path / "pep.csv", bytes(range(256)) * 4)
    with pytest.raises(InputError, match="not a text CSV file"):
        read_raw_csv(p, PEP)


# --------------------------------------------------------------------------------------
# CIN census XML
# --------------------------------------------------------------------------------------


def test_cin_census_tables_in_document_order():
    cin = read_cin_census(FIXTURE_XML)
    assert cin.namespace == ""
    assert cin.children["LAchildID"].str.strip().tolist() == ["P1", ""]
    assert cin.children["Sex"].tolist() == ["2", "1"]  # from GenderCurrent (2021/22)
    assert cin.details["CINreferralDate"].tolist() == ["2021-05-01", "2021-06-01"]
    assert cin.details["_child"].tolist() == [0, 1]
    assert cin.s47["S47ActualStartDate"].tolist() == ["2021-05-03"]
    assert cin.s47["ICPCnotRequired"].tolist() == ["false"]
    assert cin.plans["CPPstartDate"].tolist() == ["2021-05-20", "2021-13-01"]
    assert cin.reviews["CPPreviewDate"].tolist() == ["2021-08-15", "2022-02-10", "2022-01-10"]
    assert cin.reviews["_plan"].tolist() == [0, 0, 1]


def test_every_element_kind_s_lines_in_one_pass_are_each_kind_s_own():
    kinds = ["Child", "CINdetails", "ChildProtectionPlans", "CPPreviewDate"]
    every = elements_lines(FIXTURE_XML, kinds)
    assert {k: v.tolist() for k, v in every.items()} == {
        "Child": [11, 51],  # not the ChildProtectionPlans tags that start with its name
        "CINdetails": [20, 57],
        "ChildProtectionPlans": [31, 41],
        "CPPreviewDate": [37, 38, 46],
    }


def test_element_lines_are_physical_lines_of_start_tags():
    assert element_lines(FIXTURE_XML, "Child").tolist() == [11, 51]
    assert element_lines(FIXTURE_XML, "CINdetails").tolist() == [20, 57]
    assert element_lines(FIXTURE_XML, "ChildProtectionPlans").tolist() == [31, 41]
    assert element_lines(FIXTURE_XML, "CPPreviewDate").tolist() == [37, 38, 46]


def test_census_streams_across_chunks(tmp_path, monkeypatch):
    import iro_analysis.ingest.cin_census as cin_census

    monkeypatch.setattr(cin_census, "CHUNK", 7)  # many children complete within one feed, or none
    small = read_cin_census(FIXTURE_XML)
    monkeypatch.undo()
    big = read_cin_census(FIXTURE_XML)
    for name in ("children", "details", "s47", "plans", "reviews"):
        assert getattr(small, name).equals(getattr(big, name)), name
    monkeypatch.setattr(cin_census, "CHUNK", 5)
    assert element_lines(FIXTURE_XML, "CPPreviewDate").tolist() == [37, 38, 46]


def test_namespaced_census_reads_the_same(tmp_path):
    text = FIXTURE_XML.read_text(encoding="utf-8").replace(
        "<Message>", '<Message xmlns="urn:unexpected:namespace">'
    )
    p = write(tmp_path / "cin_census.xml", text)
    cin = read_cin_census(p)
    plain = read_cin_census(FIXTURE_XML)
    assert cin.namespace == "urn:unexpected:namespace"
    for name in ("children", "details", "s47", "plans", "reviews"):
        assert getattr(cin, name).equals(getattr(plain, name)), name


def test_truncated_census_is_an_error_with_line(tmp_path):
    text = FIXTURE_XML.read_text(encoding="utf-8")
    p = write(tmp_path / "cin_census.xml", text[: text.index("<CPPstartDate>2021-13-01")])
    with pytest.raises(InputError, match=r"cin_census.xml, line \d+, column \d+: not well-formed"):
        read_cin_census(p)


def test_census_with_wrong_root_or_empty_is_an_error(tmp_path):
    p = write(tmp_path / "cin_census.xml", "<?xml version='1.0'?>\n<Other><Child/></Other>\n")
    with pytest.raises(InputError, match="expected <Message>"):
        read_cin_census(p)
    with pytest.raises(InputError, match="empty"):
        read_cin_census(write(tmp_path / "empty.xml", b""))


def test_binary_census_is_an_error(tmp_path):
    p = write(tmp_path / "cin_census.xml", bytes(range(256)))
    with pytest.raises(InputError, match="not well-formed XML"):
        read_cin_census(p)


# --------------------------------------------------------------------------------------
# Encodings and delimiters that tell the truth
# --------------------------------------------------------------------------------------
ROW = "C1,1,01/01/2010,WBRI,Zoë’s,,\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")],
)
def test_utf16_is_recognised_and_read(tmp_path, encoding, detected):
    p = write(tmp_path / "header.csv", (HEAD + ROW).encode(encoding))
    t = read_raw_csv(p, HEADER)
    assert t.encoding == detected
    assert t.frame.loc[0, "UPN"] == "Zoë’s" and t.frame.loc[0, "CHILD"] == "C1"
    assert read_csv_header(p)[:2] == ["CHILD", "SEX"]


def test_a_file_mixing_utf8_and_cp1252_names_the_first_bad_line(tmp_path):
    data = (HEAD + ROW).encode("utf-8") + "C2,1,01/01/2011,WBRI,José,,\n".encode("cp1252")
    p = write(tmp_path / "header.csv", data)
    with pytest.raises(InputError, match=r"header.csv, line 3: .*mixed encodings"):
        read_raw_csv(p, HEADER)


def test_a_cp1252_file_without_utf8_is_not_called_mixed(tmp_path):
    p = write(tmp_path / "header.csv", (HEAD + "C2,1,01/01/2011,WBRI,José,,\n").encode("cp1252"))
    assert read_raw_csv(p, HEADER).frame.loc[0, "UPN"] == "José"


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical")])
def test_a_file_that_is_not_comma_separated_names_its_delimiter(tmp_path, sep, name):
    p = write(tmp_path / "header.csv", HEAD.replace(",", sep) + ROW.replace(",", sep))
    for read in (lambda: read_raw_csv(p, HEADER), lambda: read_csv_header(p)):
        with pytest.raises(InputError, match=f"header.csv, line 1: .*separated by {name}"):
            read()
