"""Managers' exception lists: the children to act on at a named date (child-level, restricted).

Five lists, each a pure function of a KPI context whose `end` is the as-at date (see
`as_at_context`), each returning one row per item to act on with the child's id, the dates
that matter, how far past its timescale it is and the IRO where known:

- `reviews_overdue_or_due`: looked-after reviews overdue at the date, or due within the
  next 20 working days (Care Planning Regulations 2010, reg. 33);
- `conferences_out_of_timescale`: initial and review child protection conferences held
  late in the 12 months up to the date, or overdue and not yet held (Working Together);
- `disputes_open_overdue`: disputes open at the date for more than 20 working days;
- `pn7_last_two_reviews`: looked-after children whose last two reviews were coded PN7
  (did not attend, no views conveyed);
- `no_recent_pep`: looked-after children of the PEP cohort (aged 5 to 15) whose latest PEP
  is more than 183 days old, or who have none.

Every timescale is the package's own: due dates and overdue flags come from
`iro_analysis.kpis.timescales` and the KPI context (`KpiContext.overdue`,
`kpis.education_health.pep_cohort`, `kpis.disputes.open_at_end`), so at 31 March each list
agrees with the matching KPI (`cla_reviews_overdue_at_31_march`,
`drp_open_overdue_at_31_march`, `icpc_within_15wd_pct`, `rcpc_on_time_pct`,
`pep_up_to_date_pct`). The readings the lists add are written in each function's
docstring and in docs/analysts-guide.md.

`iro-analysis exceptions --year YEAR [--as-at YYYY-MM-DD]` (and `make exceptions YEAR=...`)
writes them as one Excel workbook and one CSV per list to `restricted/<YEAR>/exceptions/`,
never under reports/: they name children.

This module is the public face and the command; the code lives in `as_at` (the as-at
date and shared helpers), `looked_after_lists` (reviews, PN7, PEPs), `cp_dispute_lists`
(conferences, disputes), `exception_set` (`EXCEPTION_LISTS`) and `exception_output`
(workbook and CSVs). Every public name is importable from here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from iro_analysis.analysts.as_at import (
    AsAtContext,
    as_at_context,
    check_as_at,
    iro_allocation,
)
from iro_analysis.analysts.cp_dispute_lists import (
    CONFERENCE_COLUMNS,
    DISPUTE_COLUMNS,
    conferences_out_of_timescale,
    disputes_open_overdue,
)
from iro_analysis.analysts.exception_output import (
    DATE_FORMAT,
    EXCEPTIONS_FOLDER,
    RESTRICTED_NOTE,
    check_not_published,
    csv_name,
    exceptions_dir,
    workbook_name,
    write_exception_lists,
    write_workbook,
)
from iro_analysis.analysts.exception_set import (
    EXCEPTION_LISTS,
    ExceptionList,
    exception_lists,
    missing_inputs,
    summary,
)
from iro_analysis.analysts.looked_after_lists import (
    DUE_SOON_WORKING_DAYS,
    PEP_COLUMNS,
    PN7,
    PN7_COLUMNS,
    REVIEW_COLUMNS,
    no_recent_pep,
    pn7_last_two_reviews,
    reviews_overdue_or_due,
)
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.core.settings import settings_or_defaults


def cli_main(args: argparse.Namespace) -> int:
    """`iro-analysis exceptions --year YEAR [--as-at YYYY-MM-DD] [--raw-dir] [--processed-dir]
    [--restricted-dir]`: write the year's exception lists to
    `<restricted>/<YEAR>/exceptions/`. Refuses a restricted folder inside the reports
    folder. Uses the processed data when it is current with the raw folders, else cleans
    first (`explore.load_year`)."""
    from iro_analysis.analysts.explore import load_year

    settings = settings_or_defaults(getattr(args, "settings", None))
    year = int(args.year)
    as_at = check_as_at(year, getattr(args, "as_at", None))
    restricted = Path(getattr(args, "restricted_dir", None) or settings.paths.restricted)
    check_not_published(restricted, [Path(settings.paths.reports), paths.REPORTS_DIR])
    raw_dir = Path(args.raw_dir) if getattr(args, "raw_dir", None) else settings.paths.raw
    processed = getattr(args, "processed_dir", None) or settings.paths.processed
    if not paths.raw_year_dir(year, raw_dir).is_dir():
        have = paths.available_years(raw_dir)
        raise InputError(
            f"no raw folder for {year} at {paths.raw_year_dir(year, raw_dir)}; years available: "
            + (", ".join(map(str, have)) if have else "none (run `make data` for the demo)")
        )
    ds = load_year(year, raw_dir, processed, settings)
    ctx = as_at_context(ds, year, as_at, settings)
    lists = exception_lists(ctx)
    if not lists:
        gaps = "; ".join(f"{k}: {', '.join(v)}" for k, v in missing_inputs(ctx).items())
        raise InputError(f"the data for {year} supports no exception list (missing: {gaps})")
    out = exceptions_dir(year, restricted)
    check_not_published(out, [Path(settings.paths.reports), paths.REPORTS_DIR])  # via links
    written = write_exception_lists(ctx, lists, out)
    print(f"Exception lists at {as_at.date()} (restricted: child-level) in {out}:")
    for row in summary(lists).itertuples(index=False):
        print(f"  {row.sheet}: {row.children} children, {row.rows} rows")
    for key, gaps in missing_inputs(ctx).items():
        print(f"  {EXCEPTION_LISTS[key].sheet}: not produced ({', '.join(gaps)} not supplied)")
    print(f"Workbook: {written['workbook']}")
    return 0


__all__ = [
    "AsAtContext",
    "CONFERENCE_COLUMNS",
    "DATE_FORMAT",
    "DISPUTE_COLUMNS",
    "DUE_SOON_WORKING_DAYS",
    "EXCEPTIONS_FOLDER",
    "EXCEPTION_LISTS",
    "ExceptionList",
    "PEP_COLUMNS",
    "PN7",
    "PN7_COLUMNS",
    "RESTRICTED_NOTE",
    "REVIEW_COLUMNS",
    "as_at_context",
    "check_as_at",
    "check_not_published",
    "cli_main",
    "conferences_out_of_timescale",
    "csv_name",
    "disputes_open_overdue",
    "exception_lists",
    "exceptions_dir",
    "iro_allocation",
    "missing_inputs",
    "no_recent_pep",
    "pn7_last_two_reviews",
    "reviews_overdue_or_due",
    "summary",
    "workbook_name",
    "write_exception_lists",
    "write_workbook",
]
