"""docs/kpis.md, generated from the KPI registry: `python -m iro_analysis.report.kpi_docs`.

Every KPI is listed under the report section that shows it, with its id, title, unit,
direction, England comparison, inputs, definition (its function's docstring, the text the
report's appendix shows) and source. The file is never edited by hand; a test
(tests/test_kpi_registry.py) fails when it is not what this module writes.
`python -m iro_analysis.report.kpi_docs --check` exits 1 when it is out of date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.kpis.definitions import KpiDefinition
from iro_analysis.kpis.national import national_figures
from iro_analysis.kpis.registry import KPI_DEFINITIONS, population_rate_kpis

DOCS_FILE = paths.DOCS_DIR / "kpis.md"

_PREAMBLE = """\
# KPI definitions

<!-- Generated from the KPI registry by `python -m iro_analysis.report.kpi_docs`; do not edit.
     Each definition is the docstring of the KPI's function in src/iro_analysis/kpis/. -->

Every measure the annual report shows, by its stable id. `kpis.csv` for a year has the
columns `kpi_id, year, value, numerator, denominator, england, rating, rating_basis`
(numerator and denominator blank for counts). A KPI whose inputs were not supplied in the
year's own folder is absent, and the report says which data was missing, never zero. The
definitions below are the ones the report's appendix prints.

Conventions:

- Year Y runs from 1 April Y-1 to 31 March Y inclusive (`end` = 31 March Y).
- **Working days** are Monday to Friday except England & Wales bank holidays.
  `wd(a, b)` counts the working days after `a` up to and including `b` (`wd(a, a) = 0`);
  "within N working days of a" means `wd(a, b) <= N`.
- **Calendar months**: 31 August + 6 months = 28/29 February; "within 3 months of a"
  means `b <= a + 3 months`.
- Children on short breaks (903 legal status V3 or V4) are excluded from every
  looked-after measure, as in DfE statistics. Counts of children count distinct children.
- A percentage whose denominator is 0 is blank, with 0/0; percentages and ratios round
  half up to 1 decimal place (exact decimal arithmetic).
- **Direction** says whether a higher value is better, lower is better, or the count is
  neutral (context, not performance). **Headline** measures appear in the key messages.
- **England**: the measure of `src/iro_analysis/data/national_figures.csv` the KPI is
  compared with (see `docs/national-figures.md`); kpis.csv's `england` column holds its
  figure for the year where DfE published one. Counts have no England figure.
- Rates per 10,000 children ({population_rates}) divide by the council's
  mid-year population aged 0 to 17, the `child_population` setting for the year; without
  it they are not produced.

Ratings (`src/iro_analysis/kpis/ratings.py`): every measure with a direction (headline or
not) has a `rating` (GREEN, AMBER or RED) and the `rating_basis` it was rated on, the first
that applies:

1. a **target** the council sets (`targets` in the settings, KPI id to number): GREEN when
   met (at or above it when higher is better, at or below when lower is better), AMBER
   when missed by no more than the tolerance, else RED (basis e.g. "target 90%");
2. **England's figure** for the year: GREEN when better than England by more than the
   tolerance, AMBER when within it either side, RED when worse by more (e.g.
   "England 79.7%");
3. **last year's value**, counting only a real change: a percentage is GREEN (improved) or
   RED (worse) only when a two-sided two-proportion z-test on both years' numerators and
   denominators is significant at the 95% level, a rate, ratio or count only when it moved
   by more than 5% of last year's value (e.g. "last year 85.0%: a significant change
   (two-proportion z-test, p = 0.018)"); otherwise AMBER, basis "no significant change from
   last year (85.0%)" and the test.

