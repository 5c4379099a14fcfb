"""Data quality, validation, the appendix of definitions, and what the report shows as c."""

from __future__ import annotations

import re

import pandas as pd

from iro_analysis import paths
from iro_analysis.report.breakdowns import BREAKDOWNS, breakdown_mask
from iro_analysis.report.context import ReportContext, manifest_parameters
from iro_analysis.report.format import _fmt, _markdown, _year_label


def _section_data_quality(ctx: ReportContext) -> str:
    from iro_analysis.contract.schema import SUPPLIED_INPUTS
    from iro_analysis.report import html

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
        from iro_analysis.contract.schema import QUARANTINE_RULES

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
    from iro_analysis.report import html

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
    from iro_analysis.report import html
    from iro_analysis.validate.gates import reconcile, reconcile_off

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
    from iro_analysis.contract.schema import WARNING_RULES
    from iro_analysis.report import html

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


def _section_appendix(ctx: ReportContext) -> str:
    from iro_analysis.build import manifest
    from iro_analysis.report import html

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
    m = manifest.build_manifest(ctx.year.year, manifest_parameters(ctx), ctx.dataset.supplied)
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


def _appendix_value(ctx: ReportContext, kpi_id: str, value: object, definition: object) -> str:
    """A KPI as the appendix shows it; a per-code KPI (a breakdown's cell) as c where the
    breakdown's disclosure control hides that cell."""
    from iro_analysis.report.suppression import SUPPRESSED

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
