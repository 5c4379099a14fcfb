"""In-year KPIs for analysts: the KPIs the exception lists already measure, taken at a date
of the reporting year (`explore.kpis(ds, year, as_at=...)`).

Each is the KPI code's own function run on the as-at context (`as_at.AsAtContext`: `end`
is the date, "in the year" the 12 months up to it), so at 31 March each equals the
published KPI. The published kpis.csv and report are not touched: this is for exploring.

Supported (`IN_YEAR_KPIS`), as read at the as-at date D:

- `cla_at_31_march`: children looked after at D;
- `cla_reviews_overdue_at_31_march`: children looked after at D with a review overdue
  at D (the "overdue" of `reviews_overdue_or_due`);
- `cla_reviews_on_time_pct`: reviews held in the 12 months up to D that were on time;
- `icpc_within_15wd_pct`, `rcpc_on_time_pct`: conferences held in the 12 months up to D
  within timescale (the "held late" conferences of `conferences_out_of_timescale` are
  the denominator less the numerator);
- `drp_open_overdue_at_31_march`: disputes open at D for more than 20 working days;
- `pep_up_to_date_pct`: children looked after at D in the PEP cohort whose latest PEP is
  no more than 183 days old at D.

Every other KPI is a year's total, a rate per 10,000 or a workforce figure at 31 March
whose definition does not transfer to a date inside the year, and is not returned.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.analysts.as_at import as_at_context, check_as_at
from iro_analysis.core.errors import InputError
from iro_analysis.core.settings import Settings
from iro_analysis.ingest.dataset import Dataset

__all__ = ["IN_YEAR_KPIS", "in_year_kpis"]

IN_YEAR_KPIS: tuple[str, ...] = (
    "cla_at_31_march",
    "cla_reviews_overdue_at_31_march",
    "cla_reviews_on_time_pct",
    "icpc_within_15wd_pct",
    "rcpc_on_time_pct",
    "drp_open_overdue_at_31_march",
    "pep_up_to_date_pct",
)


def in_year_kpis(
    ds: Dataset, year: int, as_at: object, settings: Settings | None = None
) -> pd.DataFrame:
    """The KPIs of `IN_YEAR_KPIS` whose inputs were supplied, taken at `as_at` (a date in the
    reporting year `year`): kpi_id (index), title, year, value, numerator, denominator,
    as_at; titles read "at <date>" for "at 31 March". An `as_at` outside the year, or not
    a date, is a ValueError naming it and the year."""
    from iro_analysis.kpis.definitions import frame
    from iro_analysis.kpis.registry import KPI_DEFINITIONS, REGISTRY

    try:
        when = check_as_at(int(year), as_at)
    except InputError as e:
        message = str(e).replace("--as-at", "as_at").replace("another --year", "another year")
        raise ValueError(message) from e
    ctx = as_at_context(ds, int(year), when, settings)
    df = frame(ctx, [REGISTRY[k] for k in IN_YEAR_KPIS])
    on = f"at {when.day} {when:%B %Y}"
    df.insert(
        1, "title", [KPI_DEFINITIONS[k].title.replace("at 31 March", on) for k in df["kpi_id"]]
    )
    df["as_at"] = when
    return df.set_index("kpi_id")
