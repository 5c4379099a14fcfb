"""The region's benchmarking report (issue #19): an index page and a page per council.

From `region_kpis.csv` (one row per council and KPI, and the pooled row `la_code` =
"region"), for each headline measure that compares across councils (a percentage or a
rate: `headline_kpis()` whose unit is not a count, which says more about a council's
size than its practice): a ranked dot plot of the councils with the region's pooled
figure and England's (`kpis.registry.england_value`) marked, a table of where each
council sits, and each council's own page with its dot highlighted.

Ranks follow each KPI's registered `direction`: 1st is the best figure (highest when
higher is better, lowest when lower is better); for a measure where neither is better the
councils are ranked highest first and the table says so. Equal figures share a rank
("=2nd") and the next rank is skipped (2, 2, 4). A council whose figure is suppressed or
not supplied is not ranked; the others are ranked among themselves.

Disclosure control (`report.suppression.small_figures`, the rule region_kpis.csv is
published with; threshold `suppression_threshold` in the settings): a figure whose
numerator, or denominator unless it is staff time, is from 1 to the threshold, or that
arrives as "c", is shown as c, is not
plotted and is not ranked. Only rates are printed (no numerators or denominators), so a
hidden figure cannot be worked out from the region's pooled totals. No child-level data
is read: the input is the region's KPI table.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from iro_analysis.core.years import ReportingYear
from iro_analysis.kpis.registry import KPI_DEFINITIONS, england_value, headline_kpis
from iro_analysis.region.plots import direction_text, measure_chart
from iro_analysis.report.suppression import SUPPRESSED, small_figures
from iro_analysis.report.templating import environment, join, render

REGION = "region"  # the la_code of the pooled row
COUNCIL_CHARTS_UP_TO = 40  # councils; a larger region's council pages link to the index's plots
NOT_SUPPLIED = "not supplied"  # no row: the council's data did not give the KPI
NO_CASES = "no cases"  # a row with no value: a rate whose denominator is 0
_CODE = re.compile(r"[A-Za-z0-9_-]+")


def council_page_name(la_code: str) -> str:
    """The file name of a council's page: council-<la_code>.html."""
    return f"council-{la_code}.html"


def measures(kpis: pd.DataFrame, year: int) -> list[str]:
    """The headline KPIs the report benchmarks, in registry order: the headline
    percentages and rates that `kpis` has a row for in `year` (counts are left out)."""
    present = set(kpis.loc[kpis["year"].astype(int) == int(year), "kpi_id"].astype(str))
    return [k for k in headline_kpis() if KPI_DEFINITIONS[k].unit != "count" and k in present]


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("object").where(s.astype(str) != SUPPRESSED), errors="coerce")


def _format(values: pd.Series, kpi_ids: pd.Series) -> pd.Series:
    """Values as printed: a percentage "72.4%", a rate to 1 dp "34.7"; blank when missing."""
    unit = kpi_ids.map(lambda k: KPI_DEFINITIONS[k].unit)
    v = values.astype("Float64").round(1)
    text = v.map(lambda x: "" if pd.isna(x) else f"{float(x):.1f}")
    return text.where(unit != "percent", text.where(text == "", text + "%")).astype(str)


def _ordinal(n: pd.Series) -> pd.Series:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    last, tens = n % 10, n % 100
    suffix = pd.Series("th", index=n.index)
    for digit, s in ((1, "st"), (2, "nd"), (3, "rd")):
        suffix = suffix.mask((last == digit) & ~tens.between(11, 13), s)
    return n.astype(str) + suffix


