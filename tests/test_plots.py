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


def _size(png: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).size


def test_percent_axis_fits_the_data_and_starts_at_zero_only_when_near_it():
    """A margin of 5 points (or a quarter of the range), out to multiples of 10, at most
    105; zero when the axis would start at 20 or below."""
    assert plots.percent_axis(pd.Series([81.2, 90.3])) == (70.0, 100.0)
    assert plots.percent_axis(pd.Series([96.0, 99.0, None])) == (90.0, 105.0)
    assert plots.percent_axis(pd.Series([30.0, 40.0])) == (0.0, 50.0)  # would start at 20
    assert plots.percent_axis(pd.Series([40.0, 80.0])) == (30.0, 90.0)  # margin: range / 4
    assert plots.percent_axis(pd.Series([], dtype=float)) == (0.0, 105.0)
    assert plots.axis_note(70.0) == "axis starts at 70%, not zero"


def test_every_chart_has_a_narrow_drawing_for_phones():
    """The narrow drawing is about a phone's width (396 px: shown near its own size at
    390 px, so its 10-point labels stay about 14 px), the wide one the report's column;
    both are small palette PNGs."""
    import io

    from PIL import Image

    trend = pd.DataFrame(
        {
            "year_label": ["2019/20", "2020/21", "2021/22"] * 2,
            "series": ["Council"] * 3 + ["England"] * 3,
            "value": [81.0, 85.5, 90.3, 86.0, 87.0, 88.0],
        }
    )
    bars = pd.DataFrame({"group": ["A group with a long name to wrap", "B"], "count": [3, 9]})
    for chart in (
        plots.trend_chart(trend, "Percent", "alt", "caption", percent=True),
        plots.bar_chart(bars, "group", "count", "Children", "alt", "caption"),
    ):
        assert _size(chart.png)[0] == 770 and _size(chart.narrow_png)[0] == 396
        for png in (chart.png, chart.narrow_png):
            assert Image.open(io.BytesIO(png)).mode == "P" and len(png) < 40_000


def test_a_percentage_axis_that_does_not_start_at_zero_says_so(monkeypatch):
    """The y-axis label carries the note: the chart drawn with a cut axis differs from the
    one drawn from zero only when the data sit high."""
    high = pd.DataFrame({"year_label": ["a", "b"], "series": ["C"] * 2, "value": [91.0, 93.0]})
    low = pd.DataFrame({"year_label": ["a", "b"], "series": ["C"] * 2, "value": [11.0, 13.0]})
    captured: list[str] = []
    original = plots.png

    def spy(fig):
        captured.append(fig.axes[0].get_ylabel())
        lo, _ = fig.axes[0].get_ylim()
        captured.append(f"{lo:.0f}")
        return original(fig)

    monkeypatch.setattr(plots, "png", spy)
    plots.trend_chart(high, "Percent", "alt", "caption", percent=True)
    plots.trend_chart(low, "Percent", "alt", "caption", percent=True)
    assert captured[:2] == ["Percent (axis starts at 80%, not zero)", "80"]
    assert captured[4:6] == ["Percent", "0"]
