"""Charts for the report: seaborn on matplotlib's Agg canvas, returned as PNG bytes.

Every chart uses a colour-blind-safe palette (Okabe-Ito, via seaborn's "colorblind"),
labels its values directly and uses markers or line styles as well as colour, so nothing
is conveyed by colour alone. Output is deterministic: no timestamps or software metadata.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import pandas as pd

PALETTE = "colorblind"
DPI = 110


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes, the alt text stating its message, and the data behind it."""

    png: bytes
    alt: str
    caption: str
    data: pd.DataFrame


def _styled(draw):
    """Run a chart function inside the project's style, set for that figure alone.

    The figure is a bare `matplotlib.figure.Figure` (no pyplot, no backend switch) and the
    theme is a temporary rc context, so an analyst's backend, theme and rcParams are the
    same after any call as before it.
    """

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl
        import seaborn as sns

        theme = {
            **sns.axes_style("whitegrid"),
            **sns.plotting_context("notebook", font_scale=0.95),
            "font.family": ["DejaVu Sans"],
            "axes.prop_cycle": mpl.cycler(color=sns.color_palette(PALETTE)),
        }
        with mpl.rc_context(theme):
            return draw(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float):
    import seaborn as sns
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    return fig, fig.add_subplot(1, 1, 1), sns


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


@_styled
def trend_chart(
    data: pd.DataFrame,
    value_label: str,
    alt: str,
    caption: str,
    percent: bool = False,
) -> Chart:
    """Line chart of one measure over years: `data` has columns year_label, series, value.

    Each series gets its own colour, marker and line style, and every point is labelled.
    """
    fig, ax, sns = _figure(7.0, 3.4)
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
        for xi, yi in zip(x, s["value"], strict=True):
            ax.annotate(
                f"{yi:.1f}%" if percent else f"{yi:,.0f}",
                (xi, yi),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
                color="#222222",
            )
    ax.set_xticks(range(len(order)), order)
    ax.set_ylabel(value_label)
    ax.set_xlabel("Reporting year")
    if percent:
        ax.set_ylim(0, 105)
    else:
        ax.set_ylim(0, max(1.0, float(plot["value"].max()) * 1.18) if len(plot) else 1.0)
    if len(series) > 1:
        ax.legend(loc="lower left", frameon=True)
    return Chart(_png(fig), alt, caption, data)


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
    text, and a suppressed bar is drawn at zero length labelled "c").
    """
    height = max(2.0, (0.45 if len(data) <= 12 else 0.28) * len(data) + 1.0)
    fig, ax, sns = _figure(7.0, height)
    labels = data[category].astype(str).tolist()
    values = pd.to_numeric(data[value], errors="coerce").fillna(0).tolist()
    colour = sns.color_palette(PALETTE, 1)[0]
    ax.barh(range(len(values)), values, color=colour, edgecolor="#222222", hatch="")
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(value_label)
    top = max(values) if values else 0
    ax.set_xlim(0, 105 if percent else max(1.0, top * 1.2, band[1] * 1.1 if band else 0))
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
        ax.legend(loc="lower right", frameon=True)
    texts = value_text or [f"{v:.1f}%" if percent else f"{v:,.0f}" for v in values]
    for i, (v, text) in enumerate(zip(values, texts, strict=True)):
        ax.annotate(
            text,
            (v, i),
            textcoords="offset points",
            xytext=(4, 0),
            va="center",
            fontsize=8,
            color="#222222",
        )
    return Chart(_png(fig), alt, caption, data)
