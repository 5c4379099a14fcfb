"""DfE's consistency rules within a year's returns (issue #29): warnings on rows that are
kept, counted in the technical annex by file and rule, never naming a child.

- `overlapping_episodes`: an episode of the year's 903 that starts before the latest DEC
  of the child's earlier episodes in the same file, or while one of them is still open:
  DfE's 903 validator rejects it (lac_validator rules 501 and 142, data-to-insight/
  csc-validator-be-903). Every episode counts here, short breaks included, as the
  validator checks them; the KPI engine makes overlapping episodes one period of care
  (`ingest.periods`).
- `dob_differs_903_census`, `sex_differs_903_census`: a child in both the year's 903
  header and the year's CIN census whose date of birth, or sex, differs. Sex is compared
  on the analysis codes (the contract maps 903 SEX and census Sex or GenderCurrent to one
  vocabulary), and only where both say male or female: "not known" or "not specified"
  on one side is missing, not a disagreement. Each source keeps its own value; the figures
  read only the 903 header's (ages, the breakdowns by sex), never the census's.

The warning is on the row that is kept (an episode; the 903 header row), with a blank
value: the warnings table never holds a date of birth or a child's id.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.ingest.parts import Part
from iro_analysis.ingest.periods import overlapping, sort_episodes
from iro_analysis.ingest.rules import concat_failures, failure_rows

OVERLAPPING_EPISODES = "overlapping_episodes"
DOB_DIFFERS = "dob_differs_903_census"
SEX_DIFFERS = "sex_differs_903_census"
# The analysis codes of a known sex (1 male, 2 female); 0 and 9 are not known, not specified.
KNOWN_SEX = ("1", "2")
_ROW = "_row"


def _warn(part: Part, mask: pd.Series, column: str, rule: str) -> None:
    """Add warnings on the part's rows where `mask` (indexed by row id) holds."""
    blank = pd.Series("", index=mask.index, dtype="str")
    new = failure_rows(mask, column, rule, blank)
    part.warnings = concat_failures([part.warnings, new]).reset_index(drop=True)


def _overlaps(part: Part) -> None:
    kept = part.kept()
    if not len(kept):
        return
    ep = sort_episodes(kept[["CHILD", "DECOM", "DEC"]].rename_axis(_ROW).reset_index())
    mask = pd.Series(overlapping(ep).to_numpy(), index=ep[_ROW].to_numpy())
    _warn(part, mask, "DECOM", OVERLAPPING_EPISODES)


def _header_census(header: Part, census: list[Part]) -> None:
    kept = header.kept()
    children = [p.kept()[["LAchildID", "PersonBirthDate", "Sex"]] for p in census]
    children = [c for c in children if len(c)]
    if not len(kept) or not children:
        return
    cin = pd.concat(children, ignore_index=True).drop_duplicates("LAchildID", keep="last")
    both = (
        kept[["CHILD", "DOB", "SEX"]]
        .rename_axis(_ROW)
        .reset_index()
        .merge(cin, left_on="CHILD", right_on="LAchildID", how="inner")
    )
    if not len(both):
        return
    dob = pd.to_datetime(both["DOB"]).astype("datetime64[s]")
    birth = pd.to_datetime(both["PersonBirthDate"]).astype("datetime64[s]")
    dob_differs = (dob.notna() & birth.notna() & dob.ne(birth)).to_numpy(dtype=bool)
    known = both["SEX"].isin(KNOWN_SEX) & both["Sex"].isin(KNOWN_SEX)
    sex_differs = (known & both["SEX"].ne(both["Sex"])).to_numpy(dtype=bool)
    rows = both[_ROW].to_numpy()
    _warn(header, pd.Series(dob_differs, index=rows), "DOB", DOB_DIFFERS)
    _warn(header, pd.Series(sex_differs, index=rows), "SEX", SEX_DIFFERS)


def add_consistency_warnings(parts: list[Part]) -> None:
    """Add the warnings of DfE's consistency rules to each year's parts, on their kept rows
    (run after every rule that quarantines, so a quarantined row neither warns nor makes
    another row warn)."""
    for p in parts:
        if p.table == "episodes":
            _overlaps(p)
    for p in parts:
        if p.table == "header":
            _header_census(p, [c for c in parts if c.table == "cin_children" and c.year == p.year])
