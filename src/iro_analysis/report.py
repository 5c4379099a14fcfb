"""The IRO annual report: context, sections, outputs and the build orchestration.

`make report YEAR=2022` runs `build_report(2022)`: papermill executes the clean, validate
and annual-report notebooks into a staging folder, nbconvert turns the report notebook
into one self-contained HTML file with the project's template, and only when every step
has succeeded does the staging folder replace `reports/<YEAR>/`, so a failed build leaves
the previous good report in place.

Notebooks stay thin: `check_parameters`, `prepare` and `show` are all they call.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from markupsafe import escape

from iro_analysis import paths
from iro_analysis.errors import IroAnalysisError
from iro_analysis.settings import Settings, load_settings
from iro_analysis.years import ReportingYear, check_year

REPORT_NOTEBOOK = "03_annual_report.ipynb"
TRENDS_NOTEBOOK = "04_trends.ipynb"
CLEAN_NOTEBOOK = "01_clean.ipynb"
VALIDATE_NOTEBOOK = "02_validate.ipynb"
KERNEL = "iro-analysis"  # the project's own kernel (make setup installs it into .venv)


class BuildError(IroAnalysisError):
    """A build step failed: names the step and, for a notebook, the cell."""


def report_filename(year: int) -> str:
    """`iro-annual-report-2021-22.html` for 2022."""
    return f"iro-annual-report-{ReportingYear(year).slug}.html"


# What `reports/<YEAR>/` may hold: the report, aggregates and metadata, nothing about a
# child. Patterns (fnmatch, "*" within one folder) of paths relative to the year folder;
# `_publish` refuses a staged file, link or folder that matches none. Child-level and
# analyst-only outputs (executed notebooks, exact KPIs, full validation results, Data
# Docs) go to `restricted/<YEAR>/` instead.
PUBLISHED = (
    "iro-annual-report-[0-9][0-9][0-9][0-9]-[0-9][0-9].html",
    "iro-annual-report-[0-9][0-9][0-9][0-9]-[0-9][0-9].pdf",
    "kpis.csv",  # per-code KPIs the report shows as c are c (exact: restricted/<YEAR>/)
    "kpis.xlsx",  # the same; its "All years" sheet leaves per-code KPIs out
    "manifest.json",
    "validation.json",
    "data-quality.html",
    "screenshots/*.png",  # `iro-analysis check`: pictures of the published report
)
# What `reports/trends/` may hold (its executed notebook goes to `restricted/trends/`).
PUBLISHED_TRENDS = ("iro-trends.html",)


# --------------------------------------------------------------------------------------
# Sections, in the order councils present them.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A report section. Sections with KPIs render the same way: a table of the KPIs over
    the years, `trends` as line charts, then each `breakdowns` entry (heading, breakdown
    name) under its own h3. Sections with bespoke content have a renderer in `_BODIES`."""

    key: str
    title: str
    kpis: tuple[str, ...] = ()
    intro: str = ""
    table_caption: str = ""
    trends: tuple[str, ...] = ()
    breakdowns: tuple[tuple[str, str], ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("key_messages", "Key messages"),
    Section(
        "iro_service",
        "The IRO service",
        ("iro_fte_at_31_march", "iro_caseload_per_fte"),
        "Independent Reviewing Officers (IROs) chair the statutory reviews of every looked-after child "
        "and the council's child protection conferences. Their role, set by the Children Act 1989 "
        "(s.25A-25C) and the IRO Handbook (2010), is to make sure each child's plan meets their needs "
        "and that the child's wishes and feelings are heard. The IRO Handbook recommends a caseload of "
        "50 to 70 children per full-time IRO.",
        table_caption="IRO workforce and caseload at 31 March",
        trends=("iro_caseload_per_fte",),
        breakdowns=(("IRO caseloads", "caseload_bands"),),
    ),
    Section(
        "looked_after",
        "Children looked after",
        ("cla_at_31_march", "cla_during_year", "cla_started", "cla_ceased"),
        "Children looked after by the council, from the SSDA903 return. Children on short breaks "
        "(legal status V3 or V4) are excluded, as in DfE statistics.",
        table_caption="Children looked after",
        trends=("cla_at_31_march",),
        breakdowns=(
            ("By age", "cla_by_age_band"),
            ("By sex", "cla_by_sex"),
            ("By ethnicity", "cla_by_ethnicity_group"),
            ("By legal status", "cla_by_legal_status"),
            ("By placement type", "cla_by_placement"),
        ),
    ),
    Section(
        "reviews",
        "Looked-after reviews",
        (
            "cla_reviews_held",
            "cla_reviews_on_time_pct",
            "cla_reviews_not_assessable",
            "cla_children_reviews_on_time_pct",
            "cla_reviews_overdue_at_31_march",
            "cla_participation_pct",
        ),
        "Under the Care Planning, Placement and Case Review (England) Regulations 2010, reg. 33, a child's "
        "first review is due within 20 working days of entering care, the second within 3 months of the "
        "first, and later reviews at intervals of no more than 6 months.",
        table_caption="Looked-after reviews",
        trends=("cla_reviews_on_time_pct", "cla_participation_pct"),
        breakdowns=(
            ("Participation by code", "participation_by_code"),
            ("Participation by age", "participation_by_age_band"),
        ),
    ),
    Section(
        "child_protection",
        "Child protection",
        (
            "cp_plans_at_31_march",
            "cp_plans_started",
            "cp_plans_ended",
            "cp_repeat_plans_pct",
            "cp_plans_ended_2y_plus_pct",
            "icpc_held",
            "icpc_within_15wd_pct",
            "rcpc_held",
            "rcpc_on_time_pct",
        ),
        "Working Together to Safeguard Children sets the timescales: an initial child protection conference "
        "within 15 working days of the strategy discussion or the start of the Section 47 enquiry, the first "
        "review conference within 3 months of the plan starting and later ones at no more than 6-monthly intervals.",
        table_caption="Child protection plans and conferences",
        trends=("cp_plans_at_31_march", "icpc_within_15wd_pct"),
        breakdowns=(("Categories of abuse", "cp_by_category"),),
    ),
    Section(
        "disputes",
        "Dispute resolution",
        (
            "drp_raised",
            "drp_raised_per_100_cla",
            "drp_resolved_within_20wd_pct",
            "drp_escalated_pct",
            "drp_open_at_31_march",
            "drp_open_overdue_at_31_march",
        ),
        "IROs raise a dispute through the dispute resolution process (DRP) when they are concerned about a "
        "child's plan or its progress. Disputes start informally with the social worker or team manager "
        "(stage 1) and escalate to the service manager, head of service and director.",
        table_caption="Disputes raised by IROs",
        trends=("drp_raised", "drp_resolved_within_20wd_pct"),
        breakdowns=(("Themes", "drp_by_theme"), ("Escalation", "drp_by_stage")),
    ),
    Section(
        "meetings",
        "Meetings: rearranged, pre-meeting visits and advocacy",
        ("meetings_held", "meetings_rearranged_pct", "pre_meeting_visit_pct", "advocacy_pct"),
        "Meetings chaired by IROs, from the service's own records.",
        table_caption="Meetings held in the year",
        breakdowns=(
            ("By type of meeting", "meetings_by_type"),
            ("Why meetings were rearranged", "rearranged_by_reason"),
        ),
    ),
    Section(
        "education_health",
        "Education and health",
        (
            "pep_in_place_pct",
            "pep_up_to_date_pct",
            "health_assessment_pct",
            "dental_check_pct",
            "immunisations_pct",
        ),
        "Personal Education Plans (PEPs) from the virtual school; health measures from the SSDA903 OC2 return, "
        "which covers children looked after continuously for 12 months at 31 March.",
        table_caption="Education and health of children looked after",
    ),
    Section("data_quality", "Data quality"),
    Section("priorities", "Priorities for next year"),
    Section("appendix", "Appendix: definitions, assumptions and provenance"),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
SECTION_TITLES = [s.title for s in SECTIONS]

# --------------------------------------------------------------------------------------
# The report context: everything the sections draw on, computed once.
# --------------------------------------------------------------------------------------


@dataclass
class ReportContext:
    year: ReportingYear
    settings: Settings
    dataset: object  # iro_analysis.dataset.Dataset
    history: pd.DataFrame  # kpi rows for every year up to `year`
    breakdowns: dict[str, pd.DataFrame]
    missing: dict[str, list[str]]
    validation: pd.DataFrame | None
    narrative: dict[str, str]
    parameters: dict[str, object]
    output_dir: Path | None = None
    definitions: dict = field(default_factory=dict)
    restricted_dir: Path | None = None  # exact KPIs (never published); default restricted/<YEAR>

    @property
    def kpis(self) -> pd.DataFrame:
        """This year's KPI rows, in the KPI engine's order."""
        return self.history[self.history["year"] == self.year.year].reset_index(drop=True)

    def value(self, kpi_id: str, year: int | None = None) -> float | None:
        """A KPI's value (None when absent or blank)."""
        h = self.history
        hit = h[(h["kpi_id"] == kpi_id) & (h["year"] == (year or self.year.year))]
        if hit.empty or pd.isna(hit["value"].iloc[0]):
            return None
        return float(hit["value"].iloc[0])

    def has(self, kpi_id: str) -> bool:
        h = self.history
        return bool(((h["kpi_id"] == kpi_id) & (h["year"] == self.year.year)).any())

    def unit(self, kpi_id: str) -> str:
        d = self.definitions.get(kpi_id)
        return getattr(d, "unit", "count") if d is not None else "count"

    def title(self, kpi_id: str) -> str:
        d = self.definitions.get(kpi_id)
        return getattr(d, "title", kpi_id) if d is not None else kpi_id

    def phrase(self, kpi_id: str) -> str:
        """The title for use inside a sentence (no trailing "(%)")."""
        return self.title(kpi_id).removesuffix(" (%)")

    def formatted(self) -> dict[str, str]:
        """Every KPI of the year as printed ("85.2%", "1,234"), for narrative placeholders.

        A defined KPI that could not be produced (its input was not supplied) reads
        "not supplied"; an id that is no KPI at all is left out, so the narrative errors.
        """
        from iro_analysis.narrative import format_value

        out = dict.fromkeys(self.definitions, "not supplied")
        for row in self.kpis.itertuples(index=False):
            text = format_value(row.value, self.unit(row.kpi_id))
            out[row.kpi_id] = text if text is not None else "not available"
        return out


def kpi_history(dataset, year: int, settings: Settings) -> pd.DataFrame:
    """KPI rows for every year supplied up to and including `year` (for trends)."""
    from iro_analysis.kpis import compute_kpis

    years = [y for y in dataset.years if y <= year]
    frames = [compute_kpis(dataset, y, settings) for y in years]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["kpi_id", "year", "value", "numerator", "denominator"])
    )


