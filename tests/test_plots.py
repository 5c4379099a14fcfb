"""Charts leave the analyst's matplotlib alone: backend, theme and rcParams unchanged."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd

from iro_analysis.report import plots


def test_charts_change_no_global_matplotlib_state():
    mpl.rcParams["axes.facecolor"] = "#ABCDEF"  # an analyst's own setting
    before_backend = mpl.get_backend()
    before = dict(mpl.rcParams)
    trend = pd.DataFrame(
        {"year_label": ["2021/22", "2022/23"], "series": ["Council"] * 2, "value": [50.0, 60.0]}
    )
    chart = plots.trend_chart(trend, "Per cent", "alt", "caption", percent=True)
    bars = pd.DataFrame({"group": ["A", "B"], "count": [3, 9]})
    plots.bar_chart(bars, "group", "count", "Children", "alt", "caption")
    assert chart.png.startswith(b"\x89PNG")
    assert mpl.get_backend() == before_backend
    assert dict(mpl.rcParams) == before
    mpl.rcdefaults()


def test_a_chart_is_the_same_bytes_twice():
    trend = pd.DataFrame({"year_label": ["2021/22"], "series": ["Council"], "value": [5.0]})
    a = plots.trend_chart(trend, "Count", "alt", "caption").png
    b = plots.trend_chart(trend, "Count", "alt", "caption").png
    assert a == b
