"""Codes by collection year: each year's DfE codes are accepted in their years and refused
outside them, and recoded values reach the analysis as one vocabulary.

A code outside the year's list quarantines the row in a column a KPI or breakdown reads
(PLACE, SEX, ...) and is a warning on a kept row elsewhere (REASON_PLACE_CHANGE, ...).
"""

from __future__ import annotations

import pandas as pd
import pytest

from iro_analysis.contract import analysis_codes
from iro_analysis.contract import codes as C
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.ingest.bookkeeping import LINE
from iro_analysis.ingest.clean import make_part


def part(table: str, year: int, **values: str):
    """A one-row Part of `table` in `year`: a valid row with `values` put in."""
    base = {
        "header": {"CHILD": "A1", "SEX": "1", "DOB": "01/01/2012", "ETHNIC": "WBRI"},
        "episodes": {
            "CHILD": "A1",
            "DECOM": f"01/06/{year - 1}",
            "RNE": "S",
            "LS": "C2",
            "PLACE": "U1",
            "DEC": f"01/09/{year - 1}",
            "REC": "E11",
        },
    }[table]
    row = {c: "" for c in R.RAW_CSVS[table].columns} | base | values
    raw = pd.DataFrame({c: pd.Series([v], dtype="str") for c, v in row.items()})
    raw[LINE] = 2
    return make_part(year, table, f"ssda903/{table}.csv", raw)


def outcome(p) -> str:
    if len(p.failures):
        return "quarantined"
    return "warned" if len(p.warnings) else "kept"


@pytest.mark.parametrize(
    ("year", "column", "code", "expected"),
    [
        (2019, "REASON_PLACE_CHANGE", "CUSTOD", "kept"),  # CUSTOD from 2018/19
        (2024, "REASON_PLACE_CHANGE", "CUSTOD", "kept"),
        (2018, "REASON_PLACE_CHANGE", "CUSTOD", "warned"),  # before its year: kept, warned
        (2022, "REASON_PLACE_CHANGE", "PROV", "warned"),  # never a DfE code
        (2024, "PLACE", "K3", "quarantined"),  # K3 from 2024/25
        (2025, "PLACE", "K3", "kept"),
        (2026, "PLACE", "K3", "kept"),
        (2025, "PLACE", "Z11", "quarantined"),  # Z11-Z14 from 2025/26
        (2026, "PLACE", "Z14", "kept"),
        (2025, "PLACE", "H5", "kept"),  # H5, P2, Z1 until 2024/25
        (2026, "PLACE", "H5", "quarantined"),
        (2026, "PLACE", "P2", "quarantined"),
        (2026, "PLACE", "Z1", "quarantined"),
        (2018, "REC", "E43", "kept"),  # retired in 2018/19 (E45-E48 instead)
        (2019, "REC", "E43", "quarantined"),
        (2019, "REC", "E45", "kept"),
        (2018, "REC", "E45", "quarantined"),
    ],
)
@pytest.mark.slow
def test_episode_codes_by_year(year, column, code, expected):
    assert outcome(part("episodes", year, **{column: code})) == expected


@pytest.mark.parametrize(
    ("year", "sex", "expected", "analysis"),
    [
        (2024, "1", "kept", "1"),
        (2024, "2", "kept", "2"),
        (2024, "M", "quarantined", None),  # M/F only from 2024/25
        (2025, "M", "kept", "1"),
        (2025, "F", "kept", "2"),
        (2025, "U", "kept", "0"),
        (2026, "f", "kept", "2"),  # codes are upper-cased first
        (2025, "1", "quarantined", None),  # 1/2 no longer valid from 2024/25
    ],
)
def test_903_sex_by_year_maps_to_one_vocabulary(year, sex, expected, analysis):
    p = part("header", year, SEX=sex)
    assert outcome(p) == expected
    if analysis is not None:
        assert p.kept()["SEX"].tolist() == [analysis]


def test_a_warned_code_is_kept_as_written_and_counted():
    p = part("episodes", 2022, REASON_PLACE_CHANGE="PROV")
    assert p.kept()["REASON_PLACE_CHANGE"].tolist() == ["PROV"]
    assert p.warnings[["column", "rule", "value"]].values.tolist() == [
        ["REASON_PLACE_CHANGE", "unknown_code_kept", "PROV"]
    ]


def test_analysis_vocabulary_has_labels_and_groups():
    assert set(analysis_codes("episodes", "PLACE")) <= set(C.PLACE_GROUPS)
    assert set(analysis_codes("episodes", "LS")) <= set(C.LS_LABELS)
    assert set(analysis_codes("reviews", "REVIEW_CODE")) == set(C.REVIEW_CODES)
    assert set(analysis_codes("cp_plans", "LatestCategoryOfAbuse")) == set(C.CP_CATEGORIES)
    assert set(analysis_codes("header", "ETHNIC")) == set(C.ETHNIC_CODES)
    assert set(C.SEX_LABELS) <= set(analysis_codes("header", "SEX"))


def test_warn_only_columns_are_read_by_no_kpi():
    """Columns whose bad codes only warn are not the ones figures use."""
    used = {"CHILD", "SEX", "DOB", "ETHNIC", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"}
    used |= {"REVIEW", "REVIEW_CODE", "HEALTH_ASSESSMENT", "TEETH_CHECK", "IMMUNISATIONS"}
    assert not used & Q.WARN_ONLY_COLUMNS
