"""The contract loader: malformed files are refused naming file and key; the data
dictionary's generated section is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from iro_analysis import contract
from iro_analysis.contract import dictionary
from iro_analysis.core.errors import InputError

GOOD = (contract.CONTRACT_DIR / "2022.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "2022.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_the_committed_contract_parses():
    c = contract.parse_contract(contract.CONTRACT_DIR / "2022.yaml")
    assert c.collection == "2021/22"
    assert c.tables["header"].required_columns == ("CHILD", "SEX", "DOB", "ETHNIC")
    assert c.analysis_map("header", "SEX") == {"1": "1", "2": "2"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("year: 2022", "year: 2023"), "says year 2023 but is named 2022.yaml"),
        (
            ("collection: 2021/22", "collection: 2022/23"),
            "collection '2022/23' should be '2021/22'",
        ),
        (('SEX: {"1": "1", "2": "2"}', "SEX: {1: 1, 2: 2}"), "codes.header.SEX: quote these codes"),
        (('SEX: {"1": "1", "2": "2"}', "SEX: [NO, YES]"), "quote these codes as text: False, True"),
        (('SEX: {"1": "1", "2": "2"}', "SEX: []"), "codes.header.SEX: empty or repeated"),
        (
            ('SEX: {"1": "1", "2": "2"}', "SEXX: [A]"),
            "codes.header names a column not in the table",
        ),
        (("optional: [DOB]\n", "optional: [DOB, FOO]\n"), "reviews.optional names a column"),
    ],
)
def test_a_malformed_contract_is_refused_naming_file_and_key(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    p = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as exc:
        contract.parse_contract(p)
    assert str(p) in str(exc.value)


def test_codes_by_year_markdown_gives_the_years_each_code_is_valid():
    md = contract.codes_by_year_markdown("episodes", "PLACE")
    assert "| `K3` | 2024/25–2025/26 |  |" in md
    assert "| `Z11` | 2025/26 |  |" in md
    assert "| `H5` | 2015/16–2024/25 |  |" in md
    sex = contract.codes_by_year_markdown("header", "SEX")
    assert "| `M` | 2024/25–2025/26 | `1` |" in sex
    assert "| `1` | 2015/16–2023/24 |  |" in sex


def test_data_dictionary_is_current():
    """docs/data-dictionary.md's generated section equals what the contract gives now
    (run `make docs` after changing a contract file)."""
    text = dictionary.DICTIONARY.read_text(encoding="utf-8")
    assert dictionary.render(text) == text
