"""Value labels on a chart, kept apart: every trend chart labels each point, the highest of
a year above its point and the others below theirs, and nudges a label that would overlap
the one above it (issue #26: the council's and England's labels of the initial
conferences chart printed over each other)."""

from __future__ import annotations


def place_labels(wanted: list[float], height: float) -> list[float]:
    """Label centres (points, y up) as near the `wanted` ones (highest first) as keeps each
    at least `height` below the one above it: a label too close is nudged down."""
    placed: list[float] = []
    for y in wanted:
        placed.append(min(y, placed[-1] - height) if placed else y)
    return placed


def label_points(ax, points: list[tuple[int, float]], size: float, percent: bool, ink: str) -> None:
    """Each point's value (a percentage or a ratio to 1 decimal place, a count whole), the
    highest of a year above its point and the others below theirs, nudged apart where they
    would overlap (`place_labels`)."""
    to_pt = 72 / ax.figure.dpi
    height, gap = size * 1.25, 3.0
    for x in sorted({x for x, _ in points}):
        here = sorted((y for xi, y in points if xi == x), reverse=True)
        at = [ax.transData.transform((x, y))[1] * to_pt for y in here]
        wanted = [a + (gap + height / 2 if k == 0 else -gap - height / 2) for k, a in enumerate(at)]
        for y, a, centre in zip(here, at, place_labels(wanted, height), strict=True):
            ax.annotate(
                f"{y:.1f}%" if percent else f"{y:,.0f}" if y == int(y) else f"{y:,.1f}",
                (x, y),
                textcoords="offset points",
                xytext=(0, centre - a),
                ha="center",
                va="center",
                fontsize=size,
                color=ink,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
