"""A ReportContext made by hand for the report's unit tests: 2022, no data behind it unless
given, suppression at 5 and the registry's KPI definitions unless told otherwise."""

from __future__ import annotations

import pandas as pd

from iro_analysis.core.settings import Settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.report.context import ReportContext

HISTORY_COLUMNS = ["kpi_id", "year", "value", "numerator", "denominator"]


def report_context(
    history: pd.DataFrame | None = None,
    *,
    settings: Settings | None = None,
    dataset: object = None,
    breakdowns: dict | None = None,
    narrative: dict | None = None,
    definitions: dict | None = None,
    **more,
) -> ReportContext:
    """The context of 2022 with `history` (KPI rows; none by default) and the rest given."""
    return ReportContext(
        year=ReportingYear(2022),
        settings=Settings(suppression_threshold=5) if settings is None else settings,
        dataset=dataset,
        history=pd.DataFrame(columns=HISTORY_COLUMNS) if history is None else history,
        breakdowns=breakdowns or {},
        missing={},
        validation=None,
        narrative=narrative or {},
        parameters={},
        definitions=dict(KPI_DEFINITIONS) if definitions is None else definitions,
        **more,
    )