def _read_validation(path: Path | None) -> pd.DataFrame | None:
    if path is None or not Path(path).is_file():
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = data.get("results", data) if isinstance(data, dict) else data
    return pd.DataFrame(rows)


def prepare(
    year: int,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    output_dir: Path | None = None,
    settings_path: Path | None = None,
    validation_path: Path | None = None,
    narrative_path: Path | None = None,
    restricted_dir: Path | None = None,
) -> ReportContext:
    """Load the clean data and compute every figure the report needs, once."""
    from iro_analysis.kpis import KPI_DEFINITIONS, compute_breakdowns, missing_inputs
    from iro_analysis.narrative import load_narrative

    year = check_year(year)
    settings = load_settings(settings_path)
    from iro_analysis.validation import load_or_clean

    ds = load_or_clean(year, raw_dir, processed_dir)
    if year not in ds.years:
        raise IroAnalysisError(
            f"no raw data for {year}; years available: {', '.join(map(str, ds.years))}"
        )
    history = kpi_history(ds, year, settings)
    ctx = ReportContext(
        year=ReportingYear(year),
        settings=settings,
        dataset=ds,
        history=history,
        breakdowns=compute_breakdowns(ds, year, settings),
        missing=missing_inputs(ds, year),
        validation=_read_validation(validation_path) if validation_path else None,
        narrative={},
        parameters={
            "year": year,
            "raw_dir": raw_dir,
            "processed_dir": processed_dir,
            "settings_path": settings_path,
        },
        output_dir=Path(output_dir) if output_dir else None,
        definitions=dict(KPI_DEFINITIONS),
        restricted_dir=Path(restricted_dir) if restricted_dir else None,
    )
    if ctx.validation is None:  # run by hand: validate here rather than show nothing
        from iro_analysis.validation import validate_dataset

        ctx.validation = validate_dataset(ds, year, settings).public_results()
    ctx.narrative = load_narrative(
        Path(narrative_path) if narrative_path else paths.NARRATIVE_DIR / f"{year}.md",
        ctx.formatted(),
        SECTION_TITLES,
        council=settings.council_name,
        period=ctx.year.label,
    )
    return ctx


# --------------------------------------------------------------------------------------
# Rendering: each section is HTML built by the package (the notebook only calls `show`).
# --------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _year_label(year: int) -> str:
    return ReportingYear(year).label


def _fmt(ctx: ReportContext, kpi_id: str, value: object) -> str:
    from iro_analysis.narrative import format_value

    text = format_value(value, ctx.unit(kpi_id))
    return "" if text is None else text


def _national(kpi_id: str, year: int) -> float | None:
    from iro_analysis.national import national_value

    return national_value(kpi_id, year)


def kpi_table(ctx: ReportContext, kpi_ids: tuple[str, ...], caption: str) -> str:
    """Each KPI of a section over every year supplied, with England where published.

    The current year's figures carry `data-kpi` so tests can check them against kpis.csv.
    Blank means the figure could not be calculated for that year (its data was not supplied
    or its denominator was zero); "not supplied" marks this year's missing inputs.
    """
    from iro_analysis import html

    h = ctx.history
    years = sorted(int(y) for y in h["year"].unique())
    headers = ["Measure", *[_year_label(y) for y in years], "England"]
    rows = []
    for kpi_id in kpi_ids:
        row: list[object] = [ctx.title(kpi_id)]
        for y in years:
            hit = h[(h["kpi_id"] == kpi_id) & (h["year"] == y)]
            if y == ctx.year.year:
                if hit.empty:
                    row.append("not supplied")
                else:
                    text = _fmt(ctx, kpi_id, hit["value"].iloc[0]) or "no cases"
                    row.append(html.kpi_span(kpi_id, text))
            else:
                row.append("" if hit.empty else _fmt(ctx, kpi_id, hit["value"].iloc[0]))
        nat = _national(kpi_id, ctx.year.year)
        row.append("" if nat is None else _fmt(ctx, kpi_id, nat))
        rows.append(row)
    return html.raw_table(headers, rows, caption)


def trend_figure(ctx: ReportContext, kpi_id: str) -> str:
    """A line chart of one KPI over the years supplied, with England where published."""
    from iro_analysis import html, plots

    h = ctx.history[ctx.history["kpi_id"] == kpi_id].sort_values("year")
    if h.empty:
        return ""
    unit = ctx.unit(kpi_id)
    title = ctx.phrase(kpi_id)
    rows = []
    for y, v in zip(h["year"], h["value"], strict=True):
        rows.append(
            {"year_label": _year_label(int(y)), "series": ctx.settings.council_name, "value": v}
        )
        # England is drawn only for rates: a national count is not comparable with a council's.
        nat = _national(kpi_id, int(y)) if unit == "percent" else None
        if nat is not None:
            rows.append({"year_label": _year_label(int(y)), "series": "England", "value": nat})
    data = pd.DataFrame(rows)
    council = data[(data["series"] == ctx.settings.council_name) & data["value"].notna()]
    if council.empty:
        return ""
    first, last = council.iloc[0], council.iloc[-1]
    f_first, f_last = _fmt(ctx, kpi_id, first["value"]), _fmt(ctx, kpi_id, last["value"])
    if len(council) == 1:
        message = f"{title} was {f_last} in {last['year_label']}."
    else:
        from iro_analysis.narrative import direction

        d = direction(float(last["value"]), float(first["value"]), unit)
        verb = {"up": "rose", "down": "fell", "level": "was level"}[d or "level"]
        message = (
            f"{title} {verb} from {f_first} in {first['year_label']} to {f_last} in {last['year_label']}."
            if d != "level"
            else f"{title} was {f_last} in both {first['year_label']} and {last['year_label']}."
        )
    eng = data[(data["series"] == "England") & (data["year_label"] == ctx.year.label)]
    if not eng.empty:
        message += f" England: {_fmt(ctx, kpi_id, eng['value'].iloc[0])} in {ctx.year.label}."
    chart = plots.trend_chart(
        data,
        value_label={"percent": "Percent", "ratio": "Ratio"}.get(unit, "Number"),
        alt=f"Line chart. {message}",
        caption=f"{title}, by reporting year",
        percent=unit == "percent",
    )
    table = data.pivot_table(
        index="year_label", columns="series", values="value", aggfunc="first", sort=False
    )
    table = table.reset_index().rename(columns={"year_label": "Reporting year"})
    for col in table.columns[1:]:
        table[col] = [_fmt(ctx, kpi_id, v) for v in table[col]]
    return html.figure(chart, table)


@dataclass(frozen=True)
class Col:
    """How one breakdown column is shown: a label, a count, or a figure derived from a count.

    kind: "label" | "count" | "percent" | "ratio" (derived: hidden with its `base` or
    `den` count) | "number" (one decimal place, never suppressed; no breakdown uses it).
    A count whose `hide_with` count is hidden is hidden too (a figure for a group whose
    size is hidden, e.g. the CP children of a caseload band of c IROs).
    """

    name: str
    header: str
    kind: str = "count"
    base: str | None = None  # the count a percent or ratio is derived from
    den: str | None = None  # its denominator count, if any
    hide_with: str | None = None  # a count: hidden wherever this count is hidden


@dataclass(frozen=True)
class BreakdownView:
    caption: str
    columns: tuple[Col, ...]
    chart: str | None = None  # the count column drawn as bars
    value_label: str = "Number"
    band: tuple[float, float, str] | None = None  # a reference range drawn on the chart
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # applied before display
    # Every count column's total is taken as published (a headline, or findable); rows'
    # totals only when a row's counts partition something printed (see breakdown_mask).
    row_totals: bool = False


_SHARE = (Col("count", "Number"), Col("percent", "Percent", "percent", base="count"))

