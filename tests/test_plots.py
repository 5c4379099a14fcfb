"""Charts leave the analyst's matplotlib alone: backend, theme and rcParams unchanged; their
text prints at 8 pt or more, a year's labels never overlap, targets and the Handbook's band
are drawn and every axis says in words what it measures (issue #26)."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd
import pytest

from iro_analysis.report import chart_labels, plots


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

    def spy(fig, **kw):
        captured.append(fig.axes[0].get_ylabel())
        lo, _ = fig.axes[0].get_ylim()
        captured.append(f"{lo:.0f}")
        return original(fig, **kw)

    monkeypatch.setattr(plots, "png", spy)
    plots.trend_chart(high, "Percent", "alt", "caption", percent=True)
    plots.trend_chart(low, "Percent", "alt", "caption", percent=True)
    assert captured[:2] == ["Percent (axis starts at 80%, not\nzero)", "80"]
    assert captured[4:6] == ["Percent", "0"]


CLOSE = pd.DataFrame(  # the initial conferences' case: England just above the council
    {
        "year_label": ["2019/20", "2020/21", "2021/22"] * 2,
        "series": ["Demo County Council"] * 3 + ["England"] * 3,
        "value": [81.0, 85.5, 90.3, 86.0, 85.7, 90.6],
    }
)
BARS = pd.DataFrame({"group": ["Neglect", "A group with a long name to wrap"], "n": [30, 9]})


def _drawings():
    yield plots.draw_trend(CLOSE, "Initial conferences within 15 working days", True)
    yield plots.draw_trend(CLOSE.head(3), "Children looked after", False)
    yield plots.draw_bars(BARS, "group", "n", "Children", False, None, None, narrow=False)


def test_chart_text_prints_at_8pt_or_more():
    """print.css prints a wide chart PRINT_WIDTH across (62% of A4's 180 mm text width):
    its text prints at its size x PRINT_WIDTH / WIDE. Every text of every wide drawing
    (ticks, value labels, legend, axis titles) is at least TEXT_PT, which prints at 8 pt."""
    import matplotlib as mpl

    assert pytest.approx(0.62 * 180 / 25.4) == plots.PRINT_WIDTH
    assert pytest.approx(770) == plots.WIDE * plots.WIDE_DPI
    with mpl.rc_context({**plots.theme(), **plots.sizes()}):
        for fig in _drawings():
            printed = plots.smallest_text(fig) * plots.PRINT_WIDTH / plots.WIDE
            assert printed >= plots.PRINT_MIN_PT == 8.0


def test_a_chart_with_smaller_text_is_refused():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(plots.WIDE, 2), dpi=plots.WIDE_DPI)
    fig.add_subplot(1, 1, 1).annotate("tiny", (0.5, 0.5), fontsize=6)
    with pytest.raises(ValueError, match="prints under 8.0 pt"):
        plots.wide_png(fig)


def test_place_labels_nudges_a_label_too_close_to_the_one_above():
    assert chart_labels.place_labels([100.0, 60.0], 10.0) == [100.0, 60.0]  # far apart: kept
    assert chart_labels.place_labels([100.0, 95.0, 93.0], 10.0) == [100.0, 90.0, 80.0]


def test_a_years_labels_never_overlap():
    """The council's and England's labels of one year, however close their values: the
    higher above its point, the lower below, nudged apart; no two labels' boxes meet."""
    import matplotlib as mpl

    with mpl.rc_context({**plots.theme(), **plots.sizes()}):
        for narrow in (False, True):
            fig = plots.draw_trend(CLOSE, "Initial conferences", True, narrow=narrow)
            fig.canvas.draw()
            boxes = [t.get_window_extent() for t in fig.axes[0].texts]
            assert len(boxes) == (3 if narrow else 6)
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not a.overlaps(b), (a, b)


def test_a_target_is_a_line_and_the_handbook_range_a_band_both_in_the_legend():
    import matplotlib as mpl
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon, Rectangle

    refs = (
        plots.Reference("Target: 75.0%", 75.0),
        plots.Reference("IRO Handbook: 50 to 70", 50.0, 70.0),
    )
    with mpl.rc_context({**plots.theme(), **plots.sizes()}):
        fig = plots.draw_trend(
            CLOSE.head(3), "Looked-after children per full-time IRO", False, refs
        )
    ax = fig.axes[0]
    line = [a for a in ax.lines if a.get_label() == "Target: 75.0%"]
    assert line and isinstance(line[0], Line2D) and set(line[0].get_ydata()) == {75.0}
    band = [p for p in ax.patches if p.get_label() == "IRO Handbook: 50 to 70"]
    assert band and isinstance(band[0], Polygon | Rectangle) and band[0].get_hatch() == "//"
    ys = [y for _, y in band[0].get_path().transformed(band[0].get_patch_transform()).vertices]
    assert min(ys) == pytest.approx(50.0) and max(ys) == pytest.approx(70.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"Target: 75.0%", "IRO Handbook: 50 to 70"} <= set(legend)
    assert ax.get_ylim()[1] > 75.0
    assert ax.get_legend().get_window_extent().x1 <= fig.bbox.x1  # never cut at the edge
    assert [t.get_text() for t in ax.texts] == ["81", "85.5", "90.3"]  # 36.9 per IRO, not 37
    assert ax.get_ylabel() == "Looked-after children per\nfull-time IRO"
