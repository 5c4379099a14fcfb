"""The clean dataset: every clean table plus what was supplied, quarantined and counted.

`iro_analysis.ingest.clean` builds a `Dataset` from the raw folders; KPI, validation and report
code take one. It is the interface between cleaning and analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from iro_analysis.contract.tables import ACCOUNTING_COLUMNS, FACT_COLUMNS, QUARANTINE_COLUMNS

SUPPLIED_COLUMNS = ("year", "input", "path", "present", "sha256")
RETURN_COUNT_COLUMNS = ("year", "file", "measure", "count", "rows_quarantined")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class Dataset:
    """Clean tables (name -> DataFrame, see `schema.CLEAN_TABLES`) and their provenance.

    - `supplied`: one row per (year folder, input) with `present` and the file's sha256;
      input names are `schema.SUPPLIED_INPUTS`.
    - `quarantine`: rows that broke a row-level rule (`schema.QUARANTINE_COLUMNS`).
    - `accounting`: per raw file, rows read = kept + duplicates removed + quarantined.
    - `warnings`: what was kept or passed over with a warning (`schema.WARNING_RULES`):
      codes kept in columns no figure uses, unknown and absent columns, files not read.
    - `facts`: per raw source, what the plausibility gates compare (`schema.FACT_COLUMNS`).
    - `return_counts`: what each year's episodes and CP plans say alone, for the
      reconciliation with the report's figures (`ingest.authority.return_counts`).
    """

    tables: dict[str, pd.DataFrame]
    supplied: pd.DataFrame = field(default_factory=lambda: _empty(SUPPLIED_COLUMNS))
    quarantine: pd.DataFrame = field(default_factory=lambda: _empty(QUARANTINE_COLUMNS))
    accounting: pd.DataFrame = field(default_factory=lambda: _empty(ACCOUNTING_COLUMNS))
    warnings: pd.DataFrame = field(default_factory=lambda: _empty(QUARANTINE_COLUMNS))
    facts: pd.DataFrame = field(default_factory=lambda: _empty(FACT_COLUMNS))
    return_counts: pd.DataFrame = field(default_factory=lambda: _empty(RETURN_COUNT_COLUMNS))

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def years(self) -> list[int]:
        """Year folders that were read, oldest first."""
        return sorted(int(y) for y in self.supplied["year"].unique())

    def has_input(self, input_name: str, year: int) -> bool:
        """Whether `input_name` (e.g. "reviews", "cin_census") was present in `year`'s own folder."""
        s = self.supplied
        hit = s[(s["year"] == year) & (s["input"] == input_name)]
        return bool(len(hit)) and bool(hit["present"].iloc[0])

    def years_with(self, input_name: str) -> list[int]:
        """Years whose own folder supplied `input_name`, oldest first."""
        s = self.supplied
        return sorted(
            int(y) for y in s.loc[(s["input"] == input_name) & s["present"].astype(bool), "year"]
        )