BREAKDOWNS: dict[str, BreakdownView] = {
    "cla_by_age_band": BreakdownView(
        "Children looked after at 31 March by age",
        (Col("age_band", "Age", "label"), *_SHARE),
        "count",
        "Children",
    ),
    "cla_by_sex": BreakdownView(
        "Children looked after at 31 March by sex", (Col("sex", "Sex", "label"), *_SHARE)
    ),
    "cla_by_ethnicity_group": BreakdownView(
        "Children looked after at 31 March by ethnicity",
        (Col("ethnicity_group", "Ethnicity", "label"), *_SHARE),
    ),
    "cla_by_legal_status": BreakdownView(
        "Children looked after at 31 March by legal status",
        (Col("legal_status", "Legal status", "label"), *_SHARE),
    ),
    "cla_by_placement": BreakdownView(
        "Children looked after at 31 March by placement type",
        (Col("placement", "Placement", "label"), *_SHARE),
        "count",
        "Children",
    ),
    "participation_by_code": BreakdownView(
        "Reviews in the year by participation code",
        (Col("code", "Code", "label"), Col("label", "Meaning", "label"), *_SHARE),
        "count",
        "Reviews",
    ),
    "participation_by_age_band": BreakdownView(
        "Review participation by age at the review",
        (
            Col("age_band", "Age", "label"),
            Col("reviews", "Reviews"),
            Col("eligible", "Coded PN1 to PN7"),
            Col("participated", "Participated"),
            Col(
                "participated_percent",
                "Participation",
                "percent",
                base="participated",
                den="eligible",
            ),
        ),
    ),
    "cp_by_category": BreakdownView(
        "Child protection plans open at 31 March by category of abuse",
        (Col("label", "Category", "label"), *_SHARE),
        "count",
        "Plans",
    ),
    "drp_by_theme": BreakdownView(
        "Disputes raised in the year by theme",
        (Col("label", "Theme", "label"), *_SHARE),
        "count",
        "Disputes",
    ),
    "drp_by_stage": BreakdownView(
        "Disputes raised in the year by highest stage reached",
        (Col("label", "Highest stage", "label"), *_SHARE),
    ),
    "meetings_by_type": BreakdownView(
        "Meetings held in the year by type",
        (
            Col("label", "Meeting", "label"),
            Col("held", "Held"),
            Col("rearranged", "Rearranged"),
            Col("rearranged_percent", "Rearranged %", "percent", base="rearranged", den="held"),
            Col("pre_meeting_visit", "Pre-meeting visit"),
            Col(
                "pre_meeting_visit_percent",
                "Pre-meeting visit %",
                "percent",
                base="pre_meeting_visit",
                den="held",
            ),
            Col("advocacy", "Advocate involved"),
            Col("advocacy_percent", "Advocate involved %", "percent", base="advocacy", den="held"),
        ),
    ),
    "rearranged_by_reason": BreakdownView(
        "Rearranged meetings by reason",
        (Col("label", "Reason", "label"), *_SHARE),
        "count",
        "Meetings",
    ),
    # No IRO is shown one by one (no per-person FTE or caseload): IROs are counted in bands.
    "caseload_bands": BreakdownView(
        "IROs in post at 31 March by looked-after children per full-time equivalent",
        (
            Col("band", "Looked-after children per full-time equivalent", "label"),
            Col("iros", "IROs"),
            Col("cp_children", "Children on a child protection plan", hide_with="iros"),
        ),
    ),
}


def breakdown_mask(df: pd.DataFrame, view: BreakdownView, threshold: int) -> pd.DataFrame:
    """Which count cells of a breakdown show as "c" (True): `suppression.disclosure_mask`
    over the view's count columns, each column's total taken as published.

    Most count columns add up to a headline the report prints (children looked after at
    31 March, reviews held, plans open at 31 March, disputes raised, meetings held; the
    rearranged, visited and advocacy meetings as printed percentages of meetings held);
    the others' totals can be found elsewhere (IROs in post), so every one is protected.
    A count with `hide_with` is hidden where that count is, then the rule runs again.
    """
    from iro_analysis.suppression import disclosure_mask

    names = [c.name for c in view.columns if c.kind == "count" and c.name in df.columns]
    counts = df[names]
    linked = [(c.name, c.hide_with) for c in view.columns if {c.name, c.hide_with} <= set(names)]
    mask = disclosure_mask(counts, threshold, row_totals=view.row_totals)
    while linked:
        hide = mask.copy()
        for name, other in linked:
            hide[name] = hide[name] | mask[other]
        again = disclosure_mask(counts, threshold, row_totals=view.row_totals, hide=hide)
        if again.equals(mask):
            break
        mask = again
    return mask


def display_breakdown(df: pd.DataFrame, view: BreakdownView, threshold: int) -> pd.DataFrame:
    """The breakdown as shown: hidden counts (`breakdown_mask`) and every percentage or
    ratio built on a hidden count, as numerator or denominator, as "c". A view column the
    frame does not have (its input was not supplied) is left out."""
    from iro_analysis.suppression import SUPPRESSED, format_count, format_percent

    mask = breakdown_mask(df, view, threshold)

    def hidden(col: str | None) -> pd.Series:
        if col is None or col not in mask:
            return pd.Series(False, index=df.index)
        return mask[col]

    out = {}
    for c in view.columns:
        if c.name not in df.columns:
            continue
        v = df[c.name]
        if c.kind == "label":
            out[c.header] = v.astype(str).tolist()
            continue
        if c.kind == "count":
            hide, fmt = hidden(c.name), format_count
        elif c.kind == "percent":
            hide, fmt = hidden(c.base) | hidden(c.den), format_percent
        elif c.kind == "ratio":
            hide = hidden(c.base) | hidden(c.den)
            fmt = lambda x: "" if pd.isna(x) else f"{float(x):.1f}"  # noqa: E731
        else:  # "number"
            hide, fmt = (
                pd.Series(False, index=df.index),
                (lambda x: "" if pd.isna(x) else f"{float(x):.1f}"),
            )
        out[c.header] = [
            SUPPRESSED if h else fmt(x) for x, h in zip(v.tolist(), hide.tolist(), strict=True)
        ]
    return pd.DataFrame(out)


def breakdown_block(ctx: ReportContext, name: str, chart: bool = True) -> str:
    """A breakdown (from `kpis.compute_breakdowns`) as a table and, where useful, a bar chart.

    Disclosure control (`display_breakdown`): counts from 1 to the settings' threshold, the
    counts hidden so that those cannot be worked out from a total, and percentages or
    ratios built on them, are shown as "c" in the table, the chart labels and the alt text.
    """
    from iro_analysis import html, plots
    from iro_analysis.suppression import SUPPRESSED

    view = BREAKDOWNS[name]
    df = ctx.breakdowns.get(name)
    if df is None:
        return html.notice(
            "Not supplied.",
            f"The data for {view.caption.lower()} was not supplied for {ctx.year.label}.",
        )
    if view.prepare is not None:
        df = view.prepare(df)
    if df.empty:
        return html.paragraph(f"{view.caption}: no cases in {ctx.year.label}.")
    display = display_breakdown(df, view, ctx.settings.suppression_threshold)
    if not (chart and view.chart):
        return html.table(display, view.caption)
    label = next(c.header for c in view.columns if c.kind == "label" and c.name != "code")
    header = next(c.header for c in view.columns if c.name == view.chart)
    texts = display[header].tolist()
    values = [
        0 if t == SUPPRESSED else v for t, v in zip(texts, df[view.chart].tolist(), strict=True)
    ]
    plot_df = pd.DataFrame({label: display[label], view.chart: values})
    shown = [
        (lab, t, v)
        for lab, t, v in zip(plot_df[label], texts, values, strict=True)
        if t != SUPPRESSED
    ]
    alt = f"Bar chart of {view.caption[0].lower() + view.caption[1:]}."
    if shown and max(v for _, _, v in shown) > 0:
        top = max(shown, key=lambda x: x[2])
        alt += f" The largest group is {top[0]} ({top[1]})."
    if SUPPRESSED in texts:
        alt += (
            f" Groups of 1 to {ctx.settings.suppression_threshold}, and groups that would reveal "
            "them, are suppressed (shown as c)."
        )
    if view.band is not None:
        alt += f" The shaded band marks the {view.band[2][0].lower() + view.band[2][1:]}."
    c = plots.bar_chart(
        plot_df,
        label,
        view.chart,
        view.value_label,
        alt,
        view.caption,
        value_text=texts,
        band=view.band,
    )
    return html.figure(c, display)  # the figure carries the table as the data behind it


def _heading(section: Section) -> str:
    return f'<h2 id="{escape(_slug(section.title))}">{escape(section.title)}</h2>\n'


def _markdown(text: str) -> str:
    """Markdown as HTML sanitised to an allow-list (no script, handler, frame or image)."""
    from iro_analysis.narrative import markdown_html

    return markdown_html(text)


def _missing_notice(ctx: ReportContext, section: Section) -> str:
    from iro_analysis import html

    absent = [k for k in section.kpis if not ctx.has(k)]
    if not absent:
        return ""
    inputs = sorted({i for fam in ctx.missing.values() for i in fam})
    return html.notice(
        "Not supplied.",
        f"Some figures in this section could not be produced for {ctx.year.label} because data was not "
        f"supplied in that year's folder ({', '.join(inputs) or 'see the data-quality section'}). "
        "They are marked \u201cnot supplied\u201d, never shown as zero.",
    )