def shown_figures(kpis: pd.DataFrame, year: int, threshold: int) -> pd.DataFrame:
    """The year's rows of `measures(kpis)` with `value` (Float64, NA unless shown), `text`
    (as printed: the value, or its status) and `status` ("shown", "c" or "no cases"); councils
    and the region alike. A row is c when its numerator or denominator is from 1 to
    `threshold`, or it arrives hidden (a figure c, or `suppressed` True where `kpis` has
    that column, as `region.run.published_frame` marks it). Does not modify `kpis`."""
    keep = measures(kpis, year)
    df = kpis[(kpis["year"].astype(int) == int(year)) & kpis["kpi_id"].isin(keep)].copy()
    df["la_code"] = df["la_code"].astype(str)
    cols = ["value", "numerator", "denominator"]
    arrived_c = (df[cols].astype(str) == SUPPRESSED).any(axis=1)
    if "suppressed" in df:  # region.run's published frame: hidden figures blank, flagged
        arrived_c |= df["suppressed"].fillna(False).astype(bool)
    value = _numeric(df["value"])
    hidden = arrived_c | small_figures(df, threshold)
    df["status"] = "shown"
    df.loc[value.isna(), "status"] = NO_CASES
    df.loc[hidden, "status"] = SUPPRESSED
    df["value"] = value.astype("Float64").where(df["status"] == "shown")
    df["text"] = _format(df["value"], df["kpi_id"]).where(df["status"] == "shown", df["status"])
    return df[["la_code", "kpi_id", "value", "text", "status"]].reset_index(drop=True)


def benchmark(
    kpis: pd.DataFrame, year: int, councils: Mapping[str, str], threshold: int
) -> pd.DataFrame:
    """Every council and measure: la_code, council, kpi_id, value, text, status, rank
    (Int64, among the councils shown), ranked (how many were), position (e.g. "=2nd of
    4", "1st highest of 3" where neither direction is better; "" when not ranked). Rows
    ordered by measure, then rank, then council code."""
    shown = shown_figures(kpis, year, threshold)
    ms = measures(kpis, year)
    grid = pd.MultiIndex.from_product([ms, sorted(councils)], names=["kpi_id", "la_code"])
    df = grid.to_frame(index=False).merge(shown, on=["kpi_id", "la_code"], how="left")
    df["status"] = df["status"].fillna(NOT_SUPPLIED)
    df["text"] = df["text"].fillna(NOT_SUPPLIED).astype(str)
    df["council"] = df["la_code"].map(dict(councils)).astype(str)
    direction = df["kpi_id"].map(lambda k: KPI_DEFINITIONS[k].direction)
    # lower is better: rank ascending; higher is better or neither: highest first
    key = df["value"].astype("float64") * direction.map(lambda d: 1.0 if d is False else -1.0)
    df["rank"] = key.groupby(df["kpi_id"]).rank(method="min").astype("Int64")
    df["ranked"] = df.groupby("kpi_id")["value"].transform("count").astype("Int64")
    tied = df.groupby(["kpi_id", "rank"])["la_code"].transform("size").gt(1) & df["rank"].notna()
    ranked = df["rank"].notna()
    pos = _ordinal(df["rank"].fillna(0).astype(int))
    pos = pos.where(direction.notna(), pos + " highest")
    pos = tied.map({True: "=", False: ""}) + pos + " of " + df["ranked"].astype(str)
    df["position"] = pos.where(ranked, "")
    order = {k: i for i, k in enumerate(ms)}
    df = df.assign(_m=df["kpi_id"].map(order)).sort_values(
        ["_m", "rank", "la_code"], na_position="last", kind="mergesort"
    )
    cols = ["la_code", "council", "kpi_id", "value", "text", "status", "rank", "ranked", "position"]
    return df[cols].reset_index(drop=True)


def references(kpis: pd.DataFrame, year: int, threshold: int) -> pd.DataFrame:
    """Per measure: the region's pooled figure and England's (value, text); NA and "not
    available" when there is none."""
    shown = shown_figures(kpis, year, threshold)
    region = shown[shown["la_code"] == REGION].set_index("kpi_id")
    out = pd.DataFrame({"kpi_id": measures(kpis, year)})
    out["region"] = out["kpi_id"].map(region["value"]).astype("Float64")
    out["region_text"] = out["kpi_id"].map(region["text"]).fillna("not available").astype(str)
    out["england"] = out["kpi_id"].map(lambda k: england_value(k, year)).astype("Float64")
    eng = _format(out["england"], out["kpi_id"])
    out["england_text"] = eng.where(eng != "", "not available")
    return out


