"""Data quality, validation, the appendix of definitions, and what the report shows as c."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from iro_analysis.core import paths
from iro_analysis.report import html
from iro_analysis.report.breakdowns import BREAKDOWNS, breakdown_mask
from iro_analysis.report.context import ReportContext, manifest_parameters
from iro_analysis.report.format import kpi_text, safe_markdown, year_label
from iro_analysis.report.handbook import unwritten_note
from iro_analysis.report.history import HISTORY_RULES, history_table, own_return_table
from iro_analysis.report.templating import render

if TYPE_CHECKING:
    from iro_analysis.ingest.dataset import Dataset


def section_data_quality(ctx: ReportContext) -> Markup:
    """Inputs supplied, row accounting, quarantine, warnings, reconciliation and validation
    (`data_quality.html.j2`), then the narrative sections not written this year."""
    from iro_analysis.contract.tables import SUPPLIED_INPUTS

    ds, label = ctx.dataset, ctx.year.label
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
    page = render(
        "data_quality.html.j2",
        intro=f"The pipeline read the year folders up to {label} "
        f"({', '.join(year_label(y) for y in ds.years)}); later years' files are never read, so "
        "these figures can be rebuilt from the same folders at any later date. The year's own "
        "files say who was looked after, on a plan or in dispute in the year; earlier years give "
        f"only the history that timeliness measures need. Figures for {label} use only inputs "
        "present in that year's own folder. Rows that broke the data contract were quarantined "
        "and left out of every figure; nothing was dropped silently.",
        label=label,
        supplied=html.raw_table(
            ["Input", *[year_label(y) for y in ds.years]],
            grid,
            "Inputs supplied by year folder",
            css="data text",
        ),
        accounting=_accounting_table(ds, ctx.year.year, label),
        quarantine=_quarantine_table(ds, ctx.year.year, label),
        unread=_unread_table(ds, ctx.year.year, label),
        warnings=warnings_table(ds, ctx.year.year, label),
        reconciliation=_reconciliation_table(ds, ctx.year.year, label),
        own_return=own_return_table(ctx),
        history=history_table(ds, ctx.year.year),
        not_supplied=(
            "The council does not supply these returns (settings, not_supplied): "
            + ", ".join(ctx.settings.not_supplied)
            + '; their measures read "not supplied".'
            if ctx.settings.not_supplied
            else ""
        ),
        validation=validation_html(ctx.validation),
    )
    return html.join([page, unwritten_note(ctx)])  # the narrative sections not written


def _accounting_table(ds: Dataset, year: int, label: str) -> Markup:
    """Rows read, kept, removed as duplicates and quarantined, per file (empty: none)."""
    acc = ds.accounting
    acc = acc[acc["year"].astype(int) == year]
    if not len(acc):
        return Markup()
    t = acc[["file", "rows_read", "rows_kept", "duplicates_removed", "rows_quarantined"]].copy()
    t.columns = ["File", "Rows read", "Rows kept", "Exact duplicates removed", "Rows quarantined"]
    for c in t.columns[1:]:
        t[c] = [f"{int(v):,}" for v in t[c]]
    return html.table(t, f"Row accounting for the {label} files")


def _quarantine_table(ds: Dataset, year: int, label: str) -> Markup:
    """Rows quarantined, by file and rule (empty: none were)."""
    q = ds.quarantine
    q = q[q["year"].astype(int) == year] if len(q) else q
    if not len(q):
        return Markup()
    from iro_analysis.contract.quality import QUARANTINE_RULES

    t = q.groupby(["file", "rule"], sort=True).size().reset_index(name="rows")
    t["Reason"] = [QUARANTINE_RULES.get(r, r) for r in t["rule"]]
    t = t[["file", "rule", "Reason", "rows"]]
    t.columns = ["File", "Rule", "Reason", "Rows"]
    return html.table(t, f"Rows quarantined from the {label} files, by rule")


def validation_html(v: pd.DataFrame | None) -> Markup:
    """What the validation results say, derived from them: counts by outcome, every
    failed check (critical ones only appear when an analyst accepted them, with the
    reason), never a claim the results do not support (`validation.html.j2`)."""
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
    accepted_table = failed_table = Markup()
    if n_acc:
        t = v.loc[~success & accepted, ["column", "accepted"]].copy()
        t.columns = ["Check", "Accepted because"]
        accepted_table = html.table(
            t, "Critical checks that failed and were accepted, with the reason"
        )
    failed = v[~success & ~accepted]
    if len(failed):
        cols = ["table", "column", "expectation", "severity", "unexpected_count"]
        t = failed[[c for c in cols if c in failed]].copy()
        t.columns = [c.replace("_", " ").capitalize() for c in t.columns]
        failed_table = html.table(t, "Checks that failed (warnings do not stop the report)")
    return render("validation.html.j2", summary=text, accepted=accepted_table, failed=failed_table)


def _reconciliation_table(ds: Dataset, year: int, label: str) -> Markup:
    """The same events counted in two returns, with the differences (empty: none are)."""
    from iro_analysis.validate.gates import reconcile, reconcile_off

    r = reconcile(ds, year)
    if not len(r):
        return Markup()
    t = r.copy()
    t["note"] = [
        reconciliation_note(row, off)
        for row, off in zip(r.to_dict("records"), reconcile_off(r), strict=True)
    ]
    for col in ("first", "second", "difference"):
        t[col] = [f"{int(v):,}" for v in t[col]]
    t = t[["measure", "first_source", "first", "second_source", "second", "difference", "note"]]
    t.columns = ["Measure", "Source", "Count", "Compared with", "Count", "Difference", "Note"]
    return html.table(t, f"The same events counted in two returns, {label}")


def reconciliation_note(row: dict, off: bool) -> str:
    """Why a measure's two counts differ, and which the report uses (issue #26: one count
    per thing, or a note): each return records the events on its own, so an event entered
    in one and not (or not yet) in the other counts in one only; the report's figures come
    from the first source."""
    if not row["difference"]:
        return ""
    d = int(row["difference"])
    more = row["first_source"] if d > 0 else row["second_source"]
    note = (
        f"{abs(d):,} more in the {more} (each return records events on its own); "
        f"the report's figures use the {row['first_source']}'s {int(row['first']):,}"
    )
    return f"Differs by more than 10%: {note}" if off else note[0].upper() + note[1:]


def _year_warnings(ds: Dataset, year: int) -> pd.DataFrame:
    """The warnings raised on the year's files."""
    w = ds.warnings
    return w[w["year"].astype(int) == year] if len(w) else w