def _section_key_messages(ctx: ReportContext) -> str:
    from iro_analysis import html
    from iro_analysis.narrative import KEY_MESSAGES, missing_sentence, sentence

    prev_year = ctx.year.year - 1
    has_prev = prev_year in set(ctx.history["year"])
    items = []
    for m in KEY_MESSAGES:
        if not ctx.has(m.kpi_id):
            items.append(
                missing_sentence(ctx.phrase(m.kpi_id), ctx.year.label, "its data was not supplied")
            )
            continue
        s = sentence(
            m,
            ctx.value(m.kpi_id),
            ctx.value(m.kpi_id, prev_year) if has_prev else None,
            _year_label(prev_year)
            if has_prev and ctx.value(m.kpi_id, prev_year) is not None
            else None,
            _national(m.kpi_id, ctx.year.year) if m.unit == "percent" else None,
        )
        items.append(
            s
            or missing_sentence(
                ctx.phrase(m.kpi_id), ctx.year.label, "there were no cases to measure"
            )
        )
    return html.bullet_list(items, css="key-messages")


def _caseload_note(ctx: ReportContext) -> str:
    from iro_analysis import html

    caseload = ctx.value("iro_caseload_per_fte")
    if caseload is None:
        return ""
    band = "within" if 50 <= caseload <= 70 else ("above" if caseload > 70 else "below")
    out = html.paragraph(
        f"The caseload of {caseload:.1f} children per full-time IRO is {band} the IRO Handbook's "
        "recommended range of 50 to 70."
    )
    if "caseload_bands" in ctx.breakdowns:
        out += html.paragraph(
            "The IRO caseloads table counts the IROs in post at 31 March by the children looked "
            "after they carry per full-time equivalent, against the Handbook's 50 to 70 (a child "
            "counts for the IRO who chaired their latest meeting), with the children on a child "
            "protection plan those IROs carry beside it. No IRO's own hours or caseload are "
            "published."
        )
    return out


def _participation_note(ctx: ReportContext) -> str:
    from iro_analysis import html

    pn4 = "counts" if ctx.settings.pn4_counts_as_participation else "does not count"
    return html.paragraph(
        "Participation is the share of reviews coded PN1 to PN6 among reviews coded PN1 to PN7 (children "
        f"under 4, PN0, are excluded). In this report PN4 (attends without contributing) {pn4} as participation."
    )


# Text a section adds after its KPI table.
_NOTES = {"iro_service": _caseload_note, "reviews": _participation_note}


def _section_body(ctx: ReportContext, section: Section) -> str:
    """KPI table, section note, trend charts, then each breakdown under its heading."""
    out = kpi_table(ctx, section.kpis, section.table_caption)
    if section.key in _NOTES:
        out += _NOTES[section.key](ctx)
    for kpi_id in section.trends:
        out += trend_figure(ctx, kpi_id)
    for heading, name in section.breakdowns:
        out += f"<h3>{escape(heading)}</h3>\n" + breakdown_block(ctx, name)
    return out


def _section_data_quality(ctx: ReportContext) -> str:
    from iro_analysis import html
    from iro_analysis.schema import SUPPLIED_INPUTS

    ds = ctx.dataset
    out = html.paragraph(
        f"The pipeline read every year folder supplied ({', '.join(_year_label(y) for y in ds.years)}); "
        f"earlier years give the history that timeliness measures need. Figures for {ctx.year.label} use "
        "only inputs present in that year's own folder. Rows that broke the data contract were quarantined "
        "and left out of every figure; nothing was dropped silently."
    )
    sup = ds.supplied
    grid = []
    for name in SUPPLIED_INPUTS:
        row: list[object] = [name]
        for y in ds.years:
            hit = sup[(sup["input"] == name) & (sup["year"] == y)]
            row.append(
                "supplied" if (len(hit) and bool(hit["present"].iloc[0])) else "not supplied"
            )
        grid.append(row)
    out += "<h3>Inputs supplied</h3>\n"
    out += html.raw_table(
        ["Input", *[_year_label(y) for y in ds.years]],
        grid,
        "Inputs supplied by year folder",
        css="data text",
    )
    acc = ds.accounting
    acc = acc[acc["year"].astype(int) == ctx.year.year]
    if len(acc):
        t = acc[["file", "rows_read", "rows_kept", "duplicates_removed", "rows_quarantined"]].copy()
        t.columns = [
            "File",
            "Rows read",
            "Rows kept",
            "Exact duplicates removed",
            "Rows quarantined",
        ]
        for c in t.columns[1:]:
            t[c] = [f"{int(v):,}" for v in t[c]]
        out += "<h3>Row accounting</h3>\n"
        out += html.paragraph(
            "For every file, rows read = rows kept + exact duplicates removed + rows quarantined."
        )
        out += html.table(t, f"Row accounting for the {ctx.year.label} files")
    q = ds.quarantine
    q = q[q["year"].astype(int) == ctx.year.year] if len(q) else q
    out += "<h3>Quarantined rows</h3>\n"
    if len(q):
        from iro_analysis.schema import QUARANTINE_RULES

        t = q.groupby(["file", "rule"], sort=True).size().reset_index(name="rows")
        t["Reason"] = [QUARANTINE_RULES.get(r, r) for r in t["rule"]]
        t = t[["file", "rule", "Reason", "rows"]]
        t.columns = ["File", "Rule", "Reason", "Rows"]
        out += html.table(t, f"Rows quarantined from the {ctx.year.label} files, by rule")
    else:
        out += html.paragraph(f"No rows were quarantined from the {ctx.year.label} files.")
    out += _warnings_html(ds, ctx.year.year, ctx.year.label)
    out += _reconciliation_html(ds, ctx.year.year, ctx.year.label)
    out += "<h3>Validation</h3>\n"
    out += validation_html(ctx.validation)
    return out


def validation_html(v: pd.DataFrame | None) -> str:
    """What the validation results say, derived from them: counts by outcome, every
    failed check (critical ones only appear when an analyst accepted them, with the
    reason), never a claim the results do not support."""
    from iro_analysis import html

    if v is None or v.empty:
        return html.paragraph("Validation results were not available for this build.")
    success = v["success"].astype(bool)
    critical = v["severity"].eq("critical")
    accepted = v["accepted"].fillna("").ne("") if "accepted" in v else ~success & False
    n_crit = int((critical & ~success & ~accepted).sum())
    n_acc = int((~success & accepted).sum())
    n_warn = int((~critical & ~success).sum())
    text = f"{int(success.sum())} of {len(v)} checks passed. "
    text += (
        "No critical check failed. "
        if n_crit == 0 and n_acc == 0
        else f"{n_crit} critical check(s) failed. "
        if n_crit
        else ""
    )
    if n_acc:
        text += f"{n_acc} critical check(s) failed and were accepted by the analysts (below). "
    text += f"{n_warn} warning(s)." if n_warn else "No warnings."
    out = html.paragraph(text)
    if n_acc:
        t = v.loc[~success & accepted, ["column", "accepted"]].copy()
        t.columns = ["Check", "Accepted because"]
        out += html.table(t, "Critical checks that failed and were accepted, with the reason")
    failed = v[~success & ~accepted]
    if len(failed):
        cols = ["table", "column", "expectation", "severity", "unexpected_count"]
        t = failed[[c for c in cols if c in failed]].copy()
        t.columns = [c.replace("_", " ").capitalize() for c in t.columns]
        out += html.table(t, "Checks that failed (warnings do not stop the report)")
    return out


def _reconciliation_html(ds, year: int, label: str) -> str:
    """The same events counted in two returns, with the differences."""
    from iro_analysis import html
    from iro_analysis.gates import reconcile, reconcile_off

    r = reconcile(ds, year)
    out = "<h3>Reconciling the returns</h3>\n"
    if not len(r):
        return out + html.paragraph(f"No two returns for {label} count the same events.")
    t = r.copy()
    t["note"] = ["differs by more than 10%" if x else "" for x in reconcile_off(r)]
    t = t[["measure", "first_source", "first", "second_source", "second", "difference", "note"]]
    t.columns = ["Measure", "Source", "Count", "Compared with", "Count", "Difference", "Note"]
    return out + html.table(t, f"The same events counted in two returns, {label}")


def _warnings_html(ds, year: int, label: str) -> str:
    """Files present but not read, then the warnings on kept rows and columns, by rule.

    Files not read are counted by folder and reason, not named: their names are whatever
    someone saved them as ("notes on child 1234567.csv"), so they are for the build log
    and the restricted clean notebook only.
    """
    from iro_analysis import html
    from iro_analysis.schema import WARNING_RULES

    w = ds.warnings
    w = w[w["year"].astype(int) == year] if len(w) else w
    unread = w[w["rule"] == "file_not_read"]
    out = "<h3>Files present but not read</h3>\n"
    if len(unread):
        folder = [f"{f.split('/')[0]}/" if "/" in f else "the year folder" for f in unread["file"]]
        t = (
            unread.assign(folder=folder)
            .groupby(["folder", "value"], sort=True)
            .size()
            .reset_index(name="files")
        )
        t.columns = ["Folder", "Why it was not read", "Files"]
        out += html.table(
            t,
            f"Files in the {label} folder that were not read (the build log names them)",
        )
    else:
        out += html.paragraph(f"Every file in the {label} folder was read.")
    rest = w[w["rule"] != "file_not_read"]
    out += "<h3>Warnings</h3>\n"
    if len(rest):
        t = (
            rest.assign(column=rest["column"].fillna(""))
            .groupby(["file", "rule", "column"], sort=True)
            .size()
            .reset_index(name="records")
        )
        t["Meaning"] = [WARNING_RULES.get(r, r) for r in t["rule"]]
        t = t[["file", "column", "Meaning", "records"]]
        t.columns = ["File", "Column", "Meaning", "Rows or columns"]
        out += html.table(t, f"Warnings on the {label} files (nothing here was left out)")
    else:
        out += html.paragraph(f"No warnings on the {label} files.")
    return out


