"""A chart is rendered once per content: each rendered chart's PNGs cached on disk (issue #31).

A rebuild after a narrative edit draws the same 17 charts from the same figures; drawing
them (matplotlib's layout, Agg, the PNG quantising) was most of the report notebook's time.
`cached` wraps a chart function of `plots`: given a `cache_dir`, the chart's wide and
narrow PNGs (and the wide drawing's smallest text and dpi) are read from
`<cache_dir>/<key>.json` when an entry is there, and rendered and stored otherwise. The
key (`chart_key`) is a sha256 over everything a drawing depends on:

- the chart function's name and every argument it draws from, the data frame by its
  columns, dtypes, index and every value's repr (exact for floats); not the alt text or
  the caption, which are returned as given;
- the matplotlib settings the theme is laid over (every rcParam but the backend's: the
  theme itself, `plots.theme()` and `plots.sizes()`, is a function of the code and the
  seaborn version, both below) and the font files DejaVu Sans resolves to;
- the code that draws: `plots.py`, `chart_labels.py` and this module, and the package
  version;
- the versions of matplotlib, its FreeType, seaborn, Pillow, zlib, numpy and pandas.

The resolutions and sizes (`WIDE`, `WIDE_DPI`, `NARROW`, `DPI`, `TEXT_PT`) are constants of
`plots.py`, so its code is their key. A fresh drawing is deterministic (no metadata, no
time), so an entry holds the bytes a fresh render gives; an entry that does not parse or
whose PNGs do not match the sha256 it records is ignored and rendered again. Entries are
written to a temporary file and renamed into place. The cache lives under the processed
data folder (`<processed>/_cache/charts/`), never in a published one.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import inspect
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from iro_analysis import __version__
from iro_analysis.core.hashing import files_digest

CHARTS_DIRNAME = "charts"  # <processed>/_cache/charts/
# Arguments a chart returns as given and never draws: not part of the key.
NOT_DRAWN = ("alt", "caption")
# rcParams that name the interactive backend, which a PNG drawn on a bare Figure never uses.
NOT_DRAWING_RC = ("backend", "backend_fallback", "interactive")
_HERE = Path(__file__).resolve().parent
DRAWING_CODE = ("plots.py", "chart_labels.py", "chart_cache.py")
LIBRARIES = ("matplotlib", "seaborn", "pillow", "numpy", "pandas")


@functools.cache
def _code_and_versions() -> str:
    """The drawing code's digest, the package version and the libraries' versions."""
    import zlib
    from importlib import metadata

    from matplotlib import ft2font
    from PIL import features

    versions = [f"{lib} {metadata.version(lib)}" for lib in LIBRARIES]
    versions += [
        f"freetype {ft2font.__freetype_version__}",
        f"zlib {zlib.ZLIB_RUNTIME_VERSION}",
        f"pillow zlib {features.version('zlib')}",
    ]
    prelude = f"iro-analysis {__version__}\n" + "\n".join(versions) + "\n"
    return files_digest([_HERE / name for name in DRAWING_CODE], prelude)


@functools.cache
def _fonts() -> str:
    """The font files the theme's family resolves to (path, size, mtime), regular and bold."""
    from matplotlib.font_manager import FontProperties, findfont

    found = []
    for weight in ("normal", "bold"):
        f = Path(findfont(FontProperties(family=["DejaVu Sans"], weight=weight)))
        st = f.stat()
        found.append(f"{f} {st.st_size} {st.st_mtime_ns}")
    return "\n".join(found)


_last_rc: list = [None, ""]  # the rcParams last seen (a copy) and their text


def _rc() -> str:
    """Every rcParam the theme is laid over (the analyst's or the kernel's own settings), as
    text; worked out again only when a setting changed since the last call (comparing the
    settings is cheap, writing them out is not)."""
    import matplotlib as mpl

    # RcParams is a dict: its own items() checks each key for deprecation (0.5 s a call)
    now = {k: v for k, v in dict.items(mpl.rcParams) if k not in NOT_DRAWING_RC}
    if now != _last_rc[0]:
        # a copy, so that a list changed in place later differs from it
        _last_rc[:] = [copy.deepcopy(now), repr(sorted(now.items()))]
    return _last_rc[1]


