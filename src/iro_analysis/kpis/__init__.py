"""The KPI engine: every KPI by its id (docs/kpis.md lists them), and the report's breakdowns.

- `compute_kpis(ds, year, settings=None, narrative_path=None)`: the kpis.csv frame
  (`kpi_id, year, value, numerator, denominator, england, rating, rating_basis`).
- `add_ratings(history, settings)`: England's figure and the headline KPIs' GREEN / AMBER /
  RED rating and its basis (kpis/ratings.py).
- `parse_progress(markdown_text)`: the narrative's "Progress against last year's
  priorities" items as (status, text) (kpis/priorities.py).
- `compute_breakdowns(ds, year, settings=None)`: the report's tidy breakdown tables.
- `KPI_DEFINITIONS`: kpi_id -> `KpiDefinition` (title, family, unit, definition, source,
  inputs), the one source of truth of the methodology appendix; each definition is the
  docstring of the KPI's function in its area module; each also declares its report
  `section`, `headline`, `direction` and `england` comparison. `kpis/registry.py` builds
  it from the area modules it lists (`AREAS`).
- `section_kpis(key)`, `headline_kpis()`: what the report's sections and key messages list.
- docs/kpis.md is generated from the registry: `python -m iro_analysis.report.kpi_docs`.
- `missing_inputs(ds, year)`, `write_kpis(df, path, format)`. The `kpis` command is `iro_analysis.pipeline.kpis_command`.

Area modules: cla, reviews, cp, disputes, meetings, workforce, education_health, oversight,
voice, independent_visitors, priorities.

This package's `__init__` is the analysts' API (`from iro_analysis.kpis import
compute_kpis`); modules of the package itself import from the module that defines a name.
"""

from iro_analysis.kpis.definitions import (
    KPI_COLUMNS,
    KPI_CSV_COLUMNS,
    KpiDefinition,
    rate,
    round_half_up,
)
from iro_analysis.kpis.engine import (
    compute_breakdowns,
    compute_kpis,
    format_kpis,
    missing_inputs,
    write_kpis,
)
from iro_analysis.kpis.priorities import parse_progress
from iro_analysis.kpis.ratings import add_ratings
from iro_analysis.kpis.registry import KPI_DEFINITIONS, headline_kpis, section_kpis

__all__ = [
    "KPI_COLUMNS",
    "KPI_CSV_COLUMNS",
    "KPI_DEFINITIONS",
    "KpiDefinition",
    "add_ratings",
    "compute_breakdowns",
    "compute_kpis",
    "format_kpis",
    "headline_kpis",
    "missing_inputs",
    "parse_progress",
    "rate",
    "round_half_up",
    "section_kpis",
    "write_kpis",
]