def attention_points(ctx: ReportContext) -> list[str]:
    """Data-driven areas for attention: measures that fell, sit below England or breach a standard."""
    from iro_analysis.narrative import KEY_MESSAGES, format_value

    points = []
    prev = ctx.year.year - 1
    for m in KEY_MESSAGES:
        cur = ctx.value(m.kpi_id)
        if cur is None or m.higher_is_better is None:
            continue
        before = ctx.value(m.kpi_id, prev)
        if before is not None and round(cur, 1) < round(before, 1):
            points.append(
                f"{ctx.phrase(m.kpi_id)} fell to {format_value(cur, m.unit)} from {format_value(before, m.unit)} "
                f"in {_year_label(prev)}."
            )
        nat = _national(m.kpi_id, ctx.year.year)
        if nat is not None and round(cur, 1) < round(nat, 1):
            points.append(
                f"{ctx.phrase(m.kpi_id)} ({format_value(cur, m.unit)}) is below England ({format_value(nat, m.unit)})."
            )
    caseload = ctx.value("iro_caseload_per_fte")
    if caseload is not None and caseload > 70:
        points.append(
            f"IRO caseloads ({caseload:.1f} per full-time IRO) are above the IRO Handbook's 50 to 70."
        )
    for k, text in (
        ("cla_reviews_overdue_at_31_march", "children had an overdue review at 31 March"),
        (
            "drp_open_overdue_at_31_march",
            "disputes had been open for more than 20 working days at 31 March",
        ),
    ):
        v = ctx.value(k)
        if v:
            points.append(f"{int(v):,} {text}.")
    return points


def _section_priorities(ctx: ReportContext) -> str:
    from iro_analysis import html

    out = ""
    if "Priorities for next year" not in ctx.narrative:
        out += html.notice(
            "For the service to complete.",
            f"The IRO service's priorities for {ReportingYear(ctx.year.year + 1).label} go in "
            f"reports/narrative/{ctx.year.year}.md under the heading \u201c## Priorities for next year\u201d.",
        )
    points = attention_points(ctx)
    out += "<h3>Areas for attention from the data</h3>\n"
    out += (
        html.bullet_list(points)
        if points
        else html.paragraph("No measure fell or sits below England this year.")
    )
    return out


def _section_appendix(ctx: ReportContext) -> str:
    from iro_analysis import html, manifest

    out = "<h3>Every measure: value, definition and source</h3>\n"
    out += html.paragraph(
        "Counts by participation code, category of abuse and dispute theme are breakdowns: values of 1 to "
        f"{ctx.settings.suppression_threshold}, and values that would reveal them, are shown as c, as in "
        "the breakdown tables. kpis.csv and kpis.xlsx beside this report hold every measure with its "
        "numerator and denominator, with the same counts shown as c."
    )
    rows = []
    for row in ctx.kpis.itertuples(index=False):
        d = ctx.definitions.get(row.kpi_id)
        rows.append(
            [
                row.kpi_id,
                getattr(d, "title", row.kpi_id),
                html.kpi_span(row.kpi_id, _appendix_value(ctx, row.kpi_id, row.value, d)),
                getattr(d, "definition", ""),
                getattr(d, "source", ""),
            ]
        )
    out += html.raw_table(
        ["KPI id", "Measure", "Value", "Definition", "Source"],
        rows,
        "KPI values and definitions",
        css="data text",
    )
    out += "<h3>Assumptions and caveats</h3>\n"
    log = paths.DOCS_DIR / "assumptions.md"
    if log.is_file():
        text = log.read_text(encoding="utf-8")
        text = re.sub(r"^# .*\n", "", text, count=1)  # the report has one h1
        text = re.sub(
            r"^(#+) ", lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", text, flags=re.MULTILINE
        )
        out += _markdown(text)
    out += "<h3>Provenance</h3>\n"
    m = manifest.build_manifest(ctx.year.year, _manifest_parameters(ctx), ctx.dataset.supplied)
    code = m["code"]
    out += html.paragraph(
        f"Built by iro-analysis {code['package_version']}"
        + (f" at commit {str(code['git_commit'])[:12]}" if code.get("git_commit") else "")
        + (" (with uncommitted changes)" if code.get("git_dirty") else "")
        + f", Python {m['python']}. The run manifest (manifest.json beside this report) lists every input "
        "file's SHA-256 hash, the parameters and the package versions."
    )
    inputs = [
        [i["input"], _year_label(i["year"]), (i["sha256"] or "")[:16]]
        for i in m["inputs"]
        if i["present"]
    ]
    out += html.raw_table(
        ["Input", "Year", "SHA-256 (first 16)"],
        inputs,
        "Input files and their hashes",
        css="data text",
    )
    pk = [[k, v] for k, v in m["packages"].items()]
    out += html.raw_table(["Package", "Version"], pk, "Package versions", css="data text")
    return out


# Per-code KPIs that repeat a breakdown's cell: pattern -> (breakdown, its code column).
_PATTERN_CELLS = {
    "cla_participation_<code>": ("participation_by_code", "code"),
    "cp_category_<cat>": ("cp_by_category", "category"),
    "drp_theme_<THEME>": ("drp_by_theme", "theme"),
}


def _pattern_hidden(ctx: ReportContext, kpi_id: str, pattern: str) -> bool:
    """Whether a per-code KPI shows as c: exactly when the breakdown cell it repeats does
    (so the appendix reveals nothing the breakdown hides); without that breakdown, by the
    same rule applied to the pattern's KPIs as one column adding up to their total."""
    from iro_analysis.suppression import disclosure_mask

    threshold = ctx.settings.suppression_threshold
    code = kpi_id[len(pattern.partition("<")[0]) :].upper()
    name, column = _PATTERN_CELLS.get(pattern, ("", ""))
    df = ctx.breakdowns.get(name)
    if df is not None and column in df:
        rows = df[column].astype(str).str.upper().eq(code).to_numpy()
        if rows.any():
            return bool(breakdown_mask(df, BREAKDOWNS[name], threshold)["count"][rows].any())
    k = ctx.kpis
    same = [getattr(ctx.definitions.get(i), "pattern", "") == pattern for i in k["kpi_id"]]
    group = k.loc[same].set_index("kpi_id")[["value"]]
    return bool(disclosure_mask(group, threshold).loc[kpi_id, "value"])


def _shown_as_c(ctx: ReportContext, kpi_id: str, value: object, definition: object) -> bool:
    """Whether the report shows this KPI of the year as c: a per-code KPI (a breakdown's
    cell) that the breakdown's disclosure control hides. The appendix, the published
    kpis.csv and kpis.xlsx all follow this one rule."""
    pattern = getattr(definition, "pattern", "")
    return bool(pattern) and not pd.isna(value) and _pattern_hidden(ctx, kpi_id, pattern)


def _appendix_value(ctx: ReportContext, kpi_id: str, value: object, definition: object) -> str:
    """A KPI as the appendix shows it; a per-code KPI (a breakdown's cell) as c where the
    breakdown's disclosure control hides that cell."""
    from iro_analysis.suppression import SUPPRESSED

    if _shown_as_c(ctx, kpi_id, value, definition):
        return SUPPRESSED
    return _fmt(ctx, kpi_id, value) or "no cases"


def hidden_kpis(ctx: ReportContext) -> set[str]:
    """This year's KPIs the report shows as c (see `_shown_as_c`)."""
    return {
        row.kpi_id
        for row in ctx.kpis.itertuples(index=False)
        if _shown_as_c(ctx, row.kpi_id, row.value, ctx.definitions.get(row.kpi_id))
    }


def _manifest_parameters(ctx: ReportContext) -> dict[str, object]:
    s = ctx.settings
    params = {k: v for k, v in ctx.parameters.items() if v is not None}
    params.update(
        council_name=s.council_name,
        suppression_threshold=s.suppression_threshold,
        pn4_counts_as_participation=s.pn4_counts_as_participation,
    )
    return params


# Sections whose body is bespoke; every other section uses `_section_body`.
_BODIES = {
    "key_messages": _section_key_messages,
    "data_quality": _section_data_quality,
    "priorities": _section_priorities,
    "appendix": _section_appendix,
}


def render_section(ctx: ReportContext, key: str) -> str:
    """One section's HTML: heading, introduction, analysts' commentary, figures."""
    section = SECTION_BY_KEY[key]
    out = _heading(section)
    if section.intro:
        out += f"<p>{escape(section.intro)}</p>\n"
    out += _missing_notice(ctx, section)
    body = _BODIES[key](ctx) if key in _BODIES else _section_body(ctx, section)
    commentary = ctx.narrative.get(section.title)
    if commentary:
        label = "Priorities" if key == "priorities" else "Commentary from the IRO service"
        out += f'<div class="commentary"><h3>{escape(label)}</h3>\n{_markdown(commentary)}</div>\n'
    return out + body


def show(ctx: ReportContext, key: str) -> None:
    """Display one section in the notebook (its HTML becomes part of the report)."""
    from IPython.display import HTML, display

    display(HTML(render_section(ctx, key)))


