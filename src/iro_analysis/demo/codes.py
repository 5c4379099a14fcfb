"""DfE's 903 codes as they were in each collection year, for the demo.

Which codes are valid in a collection year comes from the project's data contract
(`iro_analysis.contract.load_contract(year).codes(table, column)`; YEAR = the year its
31 March falls in; a year outside the contract uses the nearest contract year). What the
contract cannot say is *when within the simulation* a code came or went and what replaced
it; that is the one small table below, `PLACE_CHANGES`, checked against the contract in
tests/test_demo_dfe_rules.py.

- 903 SEX: 1/2 up to 2023/24, M/F from 2024/25 (from the contract's raw -> analysis map);
  the CIN census's GenderCurrent 1/2 became Sex M/F the same year.
- PLACE: P2 (independent living) is not valid from 28 October 2023 (903 rule 217t: the
  Supported Accommodation regulations); a P2 placement open then becomes H5 that day.
  H5 (semi-independent accommodation) needs no Ofsted URN before that day (rule 222 up to
  2022/23) and one from it (rule 230): an H5 placement open then continues as a
  registered one, with a URN (`URN_FROM`).
  K3 (supported accommodation) exists from 2024/25: new supported placements are K3, not
  H5, and an H5 placement carried into the 2024/25 return is recoded K3 there (rule 503D
  allows exactly that). Z1 goes in 2025/26: new 'other' placements are Z14 from
  1 April 2025 and a Z1 placement carried into the 2025/26 return is recoded Z14
  (`YEAR_RECODES`, applied when a year's file is written).
- REASON_PLACE_CHANGE CUSTOD exists from 2018/19 (OTHER before); REC E45-E48 (special
  guardianship, by former foster carer or not, relative or not) replaced E43/E44 in
  2018/19.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlaceChange:
    """From `date`, `code` is no longer used for new placements (replaced by `successor`);
    if `retire`, a placement open on `date` is recoded to `successor` that day."""

    date: np.datetime64
    code: str
    successor: str
    retire: bool


SUPPORTED_ACCOMMODATION_REGULATED = np.datetime64("2023-10-28", "D")
PLACE_CHANGES: tuple[PlaceChange, ...] = (
    PlaceChange(SUPPORTED_ACCOMMODATION_REGULATED, "P2", "H5", retire=True),
    PlaceChange(SUPPORTED_ACCOMMODATION_REGULATED, "H5", "H5", retire=True),  # gets a URN
    PlaceChange(np.datetime64("2024-04-01", "D"), "H5", "K3", retire=False),
    PlaceChange(np.datetime64("2025-04-01", "D"), "Z1", "Z14", retire=False),
)
# An open placement carried into the return of `year` or later under its new code: year,
# old code, new code.
YEAR_RECODES: tuple[tuple[int, str, str], ...] = ((2025, "H5", "K3"), (2026, "Z1", "Z14"))

# Placements in a setting registered with Ofsted, which has a URN (903 rules 218, 222, 230),
# and from when: code -> first day.
URN_FROM: dict[str, np.datetime64] = {
    "K1": np.datetime64("1900-01-01", "D"),
    "K2": np.datetime64("1900-01-01", "D"),
    "K3": np.datetime64("1900-01-01", "D"),
    "S1": np.datetime64("1900-01-01", "D"),
    "H5": SUPPORTED_ACCOMMODATION_REGULATED,
}

# Codes the demo writes under an older or newer name in some years (the contract decides
# which years): new code -> old code.
OLDER_NAMES: dict[str, dict[str, str]] = {
    "REC": {"E45": "E43", "E46": "E43", "E47": "E44", "E48": "E44"},
    "REASON_PLACE_CHANGE": {"CUSTOD": "OTHER"},
}


@functools.cache
def _contract(year: int):
    from iro_analysis.contract import contract_years, load_contract

    have = contract_years()
    return load_contract(min(max(int(year), have[0]), have[-1]))


def codes(year: int, table: str, column: str) -> tuple[str, ...]:
    """The raw codes valid for `table.column` in collection year `year`."""
    return _contract(year).codes(table, column)


def sex_codes(year: int) -> tuple[str, str]:
    """The 903 header's (male, female) codes in `year`: ("1", "2") or ("M", "F")."""
    amap = _contract(year).analysis_map("header", "SEX")
    male = next(raw for raw, a in amap.items() if a == "1")
    female = next(raw for raw, a in amap.items() if a == "2")
    return male, female


def cin_sex(year: int) -> tuple[str, str, str]:
    """The CIN census's sex element and its (male, female) codes in `year`: GenderCurrent
    1/2 up to 2023/24, Sex M/F from 2024/25."""
    amap = _contract(year).analysis_map("cin_children", "Sex")
    male = next(raw for raw, a in amap.items() if a == "1")
    female = next(raw for raw, a in amap.items() if a == "2")
    return ("Sex" if male.isalpha() else "GenderCurrent"), male, female


def in_year_codes(year: int, column: str, values: np.ndarray) -> np.ndarray:
    """Episode codes (REC, REASON_PLACE_CHANGE) as named in `year`: a code not valid that
    year is written under its older name (OLDER_NAMES). Blanks stay blank."""
    valid = set(codes(year, "episodes", column))
    out = np.asarray(values, dtype=object).copy()
    for new, old in OLDER_NAMES.get(column, {}).items():
        if new not in valid and old in valid:
            out[out == new] = old
    bad = sorted({v for v in out if v and v not in valid})
    if bad:
        raise ValueError(f"demo writes {column} {bad}, not a DfE code in {year - 1}/{year % 100}")
    return out


def places_as_named(year: int, values: np.ndarray) -> np.ndarray:
    """PLACE codes as the return of `year` records them (YEAR_RECODES); raises if one is
    still not a DfE code that year (a generator bug)."""
    out = np.asarray(values, dtype=object).copy()
    for first, old, new in YEAR_RECODES:
        if year >= first:
            out[out == old] = new
    valid = set(codes(year, "episodes", "PLACE"))
    bad = sorted({v for v in out if v and v not in valid})
    if bad:
        raise ValueError(f"demo writes PLACE {bad}, not a DfE code in {year - 1}/{year % 100}")
    return out


def place_in_force(code: np.ndarray, on: np.ndarray) -> np.ndarray:
    """The code a new placement of kind `code` starting on `on` is recorded under."""
    out = np.asarray(code, dtype=object).copy()
    on = np.asarray(on, dtype="datetime64[D]")
    for ch in PLACE_CHANGES:
        out[(out == ch.code) & (on >= ch.date)] = ch.successor
    return out


def needs_urn(place: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Whether a placement of code `place` starting on `on` is in an Ofsted-registered
    setting (and so has a URN)."""
    place = np.asarray(place, dtype=object)
    on = np.asarray(on, dtype="datetime64[D]")
    out = np.zeros(len(place), dtype=bool)
    for code, first in URN_FROM.items():
        out |= (place == code) & (on >= first)
    return out
