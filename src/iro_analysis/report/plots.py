"""Charts for the report: seaborn on matplotlib's Agg canvas, returned as PNG bytes.

Sizes (issue #26): the committee PDF prints a chart at `PRINT_WIDTH` (print.css: 62% of
A4's 180 mm text width, 4.39 in), so the wide drawing is `WIDE` inches across (that width)
at `WIDE_DPI` (770 px, the report's column on a desktop): a point of the theme is a point
on paper. Its smallest text (ticks, value labels, legend) is `TEXT_PT`, at least
`PRINT_MIN_PT` (8 pt) once printed, and `wide_png` refuses a drawing with smaller text.

Every chart uses a colour-blind-safe palette (Okabe-Ito, via seaborn's "colorblind"),
labels its values directly and uses markers or line styles as well as colour, so nothing
is conveyed by colour alone. Each chart is drawn twice: wide for screens and print, and
narrow for phones (`Chart.narrow_png`, shown by `html.figure` below 40rem) with larger
type so its labels stay legible at 390 px. A percentage axis fits the data
(`percent_axis`) and says so where it does not start at zero. Output is deterministic: no
timestamps or software metadata. Given `cache_dir`, a chart is read from its entry there
when it was drawn before from the same data, settings, code and libraries
(`chart_cache`): the same bytes, drawn once.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from dataclasses import dataclass

import pandas as pd

from iro_analysis.report.chart_cache import cached
from iro_analysis.report.chart_labels import label_points

PALETTE = "colorblind"
DPI = 110  # the narrow drawing's (and the region report's) resolution
INK = "#1b1b1b"  # the report's text colour (screen.css --ink)
NARROW = 3.6  # inches: 396 px at DPI, shown at about 360 px on a 390 px phone
PRINT_MIN_PT = 8.0  # the smallest chart text on the printed page (issue #26)
PRINT_WIDTH = 0.62 * (210 - 2 * 15) / 25.4  # inches: print.css's chart column on A4
WIDE = 4.4  # inches: the printed width, so the theme's points are printed points
WIDE_DPI = 175  # 770 px, the report's column on a desktop
# the wide drawing's smallest text: PRINT_MIN_PT once scaled to PRINT_WIDTH, to 0.5 pt
TEXT_PT = math.ceil(2 * PRINT_MIN_PT * WIDE / PRINT_WIDTH) / 2
LABEL_PT = TEXT_PT + 0.5  # axis titles


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes, the alt text stating its message, the data behind it,
    and (optionally) the same chart drawn for a narrow screen."""

    png: bytes
    alt: str
    caption: str
    data: pd.DataFrame
    narrow_png: bytes | None = None
    text_pt: float | None = None  # the wide drawing's smallest text, in its points
    dpi: float | None = None  # the wide drawing's resolution: its inches are px / dpi


def theme() -> dict:
    """The project's chart theme: seaborn's "whitegrid" with the report's ink, grey rules,
    DejaVu Sans and the colour-blind-safe palette. Applied per figure (`_styled`)."""
    import matplotlib as mpl
    import seaborn as sns

    return {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("notebook", font_scale=0.95),
        "font.family": ["DejaVu Sans"],
        "axes.prop_cycle": mpl.cycler(color=sns.color_palette(PALETTE)),
        "text.color": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.edgecolor": "#b1b4b6",
        "grid.color": "#dedede",
    }


def sizes() -> dict:
    """The wide drawing's type sizes (the one place they are set): nothing under TEXT_PT."""
    return {
        "font.size": TEXT_PT,
        "axes.labelsize": LABEL_PT,
        "axes.titlesize": LABEL_PT,
        "xtick.labelsize": TEXT_PT,
        "ytick.labelsize": TEXT_PT,
        "legend.fontsize": TEXT_PT,
        "legend.title_fontsize": TEXT_PT,
    }


def smallest_text(fig) -> float:
    """The size in points of the smallest text drawn in `fig` (tick labels, legend, value
    labels, titles), after a draw so the tick labels exist; 0 when there is none."""
    from matplotlib.text import Text

    fig.draw_without_rendering()
    found = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]
    return float(min(found, default=0.0))


def _styled(draw):
    """Run a chart function inside the project's theme, set for that figure alone.

    The figure is a bare `matplotlib.figure.Figure` (no pyplot, no backend switch) and the
    theme is a temporary rc context, so an analyst's backend, theme and rcParams are the
    same after any call as before it.
    """

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl

        with mpl.rc_context({**theme(), **sizes()}):
            return draw(*args, **kwargs)

    return wrapper


def _figure(height: float, narrow: bool):
    """A figure of the narrow (phone) or wide (screen and print) width and `height` inches."""
    import seaborn as sns
    from matplotlib.figure import Figure

    fig = Figure(figsize=(NARROW if narrow else WIDE, height), dpi=DPI if narrow else WIDE_DPI)
    return fig, fig.add_subplot(1, 1, 1), sns


