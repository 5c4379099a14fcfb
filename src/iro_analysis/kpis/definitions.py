"""How a KPI is declared: the `@kpi` decorator, its definition, and the rows it makes.

Every KPI is a small function in its area module (cla, reviews, cp, disputes, meetings,
workforce, education_health, ...) decorated with `@kpi(...)`. The decorator records the id,
a title a councillor can read, the family, the unit, the source, the inputs it needs and
how the report presents it (its report `section`, whether it is a `headline` measure, its
`direction` and the `england` figure it is compared with); the *definition text is the
function's docstring*, so the rule is written once and the methodology appendix (which
renders `KPI_DEFINITIONS`), `docs/kpis.md` (`python -m iro_analysis.report.kpi_docs`) and the
report's section tables (`report/catalogue.py`) cannot disagree with the code. Per-code
KPIs (participation PN0-PN7, CP categories, dispute themes) are one function registered
once per code; their docstrings carry `{code}`/`{label}` placeholders filled in for each
id.

The decorator changes no global state: it attaches the function's registrations to the
function (`Registration`), and `kpis/registry.py` collects them from the area modules it
names, in order. Nothing is registered by importing a module.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import ModuleType
from typing import Any, Literal

import pandas as pd

Unit = Literal["count", "percent", "ratio"]

FAMILY_CLA = "Children looked after"
FAMILY_REVIEWS = "Looked-after reviews"
FAMILY_CP = "Child protection"
FAMILY_DISPUTES = "Disputes"
FAMILY_MEETINGS = "Meetings"
FAMILY_WORKFORCE = "Workforce"
FAMILY_EDUCATION_HEALTH = "Education and health"
FAMILY_OVERSIGHT = "Oversight between reviews"
FAMILY_VOICE = "Feedback"
FAMILY_INDEPENDENT_VISITORS = "Independent visitors"
FAMILY_PROGRESS = "Progress against priorities"

FAMILIES = (
    FAMILY_CLA,
    FAMILY_REVIEWS,
    FAMILY_CP,
    FAMILY_DISPUTES,
    FAMILY_MEETINGS,
    FAMILY_WORKFORCE,
    FAMILY_EDUCATION_HEALTH,
    FAMILY_OVERSIGHT,
    FAMILY_VOICE,
    FAMILY_INDEPENDENT_VISITORS,
    FAMILY_PROGRESS,
)

# The columns each area computes; kpis.csv adds RATING_COLUMNS (kpis/ratings.py).
KPI_COLUMNS = ("kpi_id", "year", "value", "numerator", "denominator")
RATING_COLUMNS = ("england", "rating", "rating_basis")
KPI_CSV_COLUMNS = KPI_COLUMNS + RATING_COLUMNS

# Inputs that are not data files of the Dataset: "narrative" is the year's narrative
# (reports/narrative/<YEAR>.md, KpiContext.narrative_path). missing_inputs leaves them out.
NON_DATA_INPUTS = ("narrative",)


@dataclass(frozen=True)
class KpiDefinition:
    """A KPI as the methodology appendix, docs/kpis.md and the report's sections show it.

    `section` is the key of the report section (report/catalogue.py SECTIONS) whose table
    lists it, or whose breakdowns show it for per-code KPIs (`pattern` non-empty).
    `headline`: a measure of the key messages and trend charts. `direction`: True when a
    higher value is better, False when lower is better, None for a neutral count.
    `england`: the measure key of England's published figure (data/national_figures.csv,
    kpis/national.py), or None when there is none to compare with. `per`: a ratio's N
    when it is expressed per N (100 for a percentage, 10,000 for a rate per 10,000
    children, 1 for a plain ratio or a count). `phrase`: a headline KPI's words after its
    figure in the summary ("{figure} {phrase}"), e.g. "of disputes were resolved within 20
    working days"; "" for a KPI that is not a headline measure.
    """

    id: str
    title: str
    family: str
    unit: Unit
    definition: str
    source: str
    inputs: tuple[str, ...]
    section: str
    pattern: str = ""  # e.g. "drp_theme_<THEME>" for per-code KPIs, "" otherwise
    headline: bool = False
    direction: bool | None = None
    england: str | None = None
    per: int = 1
    phrase: str = ""

    @property
    def per_code(self) -> bool:
        """A per-code count (participation code, CP category, dispute theme): shown in its
        section's breakdowns, not its KPI table."""
        return bool(self.pattern)


@dataclass(frozen=True)
class Registration:
    """One KPI id of a decorated function: its definition, the function and the keyword
    arguments of its variant (a per-code KPI is one function registered once per code)."""

    definition: KpiDefinition
    func: Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)


REGISTRATIONS = "kpi_registrations"  # the attribute `@kpi` sets on a KPI function