def where_each_council_sits(bench: pd.DataFrame) -> pd.DataFrame:
    """Councils as rows (by code), measures as columns (registry order): each council's
    position, or c / not supplied."""
    cell = bench["position"].where(bench["position"] != "", bench["text"])
    table = bench.assign(cell=cell).pivot(index="la_code", columns="kpi_id", values="cell")
    ms = list(dict.fromkeys(bench["kpi_id"]))
    names = bench.drop_duplicates("la_code").set_index("la_code")["council"]
    table = table[ms].rename(columns=lambda k: f"{KPI_DEFINITIONS[k].title}: {direction_text(k)}")
    table.insert(0, "Council", names.reindex(table.index))
    return table.reset_index(drop=True).rename_axis(columns=None)


def _compare(value: object, ref: object, kpi_id: str, name: str) -> str:
    """In words, how a figure compares with a reference figure (the region, England)."""
    if pd.isna(value) or pd.isna(ref):
        return ""
    d = KPI_DEFINITIONS[kpi_id].direction
    if float(value) == float(ref):
        return f"the same as {name}"
    above = float(value) > float(ref)
    if d is None:
        return f"{'above' if above else 'below'} {name}"
    return f"{'better' if above == d else 'worse'} than {name}"


def council_summary(bench: pd.DataFrame, refs: pd.DataFrame, la_code: str) -> pd.DataFrame:
    """One council's measures: its figure, position, the region's and England's figures
    and how it compares with each."""
    b = bench[bench["la_code"] == la_code].merge(refs, on="kpi_id", how="left")
    return pd.DataFrame(
        {
            "Measure": b["kpi_id"].map(lambda k: KPI_DEFINITIONS[k].title),
            "This council": b["text"],
            "Position among the councils": b["position"],
            "Region (pooled)": b["region_text"],
            "England": b["england_text"],
            "Compared with the region and England": [
                "; ".join(
                    t for t in (_compare(v, r, k, "the region"), _compare(v, e, k, "England")) if t
                )
                for v, r, e, k in zip(
                    b["value"], b["region"], b["england"], b["kpi_id"], strict=True
                )
            ],
        }
    )


def _method(threshold: int) -> Markup:
    return join(
        [
            _part("paragraph")(
                "Each council's figures come from its own returns, computed by the same code "
                "as its annual report. The region's pooled figure is the sum of the councils' "
                "numerators divided by the sum of their denominators, so a larger council "
                "counts for more. England's figure is DfE's published national figure, where "
                "there is one."
            ),
            _part("paragraph")(
                "1st is the best figure: the highest where higher is better, the lowest where "
                "lower is better. Where neither is better, councils are ranked highest first. "
                "Councils with the same figure share a rank (shown as =2nd) and the next rank "
                "is skipped. A council whose figure is suppressed or not supplied is not "
                "ranked, and the others are ranked among themselves."
            ),
            _part("paragraph")(
                f"Disclosure control: a figure whose numerator or denominator is from 1 to "
                f"{threshold} (the threshold each council's own report applies to its "
                "breakdowns) is shown as c, so that no small group of children can be "
                "identified. It is not plotted or ranked. Only rates are shown here, never the "
                "counts behind them."
            ),
        ]
    )


def _page(title: str, heading: str, lead: str, sections: list[dict], back: str | None) -> bytes:
    text = render(
        "region_page.html.j2", title=title, heading=heading, lead=lead, sections=sections, back=back
    )
    return str(text).encode("utf-8")


def _part(name: str):
    """A macro of `templates/fragments/region_parts.html.j2` (autoescaped Markup)."""
    return getattr(environment().get_template("region_parts.html.j2").module, name)


def _figure(
    bench: pd.DataFrame, refs: pd.DataFrame, kpi_id: str, year: int, highlight: str | None
) -> Markup:
    """A measure's ranked dot plot as a figure, the data behind it as a table beneath."""
    chart = measure_chart(bench, refs, kpi_id, year, highlight)
    png = base64.b64encode(chart.png).decode("ascii")
    data = chart.data.astype("object").where(chart.data.notna(), "")
    return _part("figure")(
        png, chart.alt, chart.caption, list(data.columns), data.to_numpy().tolist()
    )


def _section(anchor: str, title: str, body: Markup) -> dict:
    """One section of a region page (`region_page.html.j2`)."""
    return {"anchor": anchor, "title": title, "body": body}


def _measure_sections(
    bench: pd.DataFrame, refs: pd.DataFrame, ms: list[str], year: int, highlight: str | None
) -> list[dict]:
    """A section per measure, its ranked dot plot (the council `highlight` marked)."""
    return [
        _section(k, KPI_DEFINITIONS[k].title, _figure(bench, refs, k, year, highlight)) for k in ms
    ]


