"""The region report's chart: a ranked dot plot of councils, with the region and England
marked, as PNG bytes.

The project's chart conventions (`report/plots.py`): matplotlib's bare `Figure` (no
pyplot), the theme set for that figure alone in an rc context (seaborn "whitegrid", the
colour-blind-safe Okabe-Ito palette, DejaVu Sans), every value labelled directly, markers
and line styles as well as colour so nothing relies on colour alone, and PNGs with no
timestamp or software metadata so a rebuild is byte-identical.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from iro_analysis.core.years import ReportingYear
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.report.plots import DPI, INK, PALETTE, Chart, png, theme
from iro_analysis.report.suppression import SUPPRESSED


def dot_plot(
    dots: pd.DataFrame,
    value_label: str,
    *,
    percent: bool,
    references: pd.DataFrame,
    alt: str,
    caption: str,
    data: pd.DataFrame,
) -> Chart:
    """Councils as dots on one axis, in the order given (the first at the top).

    dots: columns `label` (council name), `value`, `text` (the value as printed) and
    `highlight` (True for the council whose own page this is: a larger diamond, a
    different colour and a bold name). references: columns `label`, `value`, `text` (the
    region's pooled figure, England's), each drawn as a vertical line with its own style
    and labelled with its value. `data` is the table printed beneath the chart.
    """
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib.figure import Figure

    with mpl.rc_context(theme()):
        n = len(dots)
        fig = Figure(figsize=(7.0, max(2.4, 0.34 * n + 1.7)), dpi=DPI, layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        colours = sns.color_palette(PALETTE, 6)
        y = list(range(n))
        values = dots["value"].astype("float64").tolist()
        hl = dots["highlight"].astype(bool).tolist()
        # Every council a circle; the page's own council a larger diamond in another
        # colour (shape and size as well as colour).
        for own, marker, size, colour, label in (
            (False, "o", 55, colours[0], "Council"),
            (True, "D", 110, colours[1], "This council"),
        ):
            points = [(v, i) for i, (v, h) in enumerate(zip(values, hl, strict=True)) if h == own]
            if points:
                ax.scatter(
                    [v for v, _ in points],
                    [i for _, i in points],
                    marker=marker,
                    s=size,
                    color=colour,
                    edgecolor=INK,
                    zorder=4 if own else 3,
                    label=label,
                )
        for i, (v, text, h) in enumerate(zip(values, dots["text"], hl, strict=True)):
            ax.annotate(
                text,
                (v, i),
                textcoords="offset points",
                xytext=(8, 0),
                va="center",
                fontsize=8,
                color=INK,
                fontweight="bold" if h else "normal",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
                zorder=5,
            )
        styles = [("--", colours[2]), (":", INK), ("-.", colours[4])]
        for k, r in enumerate(references.itertuples(index=False)):
            if pd.isna(r.value):
                continue
            style, colour = styles[k % len(styles)]
            ax.axvline(
                r.value,
                linestyle=style,
                color=colour,
                linewidth=1.8,
                zorder=2,
                label=f"{r.label}: {r.text}",
            )
        ax.set_yticks(y, dots["label"].astype(str).tolist())
        for tick, h in zip(ax.get_yticklabels(), hl, strict=True):
            tick.set_fontweight("bold" if h else "normal")
        ax.set_ylim(max(n, 1) - 0.5, -0.7)
        top = max([*values, *references["value"].dropna().astype("float64").tolist(), 0.0])
        # room to the right of the largest dot for its label
        ax.set_xlim(0, 114 if percent else max(1.0, top * 1.22))
        if percent:
            ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel(textwrap.fill(value_label, 60))
        ax.grid(axis="y", visible=False)
        fig.legend(loc="outside lower center", ncols=4, frameon=False, fontsize=8)
        return Chart(png(fig, tight=False), alt, caption, data)


def direction_text(kpi_id: str) -> str:
    """How a measure is ranked, from its registered direction."""
    d = KPI_DEFINITIONS[kpi_id].direction
    if d is None:
        return "neither higher nor lower is better (ranked highest first)"
    return "higher is better" if d else "lower is better"


def measure_chart(
    bench: pd.DataFrame, refs: pd.DataFrame, kpi_id: str, year: int, highlight: str | None
) -> Chart:
    """The ranked dot plot of one measure from `region.report.benchmark` and
    `region.report.references` (the council `highlight` marked, if any): alt text stating
    who is first and last, the region's and England's figures and the highlighted council's
    place; the data beneath lists every council (c and not supplied too), the region and
    England."""
    d = KPI_DEFINITIONS[kpi_id]
    b = bench[bench["kpi_id"] == kpi_id]
    r = refs.set_index("kpi_id").loc[kpi_id]
    label = ReportingYear(year).label
    dots = b[b["status"] == "shown"]
    dots = pd.DataFrame(
        {
            "label": dots["council"],
            "value": dots["value"],
            "text": dots["text"],
            "highlight": dots["la_code"] == highlight,
        }
    )
    ref = pd.DataFrame(
        {
            "label": ["Region (pooled)", "England"],
            "value": [r["region"], r["england"]],
            "text": [r["region_text"], r["england_text"]],
        }
    )
    data = pd.DataFrame({"Council": b["council"], "Position": b["position"], d.title: b["text"]})
    data = pd.concat(
        [data, pd.DataFrame({"Council": ref["label"], "Position": "", d.title: ref["text"]})],
        ignore_index=True,
    )
    alt = f"Dot plot of {d.title[0].lower() + d.title[1:]} in {label}, councils ranked"
    alt += " highest first." if d.direction in (True, None) else " lowest first."
    if len(dots):
        first, last = dots.iloc[0], dots.iloc[-1]
        alt += (
            f" {first['label']} is first ({first['text']}), {last['label']} last ({last['text']})."
        )
    else:
        alt += " No council's figure can be shown."
    alt += (
        f" The region's pooled figure is {r['region_text']}."
        if pd.notna(r["region"])
        else " There is no pooled figure for the region."
    )
    alt += (
        f" England's is {r['england_text']}."
        if pd.notna(r["england"])
        else " England has no published figure to compare with."
    )
    if highlight is not None:
        own = b[b["la_code"] == highlight].iloc[0]
        if own["status"] == "shown":
            alt += f" {own['council']}, highlighted, is {own['text']} ({own['position']})."
        else:
            alt += f" {own['council']}, this page's council, is not plotted ({own['text']})."
    hidden = int((b["status"] == SUPPRESSED).sum())
    if hidden:
        alt += f" Not plotted: {hidden} council(s) shown as c (small numbers)."
    missing = int(b["status"].isin(["no cases", "not supplied"]).sum())
    if missing:
        alt += f" Not plotted: {missing} council(s) with no figure."
    return dot_plot(
        dots,
        d.title,
        percent=d.unit == "percent",
        references=ref,
        alt=alt,
        caption=f"{d.title}, {label}: councils ranked, {direction_text(kpi_id)}",
        data=data,
    )