def kpi(
    kpi_id: str,
    *,
    title: str,
    family: str,
    unit: Unit,
    source: str,
    inputs: tuple[str, ...],
    section: str,
    headline: bool = False,
    direction: bool | None = None,
    england: str | None = None,
    per: int | None = None,
    phrase: str = "",
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a KPI function; its docstring is the KPI's definition text.

    `section`, `headline`, `direction` and `england` say how the report presents it (see
    `KpiDefinition`); the report's section tables, docs/kpis.md and the appendix derive
    from them, so a new KPI needs only its function (in an area module the registry
    lists), its test and the regenerated docs. `per`: a ratio expressed per N (e.g. 100
    children looked after, 10,000 children); a percentage is per 100 by its unit.
    `phrase`: how the summary words a headline measure (required with `headline=True`).

    The function's `__doc__` then gains a "Source: ..." line (and the id and unit), so its
    docstring states the rule and its source while the rule is written once.

    With `variants` (id suffix -> keyword arguments), the function is registered once per
    variant as `kpi_id` with `<...>` replaced by the suffix (e.g. "cla_participation_<code>"
    with suffix "pn0"); title and docstring are formatted with the keyword arguments.
    The function takes the year's `KpiContext` (and the variant's keyword arguments) and
    returns an int (count), a (numerator, denominator) pair (percent or ratio), a number
    (ratio with no numerator/denominator), or None when the row is not produced.
    """
    if per is not None and unit != "ratio":
        raise ValueError(f"KPI {kpi_id}: only a ratio is expressed per N (unit is {unit})")
    if headline != bool(phrase.strip()):
        raise ValueError(
            f"KPI {kpi_id}: a headline measure needs a phrase for the summary, "
            "and only a headline measure has one"
        )
    n = 100 if unit == "percent" else (per or 1)

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        doc = inspect.cleandoc(func.__doc__ or "")
        if not doc:
            raise ValueError(f"KPI {kpi_id} needs a docstring stating its rule and source")
        items = variants.items() if variants else [("", {})]
        regs = []
        for suffix, kw in items:
            kid = _variant_id(kpi_id, suffix) if variants else kpi_id
            d = KpiDefinition(
                id=kid,
                title=title.format(**kw),
                family=family,
                unit=unit,
                definition=doc.format(**kw),
                source=source,
                inputs=tuple(inputs),
                section=section,
                pattern=kpi_id if variants else "",
                headline=headline,
                direction=direction,
                england=england,
                per=n,
                phrase=phrase.strip(),
            )
            regs.append(Registration(d, func, dict(kw)))
        setattr(func, REGISTRATIONS, tuple(regs))
        func.kpi_id = kpi_id  # type: ignore[attr-defined]
        # The docstring as help() and the API docs show it states the rule and its source.
        func.__doc__ = f"{doc}\n\nSource: {source}.\nKPI id: {kpi_id}; unit: {unit}."
        return func

    return register


def _variant_id(pattern: str, suffix: str) -> str:
    head, _, rest = pattern.partition("<")
    _, _, tail = rest.partition(">")
    return f"{head}{suffix}{tail}"


def module_registrations(module: ModuleType) -> list[Registration]:
    """The registrations of the KPI functions defined in `module`, in the order they are
    defined (a function's variants in their order)."""
    return [
        reg
        for obj in vars(module).values()
        if callable(obj) and getattr(obj, "__module__", None) == module.__name__
        for reg in getattr(obj, REGISTRATIONS, ())
    ]


# --------------------------------------------------------------------------------------
# Rounding and rows
# --------------------------------------------------------------------------------------

_ONE_DP = Decimal("0.1")


def _dec(x: float | int) -> Decimal:
    return Decimal(repr(float(x))) if isinstance(x, float) else Decimal(int(x))


def round_half_up(x: float | int | Decimal, places: int = 1) -> float:
    """Round half up (0.05 -> 0.1) with exact decimal arithmetic."""
    d = x if isinstance(x, Decimal) else _dec(x)
    return float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rate(numerator: float | int, denominator: float | int, per: int = 100) -> float | None:
    """`numerator / denominator × per`, rounded half up to 1 dp; None when the denominator is 0.

    Spec: "A percentage whose denominator is 0 has a blank value and 0/0; the row is still
    written. Percentages and ratios round half up to 1 decimal place (exact decimal
    arithmetic)."
    """
    if denominator == 0:
        return None
    q = _dec(numerator) * per / _dec(denominator)
    return float(q.quantize(_ONE_DP, rounding=ROUND_HALF_UP))


def make_row(d: KpiDefinition, year: int, result: Any) -> dict[str, Any] | None:
    """A kpis.csv row from a KPI function's result, by the KPI's unit (and its per N)."""
    if result is None:
        return None
    na = pd.NA
    if d.unit == "count":
        return {
            "kpi_id": d.id,
            "year": year,
            "value": int(result),
            "numerator": na,
            "denominator": na,
        }
    if isinstance(result, tuple):
        num, den = result
        value = rate(num, den, per=d.per)
        return {
            "kpi_id": d.id,
            "year": year,
            "value": na if value is None else value,
            "numerator": num,
            "denominator": den,
        }
    return {
        "kpi_id": d.id,
        "year": year,
        "value": round_half_up(result),
        "numerator": na,
        "denominator": na,
    }


# The per N of the rates per 10,000 children aged 0-17, whose denominator is the council's
# `child_population` setting (kpis/registry.py population_rate_kpis).
CHILD_POPULATION_PER = 10_000


def kpi_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as the kpis.csv frame with stable dtypes."""
    df = pd.DataFrame(rows, columns=list(KPI_COLUMNS))
    df["kpi_id"] = df["kpi_id"].astype("str")
    df["year"] = df["year"].astype("int64")
    for col in ("value", "numerator", "denominator"):
        df[col] = pd.to_numeric(df[col].astype("object"), errors="raise").astype("Float64")
    return df.reset_index(drop=True)


def frame(ctx: Any, registrations: Iterable[Registration]) -> pd.DataFrame:
    """The kpis.csv rows of `registrations` for the context's year (KPIs whose inputs were
    all supplied in the year's own folder), in their order."""
    rows = []
    for reg in registrations:
        d = reg.definition
        if ctx.has(*d.inputs):
            r = make_row(d, ctx.year, reg.func(ctx, **reg.kwargs))
            if r is not None:
                rows.append(r)
    return kpi_frame(rows)


def area_frame(ctx: Any, module_name: str) -> pd.DataFrame:
    """The kpis.csv rows of the KPIs defined in the area module `module_name` (an area
    module's `kpis(ctx)`)."""
    return frame(ctx, module_registrations(sys.modules[module_name]))
