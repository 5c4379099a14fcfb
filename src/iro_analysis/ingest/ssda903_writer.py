"""Write the four 903 tables as one SSDA903 XML return (layout: `ingest.ssda903_layout`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iro_analysis.contract.raw_files import RAW_CSVS
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED, RAW_TEXT
from iro_analysis.ingest.ssda903_layout import (
    INHERITED,
    RECORD_ELEMENT,
    REQUIRED_ELEMENTS,
    ROOT,
    TABLES,
    TEXT,
    XML_TO_CSV,
)

# --------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------

_BOOKKEEPING = (LINE, MALFORMED, RAW_TEXT)
# Characters XML 1.0 cannot hold even escaped (RE2 syntax, for pyarrow).
_NOT_XML_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
_HEADER_BEFORE_REVIEWS = ("CHILDID", "UPN", "SEX", "DOB", "ETHNIC")
_HEADER_AFTER_REVIEWS = ("MOTHER", "MC_DOB")
_STUB_NOTE = "  <!-- no header row for this child in the source tables -->\n"
# The parts of one child in document order (sorted on with the child's slot).
_PART_START, _PART_REVIEWS, _PART_MIDDLE, _PART_OC2 = 0, 1, 2, 3
_PART_END_HEADER, _PART_EPISODES, _PART_END_CHILD = 4, 5, 6


def _s(text: str) -> pa.Scalar:
    return pa.scalar(text, TEXT)


def _join(*parts: pa.Array | pa.Scalar) -> pa.Array:
    """Element-wise concatenation (scalars repeat on every row)."""
    return pc.binary_join_element_wise(*parts, _s(""))


def _csv_shaped(frame: pd.DataFrame | None, table: str) -> dict[str, pa.Array]:
    """The table's columns as Arrow text ("" for blank), checked for what XML can hold."""
    columns = list(RAW_CSVS[table].columns)
    if frame is None:
        return {c: pa.array([], TEXT) for c in columns}
    missing = [c for c in columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in columns and c not in _BOOKKEEPING]
    if missing or extra:
        raise ValueError(
            f"{table}: expected the columns {', '.join(columns)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(map(str, extra))}" if extra else "")
        )
    out = {}
    for c in columns:
        arr = pa.Array.from_pandas(frame[c].fillna("").astype("str"))
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arr = arr.cast(TEXT)
        bad = pc.match_substring_regex(arr, _NOT_XML_CHARS)
        if pc.any(bad).as_py():
            row = int(np.flatnonzero(bad.to_numpy(zero_copy_only=False))[0])
            raise ValueError(
                f"{table}, row {row}, column {c}: {arr[row].as_py()!r} holds a control "
                "character that XML 1.0 cannot represent"
            )
        out[c] = arr
    return out


def _escape(values: pa.Array) -> pa.Array:
    if not pc.any(pc.match_substring_regex(values, "[&<>\r]")).as_py():
        return values
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        values = pc.replace_substring(values, char, entity)
    return values


def _element_lines(
    values: pa.Array, element: str, indent: str, keep_empty: bool | pa.Array
) -> pa.Array:
    """One "<X>value</X>" line per row; "<X />" when blank and `keep_empty`, else ""."""
    full = _join(_s(f"{indent}<{element}>"), _escape(values), _s(f"</{element}>\n"))
    empty_line = _s(f"{indent}<{element} />\n")
    if isinstance(keep_empty, bool):
        empty = empty_line if keep_empty else _s("")
    else:
        empty = pc.if_else(keep_empty, empty_line, _s(""))
    return pc.if_else(pc.equal(values, _s("")), empty, full)


def _fields(cols: dict[str, pa.Array], table: str, elements: tuple[str, ...], indent: str):
    return [
        _element_lines(cols[XML_TO_CSV[table][e]], e, indent, e in REQUIRED_ELEMENTS[table])
        for e in elements
    ]


def _records(cols: dict[str, pa.Array], table: str, indent: str, own_dob: pa.Array | None):
    """The full XML of each record row (wrapper included), one string per row."""
    element = RECORD_ELEMENT[table]
    inner = indent + "  "
    parts: list = [_s(f"{indent}<{element}>\n")]
    if own_dob is not None:
        dob = _element_lines(cols["DOB"], "DOB", inner, True)
        parts.append(pc.if_else(own_dob, dob, _s("")))
    fields = tuple(e for e, c in XML_TO_CSV[table].items() if c not in INHERITED[table])
    parts += _fields(cols, table, fields, inner)
    parts.append(_s(f"{indent}</{element}>\n"))
    return _join(*parts)