def png(fig, *, tight: bool = True) -> bytes:
    """The figure as a PNG of at most 256 colours (median cut, no dithering: a third of the
    size of matplotlib's RGBA, the same to the eye), with no metadata, so the same chart is
    the same bytes. `tight=False` keeps a figure's own layout engine (constrained)."""
    from PIL import Image

    buf = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buf, format="png", dpi="figure", metadata={"Software": None})
    rgb = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    small = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def wide_png(fig, *, tight: bool = True) -> bytes:
    """A wide drawing as PNG, refused if any of its text is under TEXT_PT (the size that
    prints at PRINT_MIN_PT): a chart's text can only be made larger than the theme's."""
    if tight:
        fig.tight_layout()
    if (small := smallest_text(fig)) < TEXT_PT:
        raise ValueError(f"chart text of {small} pt prints under {PRINT_MIN_PT} pt")
    return png(fig, tight=False)


def _chart(wide, narrow, alt: str, caption: str, data: pd.DataFrame, tight: bool) -> Chart:
    """The Chart of a wide and a narrow drawing, carrying the wide one's smallest text and
    dpi (the report prints them on its img, so the PDF check measures each chart)."""
    wide_bytes = wide_png(wide, tight=tight)
    return Chart(
        wide_bytes,
        alt,
        caption,
        data,
        png(narrow, tight=tight),
        text_pt=smallest_text(wide),
        dpi=float(wide.dpi),
    )


def percent_axis(values: pd.Series) -> tuple[float, float]:
    """A percentage axis that fits the data: from the lowest value less a margin (5 points,
    or a quarter of the range) down to a multiple of 10, to the highest plus the margin up
    to a multiple of 10, at most 105 (room for the labels above 100%). It starts at zero
    when it would start at 20 or below, so only a clearly cut axis needs a note."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return 0.0, 105.0
    lo, hi = float(v.min()), float(v.max())
    pad = max(5.0, (hi - lo) / 4)
    bottom = math.floor((lo - pad) / 10) * 10
    top = min(105.0, math.ceil((hi + pad) / 10) * 10)
    return (0.0 if bottom <= 20 else float(bottom)), float(top)


def axis_note(bottom: float) -> str:
    """The note beside a percentage axis that does not start at zero."""
    return f"axis starts at {bottom:.0f}%, not zero"


@dataclass(frozen=True)
class Reference:
    """A reference drawn on a trend chart: a line (the council's target: `low` alone) or a
    band (the IRO Handbook's 50 to 70: `low` to `high`), named in the legend by `label`."""

    label: str
    low: float
    high: float | None = None


@cached(Chart)
@_styled
def trend_chart(
    data: pd.DataFrame,
    value_label: str,
    alt: str,
    caption: str,
    percent: bool = False,
    references: tuple[Reference, ...] = (),
) -> Chart:
    """Line chart of one measure over years: `data` has columns year_label, series, value.

    Each series gets its own colour, marker and line style. The wide chart labels every
    point, the labels of one year kept apart (`chart_labels`); the narrow one labels the
    first series' points in larger type (the table beneath gives every figure). A
    percentage axis fits the data (`percent_axis`). `value_label` is the y axis's title in
    words; `references` are drawn as a dashed line or a hatched band and named in the legend.
    """
    args = (data, value_label, percent, references)
    wide, narrow = draw_trend(*args, narrow=False), draw_trend(*args, narrow=True)
    return _chart(wide, narrow, alt, caption, data, tight=False)


def draw_trend(
    data: pd.DataFrame,
    value_label: str,
    percent: bool,
    references: tuple[Reference, ...] = (),
    *,
    narrow: bool = False,
):
    """The trend chart's figure (wide, or narrow for phones), laid out, labels placed."""
    fig, ax, sns = _figure(3.4 if narrow else 2.5, narrow)
    size = 10 if narrow else TEXT_PT
    plot = data.dropna(subset=["value"])
    series = list(dict.fromkeys(plot["series"]))
    markers = ["o", "s", "D", "^"]
    styles = ["-", "--", ":", "-."]
    colours = sns.color_palette(PALETTE, max(len(series), 1))
    order = list(dict.fromkeys(data["year_label"]))
    xpos = {label: i for i, label in enumerate(order)}
    points: list[tuple[int, float]] = []  # (x, value) of each point to label
    for i, name in enumerate(series):
        s = plot[plot["series"] == name]
        x = [xpos[v] for v in s["year_label"]]
        ax.plot(
            x,
            s["value"],
            marker=markers[i % 4],
            linestyle=styles[i % 4],
            color=colours[i],
            label=name,
            linewidth=2,
        )
        if not (narrow and i > 0):
            points += [(xi, float(yi)) for xi, yi in zip(x, s["value"], strict=True)]
    for ref in references:  # hatched or dashed, so neither relies on colour
        if ref.high is None:
            ax.axhline(ref.low, color=INK, linestyle=(0, (5, 3)), linewidth=1.2, label=ref.label)
        else:
            ax.axhspan(
                ref.low,
                ref.high,
                facecolor="none",
                edgecolor="#555555",
                hatch="//",
                linewidth=0.8,
                label=ref.label,
                zorder=0,
            )
    marks = [v for r in references for v in (r.low, r.high) if v is not None]
    # on a phone, a year's label on two lines ("2021/" "22") keeps every year legible
    ticks = [t.replace("/", "/\n", 1) for t in order] if narrow and len(order) > 3 else order
    ax.set_xticks(range(len(order)), ticks)
    ax.set_xlim(-0.45, len(order) - 0.55)  # room for the first and last points' labels
    ax.tick_params(labelsize=size)
    ax.set_xlabel("" if narrow else "Reporting year")
    label = value_label
    if percent:
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        bottom, top = percent_axis(pd.concat([plot["value"], pd.Series(marks, dtype=float)]))
        ax.set_ylim(bottom, top)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        label += f" ({axis_note(bottom)})" if bottom > 0 else ""
    else:
        top = max([float(plot["value"].max()) * 1.18 if len(plot) else 1.0, *marks, 1.0])
        ax.set_ylim(0, top * (1.1 if marks and top == max(marks) else 1.0))
    wrapped = textwrap.fill(label, 22 if narrow else 34, break_on_hyphens=False)
    ax.set_ylabel(wrapped, fontsize=size if narrow else None)
    entries = len(series) + len(references)
    if len(series) > 1 or references:  # above the plot, where it can cover no point
        for ncol in (min(entries, 1 if narrow else 2), 1):  # one column if two overflow
            legend = ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1.02),
                ncol=ncol,
                handlelength=2.2,
                frameon=False,
                fontsize=size if narrow else None,
            )
            fig.tight_layout()
            box = legend.get_window_extent()
            if box.x1 <= fig.bbox.x1:
                break
    fig.tight_layout()
    label_points(ax, points, size, percent, INK)
    return fig