def published_kpis_csv(ctx: ReportContext) -> str:
    """The published kpis.csv: the exact file's rows and columns, but a KPI the report
    shows as c (`hidden_kpis`) has value, numerator and denominator c. Deterministic bytes."""
    from iro_analysis.kpis import format_kpis
    from iro_analysis.suppression import SUPPRESSED

    hidden = hidden_kpis(ctx)
    lines = format_kpis(ctx.kpis, format="csv").splitlines(keepends=True)
    out = lines[:1]
    for line, row in zip(lines[1:], ctx.kpis.itertuples(index=False), strict=True):
        if row.kpi_id in hidden:
            line = ",".join([row.kpi_id, str(int(row.year)), *[SUPPRESSED] * 3]) + "\n"
        out.append(line)
    return "".join(out)


def write_outputs(
    ctx: ReportContext, output_dir: Path | None = None, restricted_dir: Path | None = None
) -> dict[str, Path]:
    """Write the year's published kpis.csv, kpis.xlsx and manifest.json into `output_dir`
    (default reports/<YEAR>/), and the exact kpis.csv and kpis.xlsx, per-code counts
    unsuppressed, into `restricted_dir` (default restricted/<YEAR>/, never published)."""
    from iro_analysis import manifest
    from iro_analysis.kpis import write_kpis

    out = Path(output_dir or ctx.output_dir or paths.report_year_dir(ctx.year.year))
    exact = Path(
        restricted_dir
        or ctx.restricted_dir
        or paths.restricted_year_dir(ctx.year.year, ctx.settings.paths.restricted)
    )
    out.mkdir(parents=True, exist_ok=True)
    exact.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path, man_path = out / "kpis.csv", out / "kpis.xlsx", out / "manifest.json"
    csv_path.write_bytes(published_kpis_csv(ctx).encode("utf-8"))
    write_kpis_xlsx(ctx, xlsx_path)
    write_kpis(ctx.kpis, exact / "kpis.csv", format="csv")
    write_kpis_xlsx(ctx, exact / "kpis.xlsx", exact=True)
    manifest.write_manifest(
        manifest.build_manifest(ctx.year.year, _manifest_parameters(ctx), ctx.dataset.supplied),
        man_path,
    )
    return {
        "kpis.csv": csv_path,
        "kpis.xlsx": xlsx_path,
        "manifest.json": man_path,
        "restricted kpis.csv": exact / "kpis.csv",
        "restricted kpis.xlsx": exact / "kpis.xlsx",
    }


def write_kpis_xlsx(ctx: ReportContext, path: Path, exact: bool = False) -> None:
    """kpis.xlsx: this year's KPIs with titles, and the history of every year for trends.

    Unless `exact`, as published: this year's KPIs that the report shows as c have value,
    numerator and denominator c, and the history leaves out every per-code KPI (a
    breakdown's cell), whose disclosure control is worked out for this year only.
    """
    from iro_analysis.suppression import SUPPRESSED

    cur = ctx.kpis.copy()
    history = ctx.history
    if not exact:
        hidden = cur["kpi_id"].isin(hidden_kpis(ctx)).to_numpy()
        for col in ("value", "numerator", "denominator"):
            cur[col] = cur[col].astype(object)
            cur.loc[hidden, col] = SUPPRESSED
        per_code = [bool(getattr(ctx.definitions.get(k), "pattern", "")) for k in history["kpi_id"]]
        history = history.loc[[not p for p in per_code]]
    cur.insert(1, "title", [ctx.title(k) for k in cur["kpi_id"]])
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        cur.to_excel(xl, sheet_name=f"KPIs {ctx.year.slug}", index=False)
        history.to_excel(xl, sheet_name="All years", index=False)
        xl.book.properties.creator = "iro-analysis"


# --------------------------------------------------------------------------------------
# Build orchestration: papermill -> nbconvert -> atomic publish.
# --------------------------------------------------------------------------------------


def _kernel_manager_class():
    """A kernel manager that encrypts kernel traffic (CurveZMQ) when pyzmq supports it.

    ipykernel >= 7.3 warns on every start when the local TCP channels are unencrypted.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    if not zmq.has("curve"):
        return AsyncKernelManager

    class CurveKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _default_transport_encryption(self) -> str:
            return "auto"

    return CurveKernelManager


def run_notebook(step: str, notebook: str, output: Path, parameters: dict[str, object]) -> None:
    """Execute one notebook with papermill (the project kernel); a failure names the step and cell."""
    import papermill as pm

    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in parameters.items()}
    try:
        pm.execute_notebook(
            str(paths.NOTEBOOKS_DIR / notebook),
            str(output),
            parameters=params,
            kernel_name=KERNEL,
            cwd=str(paths.NOTEBOOKS_DIR),
            progress_bar=False,
            log_output=False,
            report_mode=True,
            kernel_manager_class=_kernel_manager_class(),
        )
    except pm.PapermillExecutionError as exc:
        raise BuildError(
            f"step '{step}' failed in cell {exc.cell_index} (execution {exc.exec_count}) of {notebook}: "
            f"{exc.ename}: {exc.evalue}"
        ) from None
    finally:
        if output.is_file():
            strip_volatile_metadata(output)


def strip_volatile_metadata(path: Path) -> None:
    """Remove papermill's timings and other run-dependent metadata so notebooks are reproducible."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id
    nbformat.write(nb, str(path))