def _repeat(text: str, n: int) -> pa.Array:
    return pa.repeat(_s(text), n)


def _index_in(values: pa.Array, among: pa.Array) -> np.ndarray:
    """Position of each value in `among` (-1 where absent)."""
    found = pc.fill_null(pc.index_in(values, value_set=among), -1)
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def write_903_xml(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Write the four CSV-shaped 903 tables as one EXPSSDA903 XML file (see module doc).

    `tables` maps "header", "episodes", "reviews", "oc2" to frames with exactly the CSV
    columns (extra LINE/MALFORMED/RAW_TEXT columns are ignored; a missing table counts as
    empty), every value a str and "" for blank. Same input, same bytes.
    """
    cols = {t: _csv_shaped(tables.get(t), t) for t in TABLES}
    header = cols["header"]
    n = len(header["CHILD"])
    is_first = ~pd.Index(header["CHILD"].to_numpy(zero_copy_only=False)).duplicated()
    first_row = np.flatnonzero(is_first)  # each child's first header row, in header order
    first_child = header["CHILD"].take(pa.array(first_row, pa.int64()))
    others = pa.concat_arrays([cols[t]["CHILD"] for t in ("episodes", "reviews", "oc2")])
    absent = _index_in(others, first_child) < 0
    orphans = pa.array(
        pd.unique(others.filter(pa.array(absent)).to_numpy(zero_copy_only=False)), TEXT
    )
    m = len(orphans)

    pieces: list[pa.Array] = []
    slots: list[np.ndarray] = []
    parts: list[np.ndarray] = []

    def add(text: pa.Array, slot: np.ndarray, part: int) -> None:
        pieces.append(text)
        slots.append(np.asarray(slot, dtype=np.int64))
        parts.append(np.full(len(text), part, dtype=np.int64))

    rows = np.arange(n)
    ind = "      "
    start = _s("  <CHILD>\n    <HEADER>\n")
    uasc = _s(f"{ind}<UASC />\n")
    add(_join(start, *_fields(header, "header", _HEADER_BEFORE_REVIEWS, ind), uasc), rows, 0)
    add(_join(*_fields(header, "header", _HEADER_AFTER_REVIEWS, ind)), rows, _PART_MIDDLE)
    add(_repeat("    </HEADER>\n", n), rows, _PART_END_HEADER)
    add(_repeat("  </CHILD>\n", n), rows, _PART_END_CHILD)
    # a stub child for the records whose CHILD has no header row, after the real ones
    stub = n + np.arange(m)
    stub_start = _s(_STUB_NOTE + "  <CHILD>\n    <HEADER>\n")
    add(_join(stub_start, _element_lines(orphans, "CHILDID", ind, True)), stub, _PART_START)
    add(_repeat("    </HEADER>\n", m), stub, _PART_END_HEADER)
    add(_repeat("  </CHILD>\n", m), stub, _PART_END_CHILD)

    first_dob = header["DOB"].take(pa.array(first_row, pa.int64()))
    dob_of = pa.concat_arrays([first_dob, _repeat("", m)])  # by child key (first, stubs)
    slot_of = np.concatenate([first_row, stub]).astype(np.int64)
    for table, indent, part in (
        ("reviews", "      ", _PART_REVIEWS),
        ("oc2", "      ", _PART_OC2),
        ("episodes", "    ", _PART_EPISODES),
    ):
        t = cols[table]
        hit = _index_in(t["CHILD"], first_child)
        key = np.where(hit >= 0, hit, len(first_row) + _index_in(t["CHILD"], orphans))
        own_dob = None
        if "DOB" in INHERITED[table]:
            own_dob = pc.not_equal(t["DOB"], dob_of.take(pa.array(key, pa.int64())))
        add(_records(t, table, indent, own_dob), slot_of[key], part)

    text = pa.concat_arrays(pieces)
    sequence = np.concatenate([np.arange(len(x)) for x in pieces]) if pieces else []
    order = np.lexsort((sequence, np.concatenate(parts), np.concatenate(slots)))
    body = text.take(pa.array(order, pa.int64()))
    with Path(path).open("wb") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{ROOT}>\n'.encode())
        if len(body):
            # the values of an Arrow string array are stored back to back, in order
            _, offsets, data = body.buffers()
            bounds = np.frombuffer(offsets, dtype=np.int64)[
                body.offset : body.offset + len(body) + 1
            ]
            fh.write(memoryview(data)[int(bounds[0]) : int(bounds[-1])])
        fh.write(f"</{ROOT}>\n".encode())
