"""The KPI registry: every KPI of the area modules listed in `AREAS`, by id.

A KPI is declared where it is computed (`@kpi` in its area module, `kpis/definitions.py`);
this module is the one place that says which modules hold KPIs and in what order, and
builds `KPI_DEFINITIONS` from them. A new KPI in an existing area module is picked up
with no other change; a new area module is added to `AREAS` (and its family to
`definitions.FAMILIES`).

Rows of kpis.csv follow `KPI_DEFINITIONS`: family order (`FAMILIES`), then the order in
which each area module defines its KPIs.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

import pandas as pd

from iro_analysis.core.errors import excerpt
from iro_analysis.core.settings import Settings, SettingsError
from iro_analysis.kpis import (
    cla,
    cp,
    disputes,
    education_health,
    independent_visitors,
    meetings,
    oversight,
    priorities,
    reviews,
    stability,
    voice,
    workforce,
)
from iro_analysis.kpis.definitions import (
    CHILD_POPULATION_PER,
    FAMILIES,
    KpiDefinition,
    Registration,
    frame,
    module_registrations,
)
from iro_analysis.kpis.national import national_value

# The modules that hold KPIs, in the order of FAMILIES (each holds one family's KPIs;
# stability holds the placement-stability measures of the looked-after family).
AREAS: tuple[ModuleType, ...] = (
    cla,
    stability,
    reviews,
    cp,
    disputes,
    meetings,
    workforce,
    education_health,
    oversight,
    voice,
    independent_visitors,
    priorities,
)


def build_registry(modules: Iterable[ModuleType]) -> dict[str, Registration]:
    """kpi_id -> Registration of every KPI the modules define, in family order (FAMILIES),
    definition order within a family. A KPI id defined twice, or a family not in
    FAMILIES, is a ValueError naming it."""
    rank = {f: i for i, f in enumerate(FAMILIES)}
    regs: list[Registration] = []
    seen: dict[str, str] = {}
    for module in modules:
        for reg in module_registrations(module):
            d = reg.definition
            if d.id in seen:
                raise ValueError(
                    f"KPI id {d.id} registered twice ({seen[d.id]} and {module.__name__})"
                )
            if d.family not in rank:
                raise ValueError(f"KPI {d.id}: family {d.family!r} is not in FAMILIES")
            seen[d.id] = module.__name__
            regs.append(reg)
    regs.sort(key=lambda r: rank[r.definition.family])  # stable: definition order kept
    return {r.definition.id: r for r in regs}


REGISTRY: dict[str, Registration] = build_registry(AREAS)
# kpi_id -> definition, in registry order (= the order of rows in kpis.csv).
KPI_DEFINITIONS: dict[str, KpiDefinition] = {k: r.definition for k, r in REGISTRY.items()}


def registered(family: str) -> list[Registration]:
    """The registrations of every KPI of `family`, in registry order."""
    return [r for r in REGISTRY.values() if r.definition.family == family]


def family_frame(ctx: Any, family: str, *, rated_only: bool = False) -> pd.DataFrame:
    """The kpis.csv rows of one family for the context's year (KPIs whose inputs were all
    supplied in the year's own folder); only the KPIs with a direction (those rated) with
    `rated_only`."""
    regs = registered(family)
    if rated_only:
        regs = [r for r in regs if r.definition.direction is not None]
    return frame(ctx, regs)


def section_kpis(section: str) -> tuple[str, ...]:
    """The ids of the KPIs a section's table lists: its KPIs that are not per-code, in
    `KPI_DEFINITIONS` order (family order, definition order within a family)."""
    return tuple(d.id for d in KPI_DEFINITIONS.values() if d.section == section and not d.per_code)


def headline_kpis() -> tuple[str, ...]:
    """The ids of the headline KPIs, in `KPI_DEFINITIONS` order."""
    return tuple(d.id for d in KPI_DEFINITIONS.values() if d.headline)


def rated_kpis() -> tuple[str, ...]:
    """The ids of the KPIs that carry a rating (kpis/ratings.py): every KPI with a direction
    (kpis-panel.md: "not only headline ones"; a neutral count or rate has no better or
    worse)."""
    return tuple(d.id for d in KPI_DEFINITIONS.values() if d.direction is not None)


def population_rate_kpis() -> tuple[str, ...]:
    """The rates per 10,000 children aged 0 to 17: their denominator is the council's
    `child_population` setting, not a figure from its returns (registry order)."""
    return tuple(d.id for d in KPI_DEFINITIONS.values() if d.per == CHILD_POPULATION_PER)


def ratio_per(kpi_id: str) -> int:
    """N of a ratio expressed per N (1 for a plain ratio or an unknown id, 100 for a
    percentage)."""
    d = KPI_DEFINITIONS.get(kpi_id)
    return 1 if d is None else d.per


def england_value(kpi_id: str, year: int) -> float | None:
    """England's published figure for the KPI `kpi_id` in `year`: the measure its
    registration names as `england` (None when it names none or DfE published none)."""
    d = KPI_DEFINITIONS.get(kpi_id)
    return None if d is None or d.england is None else national_value(d.england, year)


def check_targets(settings: Settings) -> None:
    """Settings `targets` name rated KPIs only (`rated_kpis`): a target on an unknown id,
    or on a KPI that is never rated (it would change nothing), is a SettingsError naming
    the settings file and the id."""
    at = f"{settings.source}: targets"
    for kpi_id in settings.targets:
        if kpi_id not in KPI_DEFINITIONS:
            raise SettingsError(
                f"{at}: {excerpt(kpi_id)} is not a KPI id (docs/kpis.md lists them, e.g. "
                f"{', '.join(list(KPI_DEFINITIONS)[:3])})"
            )
        if kpi_id not in rated_kpis():
            raise SettingsError(
                f"{at}: {excerpt(kpi_id)} is never rated (neither better higher nor lower), "
                "so a target would change nothing; targets rate the measures with a "
                f"direction, e.g. {', '.join(rated_kpis()[:3])} (docs/kpis.md lists them)"
            )
