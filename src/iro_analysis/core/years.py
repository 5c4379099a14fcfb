"""Reporting years: YEAR runs from 1 April YEAR-1 to 31 March YEAR, as DfE collections do."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from iro_analysis.core.errors import excerpt

MIN_YEAR = 2000
MAX_YEAR = 2100


@dataclass(frozen=True)
class ReportingYear:
    """A reporting year: `ReportingYear(2022)` is 1 April 2021 to 31 March 2022."""

    year: int

    def __post_init__(self) -> None:
        check_year(self.year)

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.year - 1, 4, 1)

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.year, 3, 31)

    @property
    def label(self) -> str:
        """ "2021/22" for 2022."""
        return f"{self.year - 1}/{self.year % 100:02d}"

    @property
    def slug(self) -> str:
        """ "2021-22" for 2022, used in file names."""
        return f"{self.year - 1}-{self.year % 100:02d}"


def check_year(year: object) -> int:
    """Return `year` as an int, or raise ValueError saying what a year must be."""
    if isinstance(year, bool) or not isinstance(year, int | str):
        raise ValueError(f"year must be a four-digit year such as 2022, got {year!r}")
    text = str(year).strip()
    if not text.isdigit() or len(text) != 4:
        raise ValueError(f"year must be a four-digit year such as 2022, got {year!r}")
    value = int(text)
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise ValueError(f"year {value} is outside {MIN_YEAR}-{MAX_YEAR}")
    return value


def parse_year_range(text: str | int) -> list[int]:
    """Parse "2018-2024", "2022" or "2019,2021" into a sorted list of years."""
    text = str(text).strip()
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise ValueError(f"year range {excerpt(part)} ends before it starts")
            years.update(range(a, b + 1))
        elif re.fullmatch(r"\d{4}", part):
            years.add(int(part))
        else:
            raise ValueError(f"{excerpt(part)} is not a year (YYYY) or a range (YYYY-YYYY)")
    return sorted(years)
