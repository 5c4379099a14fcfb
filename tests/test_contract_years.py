"""The per-year DfE data contracts (`src/iro_analysis/contract/<YEAR>.yaml`), 2015/16 to 2025/26.

Each expectation below is a DfE fact written out here independently of the YAML files, so a
wrong list in any year fails a test. Where each fact comes from: docs/contract-sources.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iro_analysis.contract import (
    CONTRACT_DIR,
    SSDA903_TABLES,
    analysis_codes,
    contract_years,
    load_contract,
    parse_contract,
)
from iro_analysis.core.errors import InputError

YEARS = tuple(range(2016, 2027))  # 2015/16 .. 2025/26 (YEAR = the year the collection ends)


def words(text: str) -> frozenset[str]:
    """A set of codes written as one space-separated string."""
    return frozenset(text.split())


# --- 903 episodes PLACE --------------------------------------------------------------------
PLACE_2016_2024 = words(
    "A3 A4 A5 A6 H5 K1 K2 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1"
)
PLACE_2025 = PLACE_2016_2024 | {"K3"}
PLACE_2026 = (PLACE_2025 - {"H5", "P2", "Z1"}) | {"Z11", "Z12", "Z13", "Z14"}

# --- 903 episodes REC: E43/E44 (special guardianship) became E45-E48 in 2018/19 -----------
REC_RETIRED_2019 = frozenset({"E43", "E44"})
REC_NEW_2019 = frozenset({"E45", "E46", "E47", "E48"})
REC_ALWAYS = words("E11 E12 E13 E14 E15 E16 E17 E2 E3 E41 E4A E4B E5 E6 E7 E8 E9 X1")

# --- 903 episodes REASON_PLACE_CHANGE: CUSTOD added in 2018/19; PROV never a DfE code ------
RPC_2016_2018 = words("CARPL CLOSE ALLEG STAND APPRR CREQB CREQO CHILD LAREQ PLACE OTHER")
RPC_FROM_2019 = RPC_2016_2018 | {"CUSTOD"}

# --- lists unchanged 2015/16 .. 2025/26 ----------------------------------------------------
ETHNICITY = words(
    "WBRI WIRI WIRT WOTH WROM MWBC MWBA MWAS MOTH AIND APKN ABAN AOTH CHNE BCRB BAFR BOTH "
    "OOTH REFU NOBT"
)
UNCHANGED = {
    ("header", "ETHNIC"): ETHNICITY,
    ("episodes", "RNE"): words("S P L T B U"),
    ("episodes", "LS"): words("C1 C2 D1 E1 J1 J2 J3 L1 L2 L3 V2 V3 V4"),
    ("episodes", "CIN"): frozenset(f"N{i}" for i in range(1, 9)),
    ("episodes", "PLACE_PROVIDER"): frozenset(f"PR{i}" for i in range(6)),
    ("reviews", "REVIEW_CODE"): frozenset(f"PN{i}" for i in range(8)),
    ("oc2", "SDQ_REASON"): frozenset(f"SDQ{i}" for i in range(1, 6)),
    ("cin_children", "Ethnicity"): ETHNICITY,
    ("cp_plans", "InitialCategoryOfAbuse"): words("NEG PHY SAB EMO MUL"),
    ("cp_plans", "LatestCategoryOfAbuse"): words("NEG PHY SAB EMO MUL"),
}

# The 903 tables' columns in the DfE validator's order (unchanged over these years).
COLUMNS = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        *("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"),
        *("REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
    ),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "oc2": (
        *("CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK"),
        *("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE"),
        *("INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
    ),
}
REQUIRED = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"),
    "reviews": ("CHILD", "REVIEW", "REVIEW_CODE"),
    "oc2": ("CHILD", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT"),
}


def codes(year: int, table: str, column: str) -> frozenset[str]:
    return frozenset(load_contract(year).codes(table, column))


# --- the set of contracts --------------------------------------------------------------------


def test_contract_years_are_exactly_2016_to_2026():
    assert contract_years() == list(YEARS)


@pytest.mark.parametrize("year", YEARS)
def test_every_year_loads_with_its_collection_and_sources(year):
    c = load_contract(year)
    assert c.year == year
    assert c.collection == f"{year - 1}/{str(year)[2:]}"
    assert any("guide" in s for s in c.sources)  # DfE's guide for the year
    assert any("/" in s and "@" in s for s in c.sources)  # a pinned public repository


@pytest.mark.parametrize("year", (2015, 2027))
def test_a_year_without_a_contract_raises_input_error_naming_it(year):
    with pytest.raises(InputError) as err:
        load_contract(year)
    assert str(year) in str(err.value)
    assert f"{year - 1}/{str(year)[2:]}" in str(err.value)


@pytest.mark.parametrize("year", YEARS)
def test_903_columns_and_required_columns(year):
    c = load_contract(year)
    for table, cols in COLUMNS.items():
        assert c.tables[table].columns == cols, (year, table)
        assert c.tables[table].required_columns == REQUIRED[table], (year, table)


# --- PLACE -------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_place_codes_per_year(year):
    expected = PLACE_2026 if year >= 2026 else PLACE_2025 if year == 2025 else PLACE_2016_2024
    assert codes(year, "episodes", "PLACE") == expected


def test_k3_is_valid_from_2024_25():
    assert "K3" in codes(2025, "episodes", "PLACE")
    assert "K3" in codes(2026, "episodes", "PLACE")
    assert "K3" not in codes(2024, "episodes", "PLACE")
    assert all("K3" not in codes(y, "episodes", "PLACE") for y in range(2016, 2025))


def test_z11_to_z14_are_valid_in_2025_26_only():
    z = {"Z11", "Z12", "Z13", "Z14"}
    assert z <= codes(2026, "episodes", "PLACE")
    for year in range(2016, 2026):
        assert not z & codes(year, "episodes", "PLACE"), year


@pytest.mark.parametrize("code", ("H5", "P2", "Z1"))
def test_h5_p2_z1_valid_up_to_2024_25_and_removed_in_2025_26(code):
    for year in range(2016, 2026):
        assert code in codes(year, "episodes", "PLACE"), (code, year)
    assert code not in codes(2026, "episodes", "PLACE")


# --- REC -----------------------------------------------------------------------------------------


def test_retired_rec_codes_e43_e44_valid_to_2017_18_and_refused_after():
    for year in (2016, 2017, 2018):
        assert codes(year, "episodes", "REC") >= REC_RETIRED_2019, year
        assert not REC_NEW_2019 & codes(year, "episodes", "REC"), year
    for year in range(2019, 2027):
        assert not REC_RETIRED_2019 & codes(year, "episodes", "REC"), year
        assert codes(year, "episodes", "REC") >= REC_NEW_2019, year
    assert "E43" not in codes(2026, "episodes", "REC")


@pytest.mark.parametrize("year", YEARS)
def test_rec_codes_per_year(year):
    expected = REC_ALWAYS | (REC_RETIRED_2019 if year <= 2018 else REC_NEW_2019)
    assert codes(year, "episodes", "REC") == expected


# --- REASON_PLACE_CHANGE -------------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_reason_place_change_custod_from_2018_19_and_never_prov(year):
    rpc = codes(year, "episodes", "REASON_PLACE_CHANGE")
    assert "PROV" not in rpc
    assert rpc == (RPC_FROM_2019 if year >= 2019 else RPC_2016_2018)
    assert ("CUSTOD" in rpc) == (year >= 2019)


# --- SEX (903 header and CIN census) ------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_903_sex_raw_codes_and_analysis_map(year):
    m = load_contract(year).analysis_map("header", "SEX")
    if year >= 2025:  # 2024/25 on: M, F and U (unknown); 1/2 no longer accepted
        assert dict(m) == {"M": "1", "F": "2", "U": "0"}
        assert "1" not in m and "2" not in m
    else:
        assert dict(m) == {"1": "1", "2": "2"}
        assert "M" not in m and "F" not in m


def test_903_sex_analysis_vocabulary():
    # male "1" and female "2" in every year; "0" (not known) only from raw U (2024/25 on)
    assert analysis_codes("header", "SEX") == ("0", "1", "2")
    for year in YEARS:
        values = set(load_contract(year).analysis_map("header", "SEX").values())
        assert {"1", "2"} <= values
        assert values <= {"0", "1", "2"}


@pytest.mark.parametrize("year", YEARS)
def test_cin_census_sex_per_year(year):
    m = load_contract(year).analysis_map("cin_children", "Sex")
    if year >= 2025:  # Sex element, M/F/U
        assert dict(m) == {"M": "1", "F": "2", "U": "0"}
    else:  # GenderCurrent element: 1 male, 2 female, 0 not known, 9 not specified
        assert dict(m) == {"1": "1", "2": "2", "0": "0", "9": "9"}
    assert analysis_codes("cin_children", "Sex") == ("0", "1", "2", "9")


# --- lists that did not change ---------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize(("table", "column"), sorted(UNCHANGED))
def test_unchanged_code_lists(year, table, column):
    assert codes(year, table, column) == UNCHANGED[(table, column)]
    m = load_contract(year).analysis_map(table, column)
    assert all(k == v for k, v in m.items())  # identity: no recoding


@pytest.mark.parametrize("year", YEARS)
def test_every_coded_column_has_a_list(year):
    c = load_contract(year)
    assert set(c.columns_with_codes("header")) == {"SEX", "ETHNIC"}
    assert set(c.columns_with_codes("episodes")) == {
        *("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "REASON_PLACE_CHANGE"),
    }
    assert set(c.columns_with_codes("reviews")) == {"REVIEW_CODE"}
    assert set(c.columns_with_codes("oc2")) == {"SDQ_REASON"}
    assert set(c.columns_with_codes("cin_children")) == {"Sex", "Ethnicity"}
    assert set(c.columns_with_codes("cp_plans")) == {
        "InitialCategoryOfAbuse",
        "LatestCategoryOfAbuse",
    }


# --- a table DfE added in a later year (issue #28: DoLo from 2026/27) ------------------------


def _next_year_contract(tmp_path, extra: str) -> Path:
    """2026.yaml as the 2026/27 file would start (year and collection moved on), plus `extra`."""
    text = (CONTRACT_DIR / "2026.yaml").read_text(encoding="utf-8")
    text = text.replace("year: 2026\n", "year: 2027\n").replace(
        "collection: 2025/26\n", "collection: 2026/27\n"
    )
    text = text.replace("ssda903:\n", "ssda903:\n" + extra, 1)
    path = tmp_path / "2027.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_later_table_is_in_the_years_that_list_it_only(tmp_path):
    dolo = "  dolo:\n    columns: [CHILD, DOLO_START, DOLO_END]\n    optional: [DOLO_END]\n"
    c = parse_contract(_next_year_contract(tmp_path, dolo))
    assert c.has_table("dolo") and c.tables["dolo"].required_columns == ("CHILD", "DOLO_START")
    assert all(not load_contract(y).has_table("dolo") for y in YEARS)  # before 2026/27: none
    assert all(load_contract(y).has_table(t) for y in YEARS for t in SSDA903_TABLES)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  dolo:\n    optional: [DOLO_END]\n", "has no ssda903.dolo.columns"),
        ("  deprivation:\n    columns: [CHILD]\n", "ssda903 names 'deprivation', not a 903 table"),
    ],
)
def test_a_later_table_must_be_known_and_have_columns(tmp_path, extra, message):
    with pytest.raises(InputError, match=message):
        parse_contract(_next_year_contract(tmp_path, extra))