@cached(Chart)
@_styled
def bar_chart(
    data: pd.DataFrame,
    category: str,
    value: str,
    value_label: str,
    alt: str,
    caption: str,
    percent: bool = False,
    value_text: list[str] | None = None,
    band: tuple[float, float, str] | None = None,
) -> Chart:
    """Horizontal bar chart of a breakdown, each bar labelled with its value.

    `value_text` overrides the label of each bar (the report passes the disclosure-controlled
    text, and a suppressed bar is drawn at zero length labelled "c"). Bars start at zero;
    a percentage axis ends just above the largest bar. The narrow chart wraps long labels.
    """
    args = (data, category, value, value_label, percent, value_text, band)
    wide, narrow = draw_bars(*args, narrow=False), draw_bars(*args, narrow=True)
    return _chart(wide, narrow, alt, caption, data, tight=True)


def draw_bars(
    data: pd.DataFrame,
    category: str,
    value: str,
    value_label: str,
    percent: bool,
    value_text: list[str] | None,
    band: tuple[float, float, str] | None,
    *,
    narrow: bool,
):
    """The bar chart's figure, wide or narrow (long labels wrapped)."""
    labels = data[category].astype(str).tolist()
    labels = [textwrap.fill(t, 18 if narrow else 30, max_lines=3, placeholder="…") for t in labels]
    lines = sum(t.count("\n") + 1 for t in labels)
    if narrow:
        height = max(2.0, 0.2 * lines + 0.18 * len(labels) + 0.9)
    else:
        height = max(1.6, 0.15 * lines + 0.13 * len(labels) + 0.8)
    fig, ax, sns = _figure(height, narrow)
    size = 10 if narrow else TEXT_PT
    values = pd.to_numeric(data[value], errors="coerce").fillna(0).tolist()
    colour = sns.color_palette(PALETTE, 1)[0]
    ax.barh(range(len(values)), values, color=colour, edgecolor="#222222", hatch="")
    ax.set_yticks(range(len(values)), labels)
    ax.tick_params(labelsize=size)
    ax.invert_yaxis()
    ax.set_xlabel(value_label, fontsize=size if narrow else None)
    top = max(values) if values else 0
    room = 1.35 if narrow else 1.2  # space for the value labels beyond the longest bar
    if percent:
        ax.set_xlim(0, min(105.0, max(10.0, top * room)))
    else:
        ax.set_xlim(0, max(1.0, top * room, band[1] * 1.1 if band else 0))
    if band is not None:
        # a reference range, hatched and labelled so it does not rely on colour
        ax.axvspan(
            band[0],
            band[1],
            facecolor="none",
            edgecolor="#555555",
            hatch="//",
            linewidth=0.8,
            label=band[2],
        )
        ax.legend(loc="lower right", frameon=True, fontsize=size if narrow else None)
    texts = value_text or [f"{v:.1f}%" if percent else f"{v:,.0f}" for v in values]
    for i, (v, text) in enumerate(zip(values, texts, strict=True)):
        ax.annotate(
            text,
            (v, i),
            textcoords="offset points",
            xytext=(4, 0),
            va="center",
            fontsize=size,
            color=INK,
        )
    return fig
