"""A chart is rendered once per content (issue #31): a cached chart is the bytes a fresh
render gives, and anything a drawing depends on (its data, its arguments, the rcParams)
draws it again."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd

from iro_analysis.report import chart_cache, plots


def _trend(value: float = 60.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year_label": ["2020/21", "2021/22", "2022/23"],
            "series": ["Council"] * 3,
            "value": [50.0, 55.5, value],
        }
    )


def _bars() -> pd.DataFrame:
    return pd.DataFrame({"group": ["A", "B", "C"], "count": [3, 9, 0]})


def _fields(chart) -> tuple:
    return chart.png, chart.narrow_png, chart.text_pt, chart.dpi


def _entries(folder) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.json")}


def test_a_cached_chart_is_the_bytes_a_fresh_render_gives(tmp_path):
    refs = (plots.Reference("Target: 60%", 60.0),)
    fresh = plots.trend_chart(_trend(), "Per cent", "alt", "cap", percent=True, references=refs)
    first = plots.trend_chart(
        _trend(), "Per cent", "alt", "cap", percent=True, references=refs, cache_dir=tmp_path
    )
    assert len(_entries(tmp_path)) == 1
    again = plots.trend_chart(
        _trend(), "Per cent", "alt 2", "cap 2", percent=True, references=refs, cache_dir=tmp_path
    )
    assert _fields(fresh) == _fields(first) == _fields(again)
    assert (again.alt, again.caption) == ("alt 2", "cap 2")  # never drawn: as given
    assert again.data.equals(_trend())
    bars = plots.bar_chart(_bars(), "group", "count", "Children", "alt", "cap")
    cached = [
        plots.bar_chart(_bars(), "group", "count", "Children", "alt", "cap", cache_dir=tmp_path)
        for _ in range(2)
    ]
    assert _fields(bars) == _fields(cached[0]) == _fields(cached[1])
    assert len(_entries(tmp_path)) == 2


def test_a_cache_hit_renders_nothing(tmp_path, monkeypatch):
    plots.bar_chart(_bars(), "group", "count", "Children", "a", "c", cache_dir=tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("drawn again")

    monkeypatch.setattr(plots, "draw_bars", refuse)
    plots.bar_chart(_bars(), "group", "count", "Children", "a", "c", cache_dir=tmp_path)


def test_changing_a_charts_data_or_arguments_renders_it_again(tmp_path):
    base = plots.trend_chart(_trend(), "Count", "alt", "cap", cache_dir=tmp_path)
    seen = _entries(tmp_path)
    changed = plots.trend_chart(_trend(61.0), "Count", "alt", "cap", cache_dir=tmp_path)
    assert changed.png != base.png
    assert changed.png == plots.trend_chart(_trend(61.0), "Count", "alt", "cap").png
    assert len(_entries(tmp_path)) == 2
    # a value that differs in its last bit is other data
    tiny = _trend(60.0 + 1e-12)
    plots.trend_chart(tiny, "Count", "alt", "cap", cache_dir=tmp_path)
    assert len(_entries(tmp_path)) == 3
    plots.trend_chart(_trend(), "Another axis title", "alt", "cap", cache_dir=tmp_path)
    bars = _bars()
    plots.bar_chart(bars, "group", "count", "Children", "a", "c", cache_dir=tmp_path)
    plots.bar_chart(
        bars, "group", "count", "Children", "a", "c", value_text=["3", "9", "c"], cache_dir=tmp_path
    )
    assert len(_entries(tmp_path)) == 6
    # the entries written before are left as they were
    assert {k: v for k, v in _entries(tmp_path).items() if k in seen} == seen


def test_an_analysts_rcparams_are_part_of_the_key(tmp_path):
    a = chart_cache.chart_key("trend_chart", {"data": _trend()})
    with mpl.rc_context({"lines.antialiased": not mpl.rcParams["lines.antialiased"]}):
        b = chart_cache.chart_key("trend_chart", {"data": _trend()})
    assert a != b
    assert a == chart_cache.chart_key("trend_chart", {"data": _trend()})
    assert a != chart_cache.chart_key("bar_chart", {"data": _trend()})
    assert a != chart_cache.chart_key("trend_chart", {"data": _trend().astype({"value": "object"})})


def test_the_drawing_code_and_library_versions_are_part_of_the_key(monkeypatch):
    a = chart_cache.chart_key("trend_chart", {"data": _trend()})
    monkeypatch.setattr(chart_cache, "_code_and_versions", lambda: "other code or matplotlib")
    assert chart_cache.chart_key("trend_chart", {"data": _trend()}) != a
    assert set(chart_cache.DRAWING_CODE) >= {"plots.py", "chart_labels.py"}
    assert {"matplotlib", "seaborn", "pillow"} <= set(chart_cache.LIBRARIES)


def test_a_damaged_entry_is_drawn_again(tmp_path):
    good = plots.trend_chart(_trend(), "Count", "alt", "cap", cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.json")
    entry.write_text(entry.read_text().replace('"png": "iVBOR', '"png": "iVBOx', 1))
    again = plots.trend_chart(_trend(), "Count", "alt", "cap", cache_dir=tmp_path)
    assert _fields(again) == _fields(good)
    entry.write_text("{not json")
    assert _fields(plots.trend_chart(_trend(), "Count", "a", "c", cache_dir=tmp_path)) == _fields(
        good
    )
    assert chart_cache.load(tmp_path, entry.stem) is not None  # written whole again
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_cache_lives_under_the_processed_folder_never_a_published_one(tmp_path):
    assert chart_cache.charts_dir(tmp_path / "processed") == (
        tmp_path / "processed" / "_cache" / "charts"
    )


def test_an_rcparam_changed_in_place_changes_the_key():
    a = chart_cache.chart_key("trend_chart", {"data": _trend()})
    dashes = mpl.rcParams["lines.dashed_pattern"]
    saved = list(dashes)
    try:
        dict.__getitem__(mpl.rcParams, "lines.dashed_pattern").append(9.0)  # in place
        assert chart_cache.chart_key("trend_chart", {"data": _trend()}) != a
    finally:
        dict.__setitem__(mpl.rcParams, "lines.dashed_pattern", saved)
    assert chart_cache.chart_key("trend_chart", {"data": _trend()}) == a
