"""The explore API's chart (`explore.plot_reviews_by_month`, re-exported there)."""

from __future__ import annotations

import pandas as pd

__all__ = ["TIMELINESS", "plot_reviews_by_month"]

TIMELINESS = ("On time", "Late", "Not assessable")


def plot_reviews_by_month(reviews: pd.DataFrame, ax=None):
    """A seaborn bar chart of `reviews_with_due_dates` by month held, stacked into on time,
    late and not assessable, drawn on `ax` (default: a new Figure of its own). Changes no
    global style. Returns the axes."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    status = pd.Series("Late", index=reviews.index)
    status = status.mask(reviews["on_time"], "On time").mask(
        ~reviews["assessable"], "Not assessable"
    )
    held = reviews["REVIEW"]
    index = held.dt.year * 12 + held.dt.month  # months as integers, so bars keep date order
    first = int(index.min()) if len(index) else 0
    months = pd.period_range(held.min(), held.max(), freq="M") if len(held) else []
    frame = pd.DataFrame({"month": index - first, "timeliness": status})
    sns.histplot(
        data=frame,
        x="month",
        hue="timeliness",
        hue_order=list(TIMELINESS),
        multiple="stack",
        discrete=True,
        shrink=0.8,
        ax=ax,
    )
    labels = [p.strftime("%b %Y") for p in months]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_xlabel("Month held")
    ax.set_ylabel("Reviews")
    ax.set_title("Looked-after reviews by month and timeliness")
    return ax