def _canonical(value: object) -> object:
    """A JSON-able, exact and stable form of a chart argument."""
    if isinstance(value, pd.DataFrame):
        return {
            "columns": [repr(c) for c in value.columns],
            "dtypes": [str(t) for t in value.dtypes],
            "index": [repr(i) for i in value.index.tolist()],
            "values": [[repr(v) for v in value[c].tolist()] for c in value.columns],
        }
    if isinstance(value, list | tuple):
        return [type(value).__name__, [_canonical(v) for v in value]]
    return repr(value)  # str, bool, float (repr is exact), None, a frozen dataclass


def chart_key(name: str, drawn: dict[str, object]) -> str:
    """The sha256 (hex) of one chart's drawing: its function, its drawn arguments, the
    rcParams and fonts, the drawing code and the libraries' versions."""
    doc = {
        "chart": name,
        "args": {k: _canonical(v) for k, v in sorted(drawn.items())},
        "rc": _rc(),
        "fonts": _fonts(),
        "code": _code_and_versions(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(cache_dir: Path, key: str) -> dict | None:
    """The entry of `key` (png, narrow_png, text_pt, dpi), or None when there is none or it
    does not check out."""
    try:
        doc = json.loads((Path(cache_dir) / f"{key}.json").read_text(encoding="utf-8"))
        entry = {
            "png": base64.b64decode(doc["png"], validate=True),
            "narrow_png": base64.b64decode(doc["narrow_png"], validate=True)
            if doc["narrow_png"] is not None
            else None,
            "text_pt": doc["text_pt"],
            "dpi": doc["dpi"],
        }
        if doc["key"] != key or doc["sha256"] != [
            _sha(entry["png"]),
            _sha(entry["narrow_png"]) if entry["narrow_png"] is not None else None,
        ]:
            return None
        return entry
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(cache_dir: Path, key: str, chart) -> None:
    """Write `chart`'s drawing as the entry of `key` (a temporary file renamed into place)."""
    cache_dir = Path(cache_dir)
    narrow = chart.narrow_png
    doc = {
        "key": key,
        "png": base64.b64encode(chart.png).decode("ascii"),
        "narrow_png": base64.b64encode(narrow).decode("ascii") if narrow is not None else None,
        "text_pt": chart.text_pt,
        "dpi": chart.dpi,
        "sha256": [_sha(chart.png), _sha(narrow) if narrow is not None else None],
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{key}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, cache_dir / f"{key}.json")


def cached(make: Callable) -> Callable:
    """Decorate a chart function of `plots` (arguments include `alt`, `caption` and `data`)
    with a keyword `cache_dir`: None renders as before; a folder reads the chart from its
    entry there, or renders and stores it. `make(png, alt, caption, data, narrow_png,
    text_pt, dpi)` builds the returned chart from an entry."""

    def decorate(render: Callable) -> Callable:
        signature = inspect.signature(render)

        @functools.wraps(render)
        def wrapper(*args, cache_dir: Path | None = None, **kwargs):
            if cache_dir is None:
                return render(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            given = bound.arguments
            drawn = {k: v for k, v in given.items() if k not in NOT_DRAWN}
            key = chart_key(render.__name__, drawn)
            entry = load(cache_dir, key)
            if entry is not None:
                return make(
                    entry["png"],
                    given["alt"],
                    given["caption"],
                    given["data"],
                    entry["narrow_png"],
                    text_pt=entry["text_pt"],
                    dpi=entry["dpi"],
                )
            chart = render(*args, **kwargs)
            store(cache_dir, key, chart)
            return chart

        return wrapper

    return decorate


def charts_dir(processed_dir: Path) -> Path:
    """Where the chart cache lives: `<processed>/_cache/charts/`."""
    from iro_analysis.ingest.cache import cache_dir_of

    return cache_dir_of(processed_dir) / CHARTS_DIRNAME