def _drop_stderr(nb):
    """A copy of the notebook without stderr streams (warnings belong in logs, not the report)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.output_type == "stream" and o.get("name") == "stderr")
            ]
    return nb


def insert_toc(html_text: str) -> str:
    """Replace the template's TOC placeholder with links to every section heading (h2)."""
    heads = re.findall(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', html_text)
    items = "".join(
        f'<li><a href="#{hid}">{re.sub(r"<[^>]+>", "", title)}</a></li>' for hid, title in heads
    )
    nav = f'<nav class="toc" aria-labelledby="toc-title"><h2 id="toc-title">Contents</h2><ol>{items}</ol></nav>'
    return html_text.replace("<!--IRO-TOC-->", nav, 1)


def export_html(
    notebook: Path, out: Path, year: int, settings: Settings, title: str | None = None
) -> Path:
    """Convert an executed notebook to the self-contained report HTML (code and prompts hidden)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = _drop_stderr(nbformat.read(str(notebook), as_version=4))
    ry = ReportingYear(year)
    exporter = HTMLExporter(
        template_name="iro_report",
        extra_template_basedirs=[str(paths.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "iro": {
            "title": title or settings.report_title,
            "council": settings.council_name,
            "period": ry.label,
            "period_text": f"1 April {ry.year - 1} to 31 March {ry.year}",
            "footer": f"{settings.council_name}. Produced with iro-analysis from the council's SSDA903, "
            "Children in Need census and IRO service records. Figures of 1 to "
            f"{settings.suppression_threshold} in breakdowns are shown as c.",
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = insert_toc(body)
    out.write_text(body, encoding="utf-8")
    return out


def _on_list(rel: str, allowed: tuple[str, ...]) -> bool:
    return any(
        rel.count("/") == pat.count("/") and fnmatch.fnmatchcase(rel, pat) for pat in allowed
    )


def unpublishable(folder: Path, allowed: tuple[str, ...]) -> list[str]:
    """Paths under `folder` (relative, "/"-separated) that `allowed` does not let through:
    files matching no pattern, folders no pattern lies in, and every link or special file."""
    bad = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            bad.append(rel)
        elif path.is_dir():
            if not any(pat.startswith(rel + "/") for pat in allowed):
                bad.append(rel + "/")
        elif not _on_list(rel, allowed):
            bad.append(rel)
    return bad


def _publish(staging: Path, final: Path, allowed: tuple[str, ...] | None) -> None:
    """Swap the staging folder into place; the old report is removed only after the swap.

    `allowed` is the allow-list of a public folder (`PUBLISHED`): anything staged that is
    not on it is refused, naming it, before anything changes. None for a restricted folder.
    """
    if allowed is not None:
        bad = unpublishable(staging, allowed)
        if bad:
            raise BuildError(
                f"refused to publish {final}: {', '.join(bad)} "
                f"{'is' if len(bad) == 1 else 'are'} not on the list of what may be published "
                f"({', '.join(allowed)}); child-level or analyst-only outputs belong in the "
                "restricted folder"
            )
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        final.rename(old)
    try:
        staging.rename(final)
    except BaseException:
        if old.exists() and not final.exists():
            old.rename(final)  # put the previous report back
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


# Folders a build leaves in reports/ and restricted/ while it runs, each named with its
# process id: `.build-<YEAR>-<pid>` and `.build-trends-<pid>` (staging), `.old-<name>-<pid>`
# (the previous folder during the swap in `_publish`).
_STAGING_NAME = re.compile(r"^\.(?:build-.+|old-(?P<old>.+))-(?P<pid>\d+)$")


def _owner_alive(pid: int, folder: Path) -> bool:
    """Whether the process that made `folder` may still be running (when unsure: yes).

    A process with that id which started after the folder was last changed is not its
    owner: the id has been reused. (Two minutes' grace allows for a file server's clock.)
    """
    import psutil

    if pid == os.getpid():
        return True
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except (psutil.Error, OSError):
        return True
    try:
        changed = folder.stat().st_mtime
    except OSError:
        return True
    return started <= changed + 120.0


def clean_stale_staging(reports_dir: Path, log=print) -> list[Path]:
    """Remove the staging folders of builds that are no longer running (killed or crashed).

    Folders of running builds are left alone. A `.old-<name>-<pid>` folder whose build
    died between the two renames of `_publish` is the only copy of the previous report:
    it is put back when `<name>` is missing. Returns the folders removed or restored.
    """
    done: list[Path] = []
    if not reports_dir.is_dir():
        return done
    for folder in sorted(reports_dir.iterdir()):
        m = _STAGING_NAME.match(folder.name)
        if not m or not folder.is_dir() or _owner_alive(int(m["pid"]), folder):
            continue
        target = reports_dir / m["old"] if m["old"] else None
        try:
            if target is not None and not target.exists():
                folder.rename(target)
                log(f"restored {target} from an interrupted build's {folder.name}")
            else:
                shutil.rmtree(folder)
                log(f"removed {folder}, left by a build that is no longer running")
        except OSError as exc:  # another build got there first, or it cannot be removed
            if folder.exists():
                log(f"could not remove {folder}: {exc.strerror or exc}")
                continue
        done.append(folder)
    return done


def _link_or_copy(src: Path | str, dst: Path | str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _carry_over(final: Path, staging: Path) -> list[str]:
    """Hard-link into `staging` whatever `final` holds at its top level that the build did
    not make (the exceptions lists `iro-analysis exceptions` writes, an analyst's own
    files), so that publishing a restricted folder replaces only the build's own outputs.
    Returns the names carried over."""
    kept: list[str] = []
    if not final.is_dir():
        return kept
    for item in sorted(final.iterdir()):
        target = staging / item.name
        if target.exists() or target.is_symlink():
            continue  # the build made it anew
        if item.is_symlink():
            os.symlink(os.readlink(item), target)
        elif item.is_dir():
            shutil.copytree(item, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(item, target)
        kept.append(item.name)
    return kept


def _keep_pdf_if_current(final: Path, staging: Path, year: int, log) -> None:
    """A build without --pdf: keep the published PDF only if it still matches the report.

    The PDF is printed from the HTML alone (images are embedded), so it is current exactly
    when the new HTML is byte-identical to the HTML it was printed from. Otherwise it is
    not carried over (publishing then removes it) and the log says so: a plain build does
    not need Chromium, so it does not print a new one.
    """
    name = report_filename(year)
    old_pdf = (final / name).with_suffix(".pdf")
    if not old_pdf.is_file():
        return
    old_html, new_html = final / name, staging / name
    if old_html.is_file() and old_html.read_bytes() == new_html.read_bytes():
        try:
            os.link(old_pdf, staging / old_pdf.name)
        except OSError:
            shutil.copy2(old_pdf, staging / old_pdf.name)
        log(f"[{year}] the PDF is still current (the report did not change) and was kept")
    else:
        log(
            f"[{year}] the PDF was out of date and was removed; rebuild with FORMAT=pdf "
            f"(make report YEAR={year} FORMAT=pdf, or iro-analysis report --year {year} --pdf)"
        )


def _build_failed(
    exc: BaseException, step: str, staging_root: Path, restricted_root: Path, year: int, log
) -> None:
    """Keep the failed build's files in `restricted/.failed-<YEAR>/` (the latest failure
    only): the restricted staging, with what was staged for publication in its `published/`
    folder. Nothing of a failed build stays in reports/: a file `_publish` refused may be
    child-level.

    A full disk (or quota) becomes a BuildError naming the step, so the CLI prints one line.
    """
    staging, r_staging = staging_root / str(year), restricted_root / str(year)
    failed = restricted_root.parent / f".failed-{year}"
    try:
        shutil.rmtree(failed, ignore_errors=True)
        if staging.exists() or r_staging.exists():
            if r_staging.exists():
                r_staging.rename(failed)
            else:
                failed.mkdir(parents=True)
            if staging.exists():
                shutil.move(staging, failed / "published")
            log(f"[{year}] the failed build's files are in {failed} (only the latest is kept)")
    except OSError as cleanup:
        log(f"[{year}] could not keep the failed build in {failed}: {cleanup.strerror or cleanup}")
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
        shutil.rmtree(restricted_root, ignore_errors=True)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        raise BuildError(
            f"step '{step}' failed: no space left on the device{where}; free some space and "
            "build again (the published report was not changed)"
        ) from exc


def write_build_exceptions(year: int, processed_dir, settings, out: Path) -> int:
    """The managers' exception lists at 31 March (`iro_analysis.exceptions`), written into
    the build's restricted staging so they are published to `restricted/<YEAR>/` with the
    rest; returns how many lists the data supports."""
    from iro_analysis.clean import load_processed
    from iro_analysis.exceptions import (
        as_at_context,
        check_as_at,
        exception_lists,
        write_exception_lists,
    )

    ds = load_processed(year, processed_dir)
    ctx = as_at_context(ds, year, check_as_at(year), settings)
    lists = exception_lists(ctx)
    if lists:
        write_exception_lists(ctx, lists, out)
    return len(lists)


def build_report(
    year: int,
    raw_dir: Path | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    settings_path: Path | None = None,
    pdf: bool = False,
    narrative_path: Path | None = None,
    log=print,
    restricted_dir: Path | None = None,
) -> Path:
    """Build `reports/<YEAR>/` (clean -> validate -> report notebooks, HTML, KPIs, manifest)
    and `restricted/<YEAR>/` (the executed notebooks, exact KPIs, full validation results).

    Everything is built in staging folders first (`reports/.build-<YEAR>-<pid>/<YEAR>/`
    and `restricted/.build-<YEAR>-<pid>/<YEAR>/`); a failure raises BuildError naming the
    step and leaves any earlier report untouched. Only files on the allow-list `PUBLISHED`
    are published to reports/<YEAR>/ (anything else stops the build, naming it); the
    restricted folder is published after it, keeping what the build does not make there
    (exception lists, an analyst's files). Staging folders of builds that are no longer
    running are removed first; a failed build's files are kept in
    `restricted/.failed-<YEAR>` (the latest failure only, removed by the next good build).
    Without `pdf`, a PDF already published is kept only if the report's HTML is unchanged.
    """
    from iro_analysis.paths import available_years

    year = check_year(year)
    settings = load_settings(settings_path)
    raw_dir = Path(raw_dir or settings.paths.raw)
    reports_dir = Path(reports_dir or settings.paths.reports)
    processed_dir = Path(processed_dir or settings.paths.processed)
    restricted_dir = Path(restricted_dir or settings.paths.restricted)
    if not paths.raw_year_dir(year, raw_dir).is_dir():
        years = available_years(raw_dir)
        raise IroAnalysisError(
            f"no raw data for {year}: expected the folder {paths.raw_year_dir(year, raw_dir)}; "
            + (
                f"years available: {', '.join(map(str, years))}"
                if years
                else "run `make data` for the demo council"
            )
        )
    # The analysts' narrative is checked before anything runs (the report step checks it
    # again with the year's figures): a bad placeholder stops the build in a second.
    from iro_analysis.kpis import KPI_DEFINITIONS
    from iro_analysis.narrative import check_narrative_file

    check_narrative_file(
        Path(narrative_path) if narrative_path else paths.NARRATIVE_DIR / f"{year}.md",
        KPI_DEFINITIONS,
        SECTION_TITLES,
    )
    reports_dir.mkdir(parents=True, exist_ok=True)
    restricted_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(reports_dir, log=lambda m: log(f"[{year}] {m}"))
    clean_stale_staging(restricted_dir, log=lambda m: log(f"[{year}] {m}"))
    # reports/.build-<YEAR>-<pid>/<YEAR>/ mirrors reports/<YEAR>/, so steps that write to
    # `<reports_dir>/<YEAR>/` (validation) can be pointed at the staging root. The
    # restricted staging lies in the restricted folder, so nothing child-level is ever
    # under reports/ and its publication is a rename on the same file system.
    staging_root = reports_dir / f".build-{year}-{os.getpid()}"
    restricted_root = restricted_dir / f".build-{year}-{os.getpid()}"
    staging, r_staging = staging_root / str(year), restricted_root / str(year)
    shutil.rmtree(staging_root, ignore_errors=True)
    shutil.rmtree(restricted_root, ignore_errors=True)
    common = {"year": year, "raw_dir": raw_dir, "processed_dir": processed_dir}
    timings: dict[str, float] = {}
    final = paths.report_year_dir(year, reports_dir)
    r_final = paths.restricted_year_dir(year, restricted_dir)
    step = "staging"
    try:
        staging.mkdir(parents=True)
        (r_staging / "notebooks").mkdir(parents=True)
        steps = (
            ("clean", CLEAN_NOTEBOOK, common),
            (
                "validate",
                VALIDATE_NOTEBOOK,
                {
                    **common,
                    "reports_dir": staging_root,
                    "restricted_dir": r_staging,  # full results, GX project, Data Docs
                    "settings_path": settings_path,
                },
            ),
            (
                "report",
                REPORT_NOTEBOOK,
                {
                    **common,
                    "output_dir": staging,
                    "restricted_dir": r_staging,
                    "settings_path": settings_path,
                    "validation_path": staging / "validation.json",
                    "narrative_path": narrative_path,
                },
            ),
        )
        for step, notebook, params in steps:
            t0 = time.perf_counter()
            log(f"[{year}] {step}: running notebooks/{notebook}")
            run_notebook(step, notebook, r_staging / "notebooks" / notebook, params)
            timings[step] = time.perf_counter() - t0
            if step == "clean":
                from iro_analysis.clean import load_warnings, warning_lines

                for line in warning_lines(load_warnings(year, processed_dir)):
                    log(f"[{year}] {line}")
        step = "exceptions"
        t0 = time.perf_counter()
        n = write_build_exceptions(year, processed_dir, settings, r_staging / "exceptions")
        log(f"[{year}] exceptions: {n} managers' lists at 31 March (restricted)")
        timings["exceptions"] = time.perf_counter() - t0
        step = "html"
        t0 = time.perf_counter()
        html_path = export_html(
            r_staging / "notebooks" / REPORT_NOTEBOOK,
            staging / report_filename(year),
            year,
            settings,
        )
        timings["html"] = time.perf_counter() - t0
        step = "pdf"
        if pdf:
            from iro_analysis.pdf import html_to_pdf

            t0 = time.perf_counter()
            html_to_pdf(
                html_path,
                html_path.with_suffix(".pdf"),
                label=f"{settings.council_name}, {ReportingYear(year).label}",
            )
            timings["pdf"] = time.perf_counter() - t0
        else:
            _keep_pdf_if_current(final, staging, year, log)
        step = "publish"
        _publish(staging, final, PUBLISHED)
        kept = _carry_over(r_final, r_staging)
        if kept:
            log(f"[{year}] kept in {r_final}: {', '.join(kept)} (not made by the build)")
        _publish(r_staging, r_final, None)
    except BaseException as exc:
        _build_failed(exc, step, staging_root, restricted_root, year, log)
        raise
    shutil.rmtree(staging_root, ignore_errors=True)
    shutil.rmtree(restricted_root, ignore_errors=True)
    for failed in (restricted_dir / f".failed-{year}", reports_dir / f".failed-{year}"):
        if failed.exists():  # (reports/.failed-<YEAR>: left by an older version)
            shutil.rmtree(failed, ignore_errors=True)
            log(f"[{year}] removed {failed}, kept from an earlier failed build")
    log(
        f"[{year}] done in {sum(timings.values()):.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})"
    )
    return final / report_filename(year)


def cli_main(args) -> int:
    """`iro-analysis report --year 2022 [--pdf]`."""
    path = build_report(
        args.year,
        raw_dir=args.raw_dir,
        reports_dir=args.reports_dir,
        processed_dir=args.processed_dir,
        settings_path=args.settings,
        pdf=args.pdf,
        restricted_dir=getattr(args, "restricted_dir", None),
    )
    print(f"Report written to {path}")
    if args.pdf:
        print(f"PDF written to {path.with_suffix('.pdf')}")
    return 0


# --------------------------------------------------------------------------------------
# Multi-year trends report and the index of every report.
# --------------------------------------------------------------------------------------

TRENDS_FILENAME = "iro-trends.html"


def render_trends(ctx: ReportContext) -> str:
    """Every KPI family over every year supplied, with a chart for each headline measure."""
    from iro_analysis import html

    years = sorted(int(y) for y in ctx.history["year"].unique())
    out = html.paragraph(
        f"Every measure of the annual report for each reporting year supplied, "
        f"{_year_label(years[0])} to {_year_label(years[-1])}, computed by the same code from the same "
        "definitions, with England where a national figure is published."
    )
    for section in SECTIONS:
        if not section.kpis:
            continue
        out += _heading(section)
        out += kpi_table(ctx, section.kpis, f"{section.title}: all years")
        for kpi_id in section.kpis:
            if ctx.unit(kpi_id) == "percent" or kpi_id in section.trends:
                out += trend_figure(ctx, kpi_id)
    return out


def show_trends(ctx: ReportContext) -> None:
    from IPython.display import HTML, display

    display(HTML(render_trends(ctx)))


_INDEX = """<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ council }}: IRO annual reports</title>
<style>
body { font-family: "Segoe UI", Arial, "DejaVu Sans", sans-serif; color: #1b1b1b; line-height: 1.55;
       max-width: 50rem; margin: 2rem auto; padding: 0 1.5rem; }