def _unread_table(ds: Dataset, year: int, label: str) -> Markup:
    """Files present but not read, counted by folder and reason (empty: every file was read).

    Not named: their names are whatever someone saved them as ("notes on child
    1234567.csv"), so they are for the build log and the restricted clean notebook only.
    """
    w = _year_warnings(ds, year)
    unread = w[w["rule"] == "file_not_read"]
    if not len(unread):
        return Markup()
    folder = [f"{f.split('/')[0]}/" if "/" in f else "the year folder" for f in unread["file"]]
    t = (
        unread.assign(folder=folder)
        .groupby(["folder", "value"], sort=True)
        .size()
        .reset_index(name="files")
    )
    t.columns = ["Folder", "Why it was not read", "Files"]
    return html.table(
        t, f"Files in the {label} folder that were not read (the build log names them)"
    )


def warnings_table(ds: Dataset, year: int, label: str) -> Markup:
    """The warnings on kept rows and columns, by file, column and rule (empty: none)."""
    from iro_analysis.contract.quality import WARNING_RULES

    w = _year_warnings(ds, year)
    rest = w[(w["rule"] != "file_not_read") & ~w["rule"].isin(HISTORY_RULES)]
    if not len(rest):
        return Markup()
    t = (
        rest.assign(column=rest["column"].fillna(""))
        .groupby(["file", "rule", "column"], sort=True)
        .size()
        .reset_index(name="records")
    )
    t["Meaning"] = [WARNING_RULES.get(r, r) for r in t["rule"]]
    t = t[["file", "column", "Meaning", "records"]]
    t.columns = ["File", "Column", "Meaning", "Rows or columns"]
    return html.table(t, f"Warnings on the {label} files (nothing here was left out)")


def _assumptions() -> Markup:
    """docs/assumptions.md, its headings moved below the section's h3 (sanitised)."""
    log = paths.DOCS_DIR / "assumptions.md"
    if not log.is_file():
        return Markup()
    text = log.read_text(encoding="utf-8")
    text = re.sub(r"^# .*\n", "", text, count=1)  # the report has one h1
    text = re.sub(
        r"^(#+) ", lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", text, flags=re.MULTILINE
    )
    return safe_markdown(text)


