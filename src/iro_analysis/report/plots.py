"""Charts for the report: seaborn on matplotlib's Agg canvas, returned as PNG bytes.

Every chart uses a colour-blind-safe palette (Okabe-Ito, via seaborn's "colorblind"),
labels its values directly and uses markers or line styles as well as colour, so nothing
is conveyed by colour alone. Each chart is drawn twice: wide for screens and print, and
narrow for phones (`Chart.narrow_png`, shown by `html.figure` below 40rem) with larger
type so its labels stay legible at 390 px. A percentage axis fits the data
(`percent_axis`) and says so where it does not start at zero. Output is deterministic: no
timestamps or software metadata.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from dataclasses import dataclass

import pandas as pd

PALETTE = "colorblind"
DPI = 110
INK = "#1b1b1b"  # the report's text colour (screen.css --ink)
WIDE = 7.0  # inches: 770 px at DPI, the report's column on a desktop
NARROW = 3.6  # inches: 396 px, shown at about 360 px on a 390 px phone


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes, the alt text stating its message, the data behind it,
    and (optionally) the same chart drawn for a narrow screen."""

    png: bytes
    alt: str
    caption: str
    data: pd.DataFrame
    narrow_png: bytes | None = None


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


def _styled(draw):
    """Run a chart function inside the project's theme, set for that figure alone.

    The figure is a bare `matplotlib.figure.Figure` (no pyplot, no backend switch) and the
    theme is a temporary rc context, so an analyst's backend, theme and rcParams are the
    same after any call as before it.
    """

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl

        with mpl.rc_context(theme()):
            return draw(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float):
    import seaborn as sns
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    return fig, fig.add_subplot(1, 1, 1), sns


def png(fig, *, tight: bool = True) -> bytes:
    """The figure as a PNG of at most 256 colours (median cut, no dithering: a third of the
    size of matplotlib's RGBA, the same to the eye), with no metadata, so the same chart is
    the same bytes. `tight=False` keeps a figure's own layout engine (constrained)."""
    from PIL import Image

    buf = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    rgb = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    small = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


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


@_styled
def trend_chart(
    data: pd.DataFrame,
    value_label: str,
    alt: str,
    caption: str,
    percent: bool = False,
) -> Chart:
    """Line chart of one measure over years: `data` has columns year_label, series, value.

    Each series gets its own colour, marker and line style. The wide chart labels every
    point; the narrow one labels the first series' points in larger type (the table beneath
    gives every figure). A percentage axis fits the data (`percent_axis`).
    """
    return Chart(
        _trend_png(data, value_label, percent, narrow=False),
        alt,
        caption,
        data,
        _trend_png(data, value_label, percent, narrow=True),
    )


def _trend_png(data: pd.DataFrame, value_label: str, percent: bool, narrow: bool) -> bytes:
    fig, ax, sns = _figure(NARROW, 3.4) if narrow else _figure(WIDE, 3.4)
    size = 10 if narrow else 8
    plot = data.dropna(subset=["value"])
    series = list(dict.fromkeys(plot["series"]))
    markers = ["o", "s", "D", "^"]
    styles = ["-", "--", ":", "-."]
    colours = sns.color_palette(PALETTE, max(len(series), 1))
    order = list(dict.fromkeys(data["year_label"]))
    xpos = {label: i for i, label in enumerate(order)}
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
        if narrow and i > 0:
            continue
        below = i % 2 == 1  # a second series is labelled under its points, clear of the first
        for xi, yi in zip(x, s["value"], strict=True):
            ax.annotate(
                f"{yi:.1f}%" if percent else f"{yi:,.0f}",
                (xi, yi),
                textcoords="offset points",
                xytext=(0, -8 if below else 7),
                ha="center",
                va="top" if below else "baseline",
                fontsize=size,
                color=INK,
            )
    # on a phone, a year's label on two lines ("2021/" "22") keeps every year legible
    ticks = [t.replace("/", "/\n", 1) for t in order] if narrow and len(order) > 3 else order
    ax.set_xticks(range(len(order)), ticks)
    ax.set_xlim(-0.45, len(order) - 0.55)  # room for the first and last points' labels
    ax.tick_params(labelsize=size)
    ax.set_xlabel("" if narrow else "Reporting year")
    if percent:
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        bottom, top = percent_axis(plot["value"])
        ax.set_ylim(bottom, top)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        note = f" ({axis_note(bottom)})" if bottom > 0 else ""
        ax.set_ylabel(f"{value_label}{note}", fontsize=size if narrow else None)
    else:
        ax.set_ylim(0, max(1.0, float(plot["value"].max()) * 1.18) if len(plot) else 1.0)
        ax.set_ylabel(value_label, fontsize=size if narrow else None)
    if len(series) > 1:  # above the plot, where it can cover no point
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.02),
            ncol=1 if narrow else len(series),
            frameon=False,
            fontsize=size if narrow else None,
        )
    return png(fig)


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
    return Chart(_bar_png(*args, narrow=False), alt, caption, data, _bar_png(*args, narrow=True))


def _bar_png(
    data: pd.DataFrame,
    category: str,
    value: str,
    value_label: str,
    percent: bool,
    value_text: list[str] | None,
    band: tuple[float, float, str] | None,
    narrow: bool,
) -> bytes:
    labels = data[category].astype(str).tolist()
    if narrow:
        labels = [textwrap.fill(t, 18, max_lines=3, placeholder="…") for t in labels]
        lines = sum(t.count("\n") + 1 for t in labels)
        height = max(2.0, 0.2 * lines + 0.18 * len(labels) + 0.9)
    else:
        height = max(2.0, (0.45 if len(data) <= 12 else 0.28) * len(data) + 1.0)
    fig, ax, sns = _figure(NARROW if narrow else WIDE, height)
    size = 10 if narrow else 8
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
    return png(fig)