The tolerance ("within 2 percentage points or 5%") is a difference of at most 2 percentage
points for percentages and at most 5% of the target or England figure for other measures.
A neutral measure, or one with none of these bases, has a blank rating and the basis
"no basis"; a blank value (0/0) has a blank rating and the basis "no value". A measure
with no direction that is not headline has neither.
"""


def _direction(d: KpiDefinition) -> str:
    return {True: "higher is better", False: "lower is better", None: "neutral"}[d.direction]


def _england(d: KpiDefinition) -> str:
    """The England measure, the years published and the latest publication, or "none"."""
    if d.england is None:
        return "none"
    nf = national_figures()
    rows = nf[nf["measure"] == d.england].sort_values("year")
    if rows.empty:
        return f"`{d.england}` (no figure published yet)"
    return f"`{d.england}`, {_years(rows['year'])} (latest: {rows['source'].iloc[-1]})"


def _years(values: Iterable[object]) -> str:
    """ "year 2020", "years 2019 to 2025" (no gap) or "years 2020 and 2025" (listed)."""
    ys = sorted({int(y) for y in values})  # type: ignore[call-overload]
    if len(ys) == 1:
        return f"year {ys[0]}"
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"years {ys[0]} to {ys[-1]}"
    return "years " + ", ".join(map(str, ys[:-1])) + f" and {ys[-1]}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _one(d: KpiDefinition) -> str:
    lines = [
        f"### `{d.id}`",
        "",
        f"**{d.title}**",
        "",
        "| | |",
        "|---|---|",
        f"| Unit | {d.unit} |",
        f"| Direction | {_direction(d)} |",
        f"| Headline | {'yes' if d.headline else 'no'} |",
        f"| England | {_cell(_england(d))} |",
        f"| Inputs | {', '.join(d.inputs)} |",
        f"| Source | {_cell(d.source)} |",
        "",
        " ".join(d.definition.split()),
        "",
    ]
    return "\n".join(lines)


def _per_code(pattern: str, group: list[KpiDefinition]) -> str:
    first = group[0]
    lines = [
        f"### `{pattern}`",
        "",
        f"Per-code counts, shown in the section's breakdowns rather than its table. Unit "
        f"{first.unit}; {_direction(first)}; inputs {', '.join(first.inputs)}; source: "
        f"{_cell(first.source)}.",
        "",
        "| id | measure | definition |",
        "|---|---|---|",
        *(f"| `{d.id}` | {_cell(d.title)} | {_cell(d.definition)} |" for d in group),
        "",
    ]
    return "\n".join(lines)


def _summary(defs: Iterable[KpiDefinition]) -> str:
    rows = [
        f"| `{d.id}` | {_cell(d.title)} | {d.unit} | {_direction(d)} | "
        f"{'yes' if d.headline else ''} | {'`' + d.england + '`' if d.england else ''} |"
        for d in defs
    ]
    return "\n".join(
        ["| id | measure | unit | direction | headline | England |", "|---|---|---|---|---|---|"]
        + rows
        + [""]
    )


def render() -> str:
    """docs/kpis.md as this registry writes it: sections in report order, KPIs in each
    section's table order, then its per-code KPIs grouped by pattern."""
    from iro_analysis.report.catalogue import SECTIONS

    rates = ", ".join(f"`{k}`" for k in population_rate_kpis())
    parts = [_PREAMBLE.replace("{population_rates}", rates)]
    known = {s.key for s in SECTIONS}
    others = sorted({d.section for d in KPI_DEFINITIONS.values()} - known)
    sections = [(s.key, s.title) for s in SECTIONS] + [(k, f"Section {k}") for k in others]
    for key, title in sections:
        defs = [d for d in KPI_DEFINITIONS.values() if d.section == key]
        if not defs:
            continue
        parts.append(f"## {title}\n\nReport section `{key}`.\n")
        parts.append(_summary(d for d in defs if not d.per_code))
        parts += [_one(d) for d in defs if not d.per_code]
        groups: dict[str, list[KpiDefinition]] = {}
        for d in defs:
            if d.per_code:
                groups.setdefault(d.pattern, []).append(d)
        parts += [_per_code(p, g) for p, g in groups.items()]
    return "\n".join(parts).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/kpis.md (or, with --check, exit 1 when it is out of date)."""
    ap = argparse.ArgumentParser(prog="python -m iro_analysis.report.kpi_docs", description=__doc__)
    ap.add_argument("--check", action="store_true", help="only check the file is current")
    ap.add_argument("--out", type=Path, default=DOCS_FILE, help="where to write (docs/kpis.md)")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        if not current:
            print(f"{args.out} is out of date: run python -m iro_analysis.report.kpi_docs")
        return 0 if current else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
