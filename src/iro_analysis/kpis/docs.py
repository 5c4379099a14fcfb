"""docs/kpis.md, generated from the KPI registry: `python -m iro_analysis.kpis.docs`.

Every KPI is listed under the report section that shows it, with its id, title, unit,
direction, England comparison, inputs, definition (its function's docstring, the text the
report's appendix shows) and source. The file is never edited by hand; a test
(tests/test_kpi_registry.py) fails when it is not what this module writes.
`python -m iro_analysis.kpis.docs --check` exits 1 when it is out of date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from iro_analysis import paths
from iro_analysis.kpis import KPI_DEFINITIONS, KpiDefinition
from iro_analysis.kpis.national import national_figures

DOCS_FILE = paths.DOCS_DIR / "kpis.md"

_PREAMBLE = """\
# KPI definitions

<!-- Generated from the KPI registry by `python -m iro_analysis.kpis.docs`; do not edit.
     Each definition is the docstring of the KPI's function in src/iro_analysis/kpis/. -->

Every measure the annual report shows, by its stable id. `kpis.csv` for a year has the
columns `kpi_id, year, value, numerator, denominator` (numerator and denominator blank for
counts). A KPI whose inputs were not supplied in the year's own folder is absent, and the
report says which data was missing, never zero. The definitions below are the ones the
report's appendix prints.

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
  compared with (see `docs/national-figures.md`).
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
    first, last = int(rows["year"].iloc[0]), int(rows["year"].iloc[-1])
    years = f"years {first} to {last}" if last != first else f"year {first}"
    return f"`{d.england}`, {years} (latest: {rows['source'].iloc[-1]})"


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

    parts = [_PREAMBLE]
    for section in SECTIONS:
        defs = [d for d in KPI_DEFINITIONS.values() if d.section == section.key]
        if not defs:
            continue
        parts.append(f"## {section.title}\n\nReport section `{section.key}`.\n")
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
    ap = argparse.ArgumentParser(prog="python -m iro_analysis.kpis.docs", description=__doc__)
    ap.add_argument("--check", action="store_true", help="only check the file is current")
    ap.add_argument("--out", type=Path, default=DOCS_FILE, help="where to write (docs/kpis.md)")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        if not current:
            print(f"{args.out} is out of date: run python -m iro_analysis.kpis.docs")
        return 0 if current else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