a { color: #005ea5; } a:focus { outline: 3px solid #ffdd00; }
li { margin: .4rem 0; }
</style></head>
<body>
<main>
<h1>{{ council }}: Independent Reviewing Officer service reports</h1>
<h2>Annual reports</h2>
<ul>
{% for r in reports %}<li><a href="{{ r.href }}">Annual report {{ r.label }}</a> (<a href="{{ r.kpis }}">KPIs as CSV</a>)</li>
{% endfor %}</ul>
{% if trends %}<h2>Trends</h2>
<ul><li><a href="{{ trends }}">Trends across every year supplied</a></li></ul>{% endif %}
</main>
</body>
</html>
"""


def write_index(reports_dir: Path, settings: Settings) -> Path:
    """`reports/index.html` linking every year's report and the trends report."""
    import jinja2

    items = []
    for year in sorted(
        (int(p.name) for p in reports_dir.iterdir() if p.is_dir() and p.name.isdigit()),
        reverse=True,
    ):
        if (reports_dir / str(year) / report_filename(year)).is_file():
            items.append(
                {
                    "href": f"{year}/{report_filename(year)}",
                    "label": ReportingYear(year).label,
                    "kpis": f"{year}/kpis.csv",
                }
            )
    trends = (
        f"trends/{TRENDS_FILENAME}"
        if (reports_dir / "trends" / TRENDS_FILENAME).is_file()
        else None
    )
    text = (
        jinja2.Environment(autoescape=True)
        .from_string(_INDEX)
        .render(council=settings.council_name, reports=items, trends=trends)
    )
    out = reports_dir / "index.html"
    out.write_text(text, encoding="utf-8")
    return out


def build_trends(
    raw_dir: Path | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    settings_path: Path | None = None,
    log=print,
    restricted_dir: Path | None = None,
) -> Path:
    """Build `reports/trends/iro-trends.html` for the latest year supplied (its executed
    notebook goes to `restricted/trends/notebooks/`)."""
    from iro_analysis.paths import available_years

    settings = load_settings(settings_path)
    raw_dir = Path(raw_dir or settings.paths.raw)
    reports_dir = Path(reports_dir or settings.paths.reports)
    processed_dir = Path(processed_dir or settings.paths.processed)
    restricted_dir = Path(restricted_dir or settings.paths.restricted)
    years = available_years(raw_dir)
    if not years:
        raise IroAnalysisError(
            f"no year folders in {raw_dir}: run `make data` for the demo council"
        )
    clean_stale_staging(reports_dir, log=lambda m: log(f"[trends] {m}"))
    restricted_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(restricted_dir, log=lambda m: log(f"[trends] {m}"))
    staging = reports_dir / f".build-trends-{os.getpid()}"
    r_staging = restricted_dir / f".build-trends-{os.getpid()}"
    for folder in (staging, r_staging):
        shutil.rmtree(folder, ignore_errors=True)
    staging.mkdir()
    (r_staging / "notebooks").mkdir(parents=True)
    params = {
        "year": years[-1],
        "raw_dir": raw_dir,
        "processed_dir": processed_dir,
        "settings_path": settings_path,
    }
    log(f"[trends] running notebooks/{TRENDS_NOTEBOOK}")
    executed = r_staging / "notebooks" / TRENDS_NOTEBOOK
    try:
        run_notebook("trends", TRENDS_NOTEBOOK, executed, params)
        export_html(
            executed,
            staging / TRENDS_FILENAME,
            years[-1],
            settings,
            title=f"{settings.report_title}: trends",
        )
        _publish(staging, reports_dir / "trends", PUBLISHED_TRENDS)
        _publish(r_staging, restricted_dir / "trends", None)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(r_staging, ignore_errors=True)
    return reports_dir / "trends" / TRENDS_FILENAME


def cli_reports(args) -> int:
    """`iro-analysis reports`: every year's report, the trends report and the index."""
    from iro_analysis.paths import available_years

    settings = load_settings(args.settings)
    raw_dir = Path(args.raw_dir or settings.paths.raw)
    reports_dir = Path(args.reports_dir or settings.paths.reports)
    restricted_dir = Path(getattr(args, "restricted_dir", None) or settings.paths.restricted)
    years = available_years(raw_dir)
    if not years:
        raise IroAnalysisError(
            f"no year folders in {raw_dir}: run `make data` for the demo council"
        )
    if not args.no_years:
        for y in years:
            build_report(
                y,
                raw_dir=raw_dir,
                reports_dir=reports_dir,
                settings_path=args.settings,
                restricted_dir=restricted_dir,
            )
    build_trends(
        raw_dir=raw_dir,
        reports_dir=reports_dir,
        settings_path=args.settings,
        restricted_dir=restricted_dir,
    )
    index = write_index(reports_dir, settings)
    print(f"Reports index written to {index}")
    return 0


def cli_check(args) -> int:
    """`iro-analysis check --year 2022`: browser checks on the built report, screenshots beside it."""
    from iro_analysis.browser import check_report

    settings = load_settings(args.settings)
    folder = paths.report_year_dir(args.year, Path(args.reports_dir or settings.paths.reports))
    html_path = folder / report_filename(args.year)
    if not html_path.is_file():
        raise IroAnalysisError(
            f"no report at {html_path}: build it with `make report YEAR={args.year}`"
        )
    result = check_report(html_path, screenshots_dir=folder / "screenshots")
    print(
        f"{result.images} images, {len(result.toc_links)} contents links checked; screenshots in {folder / 'screenshots'}"
    )
    for problem in result.problems:
        print(f"- {problem}")
    return 1 if result.problems else 0