def _england_sources(ctx: ReportContext) -> Markup:
    """England's figure beside each of the year's measures, with the DfE publication and
    edition it comes from and the table or data file it was read from
    (`data/national_figures.csv`, documented in docs/national-figures.md)."""
    from iro_analysis.kpis.national import national_figures
    from iro_analysis.report.narrative import format_value

    nf = national_figures()
    nf = nf[nf["year"] == ctx.year.year].set_index("measure")
    rows = []
    for kpi_id in ctx.kpis["kpi_id"]:
        d = ctx.definitions.get(kpi_id)
        if d is None or d.england is None or d.england not in nf.index:
            continue
        r = nf.loc[d.england]
        rows.append(
            [
                d.title,
                format_value(float(r["value"]), d.unit),
                f"{r['source']} (published {r['published']})",
                r["table"],
            ]
        )
    if not rows:
        return html.paragraph(
            f"DfE has published no England figure for this report's measures in {ctx.year.label}."
        )
    return html.raw_table(
        ["Measure", "England", "Publication (edition)", "Table or data file"],
        rows,
        f"England's figures for {ctx.year.label} and where they come from",
        css="data text",
    )


def section_appendix(ctx: ReportContext) -> Markup:
    """Every measure with its definition, the assumptions, provenance (`appendix.html.j2`)."""
    from iro_analysis.core import manifest

    rows = []
    for row in ctx.kpis.itertuples(index=False):
        d = ctx.definitions.get(row.kpi_id)
        rows.append(
            [
                row.kpi_id,
                getattr(d, "title", row.kpi_id),
                html.kpi_span(row.kpi_id, appendix_value(ctx, row.kpi_id, row.value, d)),
                getattr(d, "definition", ""),
                getattr(d, "source", ""),
            ]
        )
    m = manifest.build_manifest(ctx.year.year, manifest_parameters(ctx), ctx.dataset.supplied)
    code = m["code"]
    inputs = [
        [i["input"], year_label(i["year"]), (i["sha256"] or "")[:16]]
        for i in m["inputs"]
        if i["present"]
    ]
    return render(
        "appendix.html.j2",
        measures_note="Counts by participation code, category of abuse and dispute theme are "
        "breakdowns: values of 1 to "
        f"{ctx.settings.suppression_threshold}, and values that would reveal them, are shown as c, as in "
        "the breakdown tables. kpis.csv and kpis.xlsx beside this report hold every measure with its "
        "numerator and denominator, with the same counts shown as c.",
        measures=html.raw_table(
            ["KPI id", "Measure", "Value", "Definition", "Source"],
            rows,
            "KPI values and definitions",
            css="data text",
        ),
        england=_england_sources(ctx),
        assumptions=_assumptions(),
        provenance=f"Built by iro-analysis {code['package_version']}"
        + (f" at commit {str(code['git_commit'])[:12]}" if code.get("git_commit") else "")
        + (" (with uncommitted changes)" if code.get("git_dirty") else "")
        + f", Python {m['python']}. The run manifest (manifest.json beside this report) lists every input "
        "file's SHA-256 hash, the parameters and the package versions.",
        inputs=html.raw_table(
            ["Input", "Year", "SHA-256 (first 16)"],
            inputs,
            "Input files and their hashes",
            css="data text",
        ),
        packages=html.raw_table(
            ["Package", "Version"],
            [[k, v] for k, v in m["packages"].items()],
            "Package versions",
            css="data text",
        ),
    )


# Per-code KPIs that repeat a breakdown's cell: pattern -> (breakdown, its code column).
_PATTERN_CELLS = {
    "cla_participation_<code>": ("participation_by_code", "code"),
    "cp_category_<cat>": ("cp_by_category", "category"),
    "drp_theme_<THEME>": ("drp_by_theme", "theme"),
    "feedback_responses_<respondent>": ("feedback_by_respondent", "respondent"),
}


def _pattern_hidden(ctx: ReportContext, kpi_id: str, pattern: str) -> bool:
    """Whether a per-code KPI shows as c: exactly when the breakdown cell it repeats does
    (so the appendix reveals nothing the breakdown hides); without that breakdown, by the
    same rule applied to the pattern's KPIs as one column adding up to their total."""
    from iro_analysis.report.suppression import disclosure_mask

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


def appendix_value(ctx: ReportContext, kpi_id: str, value: object, definition: object) -> str:
    """A KPI as the appendix shows it; a per-code KPI (a breakdown's cell) as c where the
    breakdown's disclosure control hides that cell."""
    from iro_analysis.report.suppression import SUPPRESSED

    if _shown_as_c(ctx, kpi_id, value, definition):
        return SUPPRESSED
    return kpi_text(ctx, kpi_id, value) or "no cases"


def hidden_kpis(ctx: ReportContext) -> set[str]:
    """This year's KPIs the report shows as c (see `_shown_as_c`)."""
    return {
        row.kpi_id
        for row in ctx.kpis.itertuples(index=False)
        if _shown_as_c(ctx, row.kpi_id, row.value, ctx.definitions.get(row.kpi_id))
    }
