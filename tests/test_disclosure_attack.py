"""An attacker reads the published report and tries to recover every suppressed ("c") cell.

What the attacker knows is only what is printed: the tables (breakdowns, the data behind
each chart, the appendix's KPI values) and the headline figures (`span[data-kpi]`). A "c"
cell is *recovered* when:

- it is the only "c" in a column whose total is known. Every count column's total is
  taken as known (conservative: the number of IROs, of reviews coded PN1-PN7, ... can be
  found elsewhere); where the report prints the matching headline (children looked after
  at 31 March for the looked-after breakdowns, ...) its value is used, and so is a
  headline total recovered from a printed percentage and its printed denominator
  (rearranged meetings = meetings_rearranged_pct x meetings_held);
- the "c" cells of a column with a known total must all be 1 (they add up to as many as
  there are; zeros are shown, so a "c" is at least 1 unless the whole column is "c");
- a printed percentage (or ratio) sits beside it with its printed denominator: the count
  is the percentage times the denominator (and a printed percentage of a printed count
  recovers a "c" denominator).

The appendix prints the per-code KPIs (participation codes, categories of abuse, dispute
themes) that are cells of breakdown tables: the attacker merges both before attacking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from iro_analysis import report
from iro_analysis.core.paths import annex_filename
from iro_analysis.core.settings import Settings
from iro_analysis.report.suppression import SUPPRESSED
from tests._context import report_context

from .conftest import REPORT_YEAR

# The headline each breakdown column adds up to, as the report prints it: a KPI id, or a
# (percentage KPI, denominator KPI) pair whose printed figures give the total.
HEADLINES: dict[str, dict[str, object]] = {
    "cla_by_age_band": {"Number": "cla_at_31_march"},
    "cla_by_sex": {"Number": "cla_at_31_march"},
    "cla_by_ethnicity_group": {"Number": "cla_at_31_march"},
    "cla_by_legal_status": {"Number": "cla_at_31_march"},
    "cla_by_placement": {"Number": "cla_at_31_march"},
    "participation_by_code": {"Number": "cla_reviews_held"},
    "participation_by_age_band": {"Reviews": "cla_reviews_held"},
    "cp_by_category": {"Number": "cp_plans_at_31_march"},
    "drp_by_theme": {"Number": "drp_raised"},
    "drp_by_stage": {"Number": "drp_raised"},
    "meetings_by_type": {
        "Held": "meetings_held",
        "Rearranged": ("meetings_rearranged_pct", "meetings_held"),
        "Pre-meeting visit": ("pre_meeting_visit_pct", "meetings_held"),
        "Advocate involved": ("advocacy_pct", "meetings_held"),
    },
    "rearranged_by_reason": {"Number": ("meetings_rearranged_pct", "meetings_held")},
}

# Appendix KPI ids that are cells of a breakdown: (breakdown, how the row is found).
APPENDIX_CELLS = {
    "cla_participation_pn": ("participation_by_code", "code"),
    "cp_category_": ("cp_by_category", "label"),
    "drp_theme_": ("drp_by_theme", "label"),
}


def _number(text: str) -> float | None:
    t = text.strip().replace(",", "").removesuffix("%")
    try:
        return float(t)
    except ValueError:
        return None


def _pct(n: int, d: int) -> float:
    q = Decimal(n) * 100 / Decimal(d)
    return float(q.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class Printed:
    """One breakdown as the attacker sees it: cells by column header, row by row."""

    name: str
    view: report.BreakdownView
    rows: list[dict[str, str]] = field(default_factory=list)


def read_report(html: str) -> tuple[dict[str, Printed], dict[str, str], list[list[str]]]:
    """Breakdown tables (by name; a chart's data table and a plain table alike), headline
    figures printed as `span[data-kpi]`, and the appendix's KPI rows."""
    soup = BeautifulSoup(html, "html.parser")
    by_caption = {v.caption: k for k, v in report.BREAKDOWNS.items()}
    tables: dict[str, Printed] = {}
    appendix: list[list[str]] = []
    for t in soup.find_all("table"):
        cap = t.caption.get_text(strip=True) if t.caption else ""
        cap = cap.removeprefix("Data behind the chart: ")
        headers = [th.get_text(strip=True) for th in t.select("thead th")]
        body = [
            [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
            for tr in t.select("tbody tr")
        ]
        if cap == "KPI values and definitions":
            appendix = body
        elif cap in by_caption:
            name = by_caption[cap]
            p = tables.setdefault(name, Printed(name, report.BREAKDOWNS[name]))
            p.rows = [dict(zip(headers, r, strict=True)) for r in body]
    headlines: dict[str, str] = {}
    for s in soup.select("span[data-kpi]"):
        headlines.setdefault(s["data-kpi"], s.get_text(strip=True))
    return tables, headlines, appendix


def _merge_appendix(tables: dict[str, Printed], appendix: list[list[str]]) -> None:
    """Fill a breakdown's "c" count with the appendix's printed value of the same cell."""
    for row in appendix:
        kpi_id, measure, value = row[0], row[1], row[2]
        prefix = next((p for p in APPENDIX_CELLS if kpi_id.startswith(p)), None)
        if prefix is None or value == SUPPRESSED:
            continue
        name, how = APPENDIX_CELLS[prefix]
        if name not in tables:
            continue
        if how == "code":
            key, col = re.search(r"coded (PN\d)", measure).group(1), "Code"
        else:
            key = measure.rsplit(": ", 1)[1]
            col = next(c.header for c in tables[name].view.columns if c.kind == "label")
        for r in tables[name].rows:
            if r.get(col) == key and r.get("Number") == SUPPRESSED:
                r["Number"] = value + " (from the appendix)"


def _headline_total(spec: object, headlines: dict[str, str]) -> int | None:
    """A column total the report prints (directly, or as a percentage of a printed count)."""
    if isinstance(spec, str):
        v = _number(headlines.get(spec, ""))
        return None if v is None else int(v)
    pct_id, den_id = spec  # type: ignore[misc]
    pct, den = _number(headlines.get(pct_id, "")), _number(headlines.get(den_id, ""))
    if pct is None or den is None or den == 0:
        return None
    hits = [n for n in range(int(den) + 1) if _pct(n, int(den)) == pct]
    return hits[0] if len(hits) == 1 else None


def attack(
    tables: dict[str, Printed], headlines: dict[str, str], appendix: list[list[str]] = ()
) -> list[str]:
    """Every suppressed cell recoverable from what is printed, described."""
    _merge_appendix(tables, list(appendix))
    found: list[str] = []
    for name, p in tables.items():
        if not p.rows:
            continue
        names = {c.name: c.header for c in p.view.columns}
        label = next(c.header for c in p.view.columns if c.kind == "label")
        # 1. Columns whose total is known.
        for c in p.view.columns:
            if c.kind != "count" or c.header not in p.rows[0]:
                continue
            cells = [r[c.header] for r in p.rows]
            hidden = [i for i, v in enumerate(cells) if v == SUPPRESSED]
            if not hidden:
                continue
            where = f"{name}: column {c.header!r}"
            if len(hidden) == 1:
                found.append(f"{where}, row {p.rows[hidden[0]][label]!r}: the only c")
                continue
            spec = HEADLINES.get(name, {}).get(c.header)
            total = None if spec is None else _headline_total(spec, headlines)
            if total is None:
                continue
            shown = sum(int(_number(v.split(" ")[0])) for v in cells if v != SUPPRESSED)
            rest = total - shown
            all_hidden = len(hidden) == len(cells)
            if not all_hidden and rest == len(hidden):
                found.append(f"{where}: its {len(hidden)} c cells add up to {rest}: all 1")
        # 2. Percentages and ratios printed beside a suppressed count or denominator.
        for c in p.view.columns:
            if c.kind not in ("percent", "ratio") or c.header not in p.rows[0]:
                continue
            base = names[c.base]
            den = names.get(c.den) if c.den else None
            for r in p.rows:
                if r[c.header] in (SUPPRESSED, ""):
                    continue
                b_hidden = r[base] == SUPPRESSED
                d_hidden = den is not None and r[den] == SUPPRESSED
                if b_hidden and not d_hidden:
                    found.append(f"{name}, row {r[label]!r}: {c.header} {r[c.header]} of c")
                elif d_hidden and not b_hidden and _number(r[base]) not in (None, 0.0):
                    found.append(f"{name}, row {r[label]!r}: {c.header} reveals {den}")
    return found


# --------------------------------------------------------------------------------------
# The built report of the small demo council
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_html(built_report) -> str:
    """The session's built report (`built_report`, built without its PDF where headless
    Chromium is missing) and its technical annex (the appendix's KPI values), as one page to
    attack."""
    path = built_report
    annex = Path(path).with_name(annex_filename(REPORT_YEAR))
    return Path(path).read_text(encoding="utf-8") + annex.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def published(report_html: str):
    return read_report(report_html)


@pytest.mark.slow
def test_no_suppressed_cell_can_be_recovered_from_the_built_report(published):
    tables, headlines, appendix = published
    assert len(tables) >= 10, sorted(tables)  # the attacker found the breakdowns
    assert "cla_at_31_march" in headlines and appendix
    assert any(SUPPRESSED in r.values() for p in tables.values() for r in p.rows), (
        "the small council should have suppressed cells to attack"
    )
    assert attack(tables, headlines, appendix) == []


@pytest.mark.slow
def test_no_iro_is_described_one_by_one(report_html: str):
    soup = BeautifulSoup(report_html, "html.parser")
    headers = {th.get_text(strip=True) for th in soup.select("thead th")}
    assert not headers & {"IRO", "FTE", "Children per FTE"}
    assert not re.search(r"\bIRO [A-Z]{1,2}\b", soup.get_text())
    captions = [c.get_text(strip=True) for c in soup.find_all("caption")]
    assert any("looked-after children per full-time" in c.lower() for c in captions)


# --------------------------------------------------------------------------------------
# Hand-built breakdowns: the attacker against `breakdown_block` on small tables
# --------------------------------------------------------------------------------------


def _ctx(name: str, df: pd.DataFrame, threshold: int = 5) -> report.ReportContext:
    settings = Settings(suppression_threshold=threshold)
    return report_context(settings=settings, breakdowns={name: df}, definitions={})


def _share(category: str, labels: list[str], counts: list[int]) -> pd.DataFrame:
    total = sum(counts)
    return pd.DataFrame(
        {
            category: labels,
            "count": counts,
            "percent": [round(100 * c / total, 1) if total else None for c in counts],
        }
    )


ETHNICITY = ["White", "Mixed", "Asian", "Black", "Other", "Refused or not obtained"]

SMALL_TABLES = {
    "one c beside the headline (380 + c = 381)": [370, 10, 0, 0, 0, 1],
    "one c beside zeros only": [0, 0, 3, 0, 0, 0],
    "two c of 1 (all ones)": [1, 1, 0, 0, 0, 0],
    "two c adding to a small number": [40, 2, 2, 0, 0, 0],
    "c between ties": [40, 9, 9, 3, 0, 0],
    "every count small": [2, 3, 1, 4, 5, 2],
    "nothing small": [200, 40, 30, 20, 10, 6],
}


@pytest.mark.parametrize("counts", SMALL_TABLES.values(), ids=SMALL_TABLES.keys())
@pytest.mark.parametrize("chart", [True, False])
def test_no_suppressed_cell_can_be_recovered_from_a_small_breakdown(counts, chart):
    df = _share("ethnicity_group", ETHNICITY, counts)
    html = report.breakdown_block(
        _ctx("cla_by_ethnicity_group", df), "cla_by_ethnicity_group", chart=chart
    )
    tables, _, _ = read_report(html)
    headlines = {"cla_at_31_march": f"{sum(counts):,}"}
    assert attack(tables, headlines) == []
    if counts == SMALL_TABLES["nothing small"]:
        assert SUPPRESSED not in tables["cla_by_ethnicity_group"].rows[0].values()


def test_no_count_recoverable_from_a_percentage_of_a_suppressed_denominator():
    df = pd.DataFrame(
        {
            "meeting_type": ["CLA_REVIEW", "ICPC", "RCPC"],
            "label": ["Looked-after review", "Initial conference", "Review conference"],
            "held": [300, 4, 60],
            "rearranged": [30, 0, 12],
            "pre_meeting_visit": [200, 3, 40],
            "advocacy": [20, 0, 6],
        }
    )
    for col in ("rearranged", "pre_meeting_visit", "advocacy"):
        df[f"{col}_percent"] = [
            round(100 * n / d, 1) for n, d in zip(df[col], df["held"], strict=True)
        ]
    html = report.breakdown_block(_ctx("meetings_by_type", df), "meetings_by_type")
    tables, _, _ = read_report(html)
    assert attack(tables, {"meetings_held": "364"}) == []


def test_the_attacker_finds_what_primary_suppression_alone_leaves():
    # The attacker itself: one c beside the headline, and a percentage of a c.
    view = report.BREAKDOWNS["cla_by_ethnicity_group"]
    p = Printed("cla_by_ethnicity_group", view)
    p.rows = [
        {"Ethnicity": "White", "Number": "380", "Percent": "99.7%"},
        {"Ethnicity": "Other", "Number": SUPPRESSED, "Percent": "0.3%"},
    ]
    found = attack({"cla_by_ethnicity_group": p}, {"cla_at_31_march": "381"})
    assert any("the only c" in f for f in found)
    assert any("Percent 0.3% of c" in f for f in found)
    p.rows = [
        {"Ethnicity": "White", "Number": "380", "Percent": "99.5%"},
        {"Ethnicity": "Mixed", "Number": SUPPRESSED, "Percent": SUPPRESSED},
        {"Ethnicity": "Other", "Number": SUPPRESSED, "Percent": SUPPRESSED},
    ]
    assert attack({"cla_by_ethnicity_group": p}, {"cla_at_31_march": "382"}) == [
        "cla_by_ethnicity_group: column 'Number': its 2 c cells add up to 2: all 1"
    ]


def test_the_attacker_reads_the_appendix_into_the_breakdown():
    # The appendix printing a cell the breakdown hides undoes the breakdown's protection.
    view = report.BREAKDOWNS["cp_by_category"]
    p = Printed("cp_by_category", view)
    p.rows = [
        {"Category": "Neglect", "Number": "128", "Percent": "50.4%"},
        {"Category": "Sexual abuse", "Number": SUPPRESSED, "Percent": SUPPRESSED},
        {"Category": "Multiple categories", "Number": SUPPRESSED, "Percent": SUPPRESSED},
    ]
    appendix = [
        ["cp_category_sab", "Child protection plans open at 31 March: Sexual abuse", "8"],
        ["cp_category_mul", "Child protection plans open at 31 March: Multiple categories", "c"],
    ]
    found = attack({"cp_by_category": p}, {"cp_plans_at_31_march": "137"}, appendix)
    assert found == ["cp_by_category: column 'Number', row 'Multiple categories': the only c"]