def _table(df: pd.DataFrame, caption: str) -> Markup:
    """An accessible table of `df` (its first column as row headers), missing cells blank."""
    rows = df.astype("object").where(df.notna(), "").to_numpy().tolist()
    return _part("table")([str(c) for c in df.columns], rows, caption)


def build_region_report(
    kpis: pd.DataFrame,
    year: int,
    councils: Mapping[str, str],
    out_dir: Path,
    *,
    threshold: int | None = None,
    council_charts_up_to: int = COUNCIL_CHARTS_UP_TO,
) -> Path:
    """Write the benchmarking report for `year` into `out_dir`: index.html (a dot plot per
    measure, where each council sits) and council-<la_code>.html for each council of
    `councils` (la_code -> name). `threshold` defaults to the settings'
    `suppression_threshold`. A region of more than `council_charts_up_to` councils gets
    council pages without their own plots (each would redraw every council again: at 150
    councils about 20 s and 8 MB per page); they link to the index's plots instead.
    Returns the index page's path."""
    if threshold is None:
        from iro_analysis.core.settings import settings_or_defaults

        threshold = settings_or_defaults().suppression_threshold
    bad = sorted(c for c in councils if not _CODE.fullmatch(str(c)) or c == REGION)
    unknown = sorted(set(kpis["la_code"].astype(str)) - set(councils) - {REGION})
    if bad or unknown:
        raise ValueError(
            f"region report: council codes not usable as page names {bad}, "
            f"or in the KPIs with no name {unknown}"
        )
    ms = measures(kpis, year)
    if not ms:
        raise ValueError(f"region report: no headline percentage or rate for {year} in the KPIs")
    bench = benchmark(kpis, year, councils, threshold)
    refs = references(kpis, year, threshold)
    label = ReportingYear(year).label
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    method = _section("about", "About these figures", _method(threshold))
    sits = where_each_council_sits(bench)
    caption = f"Where each council sits among the region's councils, {label}"
    index_sections = [
        _section("where-each-council-sits", "Where each council sits", _table(sits, caption)),
        *_measure_sections(bench, refs, ms, year, None),
        _section(
            "councils",
            "Each council's page",
            _part("links")([(council_page_name(c), councils[c]) for c in sorted(councils)]),
        ),
        method,
    ]
    pages = {council_page_name(c) for c in councils}
    for stale in sorted(out_dir.glob(council_page_name("*"))):  # a council no longer in it
        if stale.name not in pages:
            stale.unlink()
    index = out_dir / "index.html"
    index.write_bytes(
        _page(
            f"Benchmarking IRO services across the region, {label}",
            f"Benchmarking IRO services across the region, {label}",
            f"How the {len(councils)} councils' IRO services compare with each other, with the "
            "region as a whole and with England, on each headline measure.",
            index_sections,
            None,
        )
    )
    own_charts = len(councils) <= council_charts_up_to
    plots_elsewhere = _section(
        "dot-plots",
        "The dot plots",
        join(
            [
                _part("paragraph")(
                    f"With {len(councils)} councils, each measure's ranked dot plot is on the "
                    "region's page only (the table above gives this council's place in each):"
                ),
                _part("links")([(f"index.html#{k}", KPI_DEFINITIONS[k].title) for k in ms]),
            ]
        ),
    )
    lead_charts = " Its own figure is the highlighted diamond in each chart." if own_charts else ""
    for code in sorted(councils):
        name = councils[code]
        summary = council_summary(bench, refs, code)
        cap = f"{name}: headline measures compared with the region and England, {label}"
        sections = [
            _section("summary", "At a glance", _table(summary, cap)),
            *(_measure_sections(bench, refs, ms, year, code) if own_charts else [plots_elsewhere]),
            method,
        ]
        (out_dir / council_page_name(code)).write_bytes(
            _page(
                f"{name}: benchmarking, {label}",
                f"{name}: how its IRO service compares, {label}",
                f"{name}'s headline measures beside the region's other councils, the region "
                f"as a whole and England.{lead_charts}",
                sections,
                "index.html",
            )
        )
    return index
