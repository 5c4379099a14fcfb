"""Read an SSDA903 XML return into the four 903 tables as raw text (CSV columns).

The layout, and what is read from where, is described in `ingest.ssda903_layout`; the
writer is `ingest.ssda903_writer` (its names stay importable from here).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iro_analysis.contract.raw_files import RAW_CSVS
from iro_analysis.core.errors import InputError, excerpt
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED, RAW_TEXT, no_gc
from iro_analysis.ingest.ssda903_layout import (
    CHILD_ELEMENT,
    CSV_TO_XML,
    ELEMENT_ORDER,
    EXPECTED,
    INHERITED,
    INHERITED_ELEMENTS,
    KNOWN,
    OTHER_903_ELEMENTS,
    POSITION,
    RECORD_ELEMENT,
    RECORD_NAMES,
    REQUIRED_ELEMENTS,
    ROOT,
    TABLE_OF_ELEMENT,
    TABLES,
    TEXT,
    WIDTH,
    XML_TO_CSV,
    Xml903Table,
    is_903_xml,
    record_lines_expat,
    record_lines_scan,
)
from iro_analysis.ingest.ssda903_writer import write_903_xml
from iro_analysis.ingest.xml_root import CHUNK, local_name, parse_error, root_element

_BATCH_ROWS = 1 << 16  # rows a table keeps as Python objects before they move to Arrow

# --------------------------------------------------------------------------------------
# Reader
# --------------------------------------------------------------------------------------


class _Unusual(Exception):
    """The fast pass met a layout it does not handle; the generic pass reads the file."""


class _Parsed:
    """Rows gathered by one pass over the file, per table, in start-tag (document) order.

    The rows not yet moved to Arrow are kept flat in `values` (row i is at
    (i - flushed) * width, None for an absent element); `flush` moves them to `done`, one
    Arrow array per column, so that memory holds compact columns, not millions of strings.
    `link` is the header row a record belongs to (-1: none), `own` whether the record
    carries its own element for each INHERITED column.
    """

    def __init__(self) -> None:
        self.values: dict[str, list[str | None]] = {t: [] for t in TABLES}
        self.done: dict[str, list[list[pa.Array]]] = {t: [] for t in TABLES}
        self.flushed: dict[str, int] = {t: 0 for t in TABLES}
        self.own: dict[str, list[bool]] = {t: [] for t in TABLES}
        self.link: dict[str, list[int]] = {t: [] for t in TABLES}
        self.malformed: dict[str, dict[int, str]] = {t: {} for t in TABLES}
        self.raw: dict[str, dict[int, str]] = {t: {} for t in TABLES}
        self.unknown: dict[str, set[str]] = {t: set() for t in TABLES}

    def count(self, table: str) -> int:
        return len(self.link[table])

    def flush(self, table: str) -> None:
        """Move the table's complete rows from Python objects to Arrow columns."""
        width = WIDTH[table]
        values = self.values[table]
        n = len(values) // width
        if n:
            rows = np.array(values, dtype=object).reshape(n, width)
            self.done[table].append(
                [pa.array(rows[:, j], type=TEXT, from_pandas=True) for j in range(width)]
            )
            self.flushed[table] += n
            values.clear()

    def columns(self, table: str) -> list[pa.Array]:
        """Every row of the table, one Arrow text array per CSV column ("" for absent)."""
        self.flush(table)
        return [
            pc.fill_null(
                pa.chunked_array([c[j] for c in self.done[table]], type=TEXT).combine_chunks(),
                "",
            )
            for j in range(WIDTH[table])
        ]

    def reserve(self, table: str, link: int) -> int:
        """Generic pass: a new, blank row of `table`, filled later by `fill`."""
        i = len(self.link[table])
        self.link[table].append(i if table == "header" else link)
        self.values[table].extend([""] * WIDTH[table])
        self.own[table].extend([False] * len(INHERITED[table]))
        return i

    def fill(self, el: ET.Element, table: str, i: int) -> None:
        """Generic pass: row i of `table` from the record element."""
        values, own, _ = self._row(el, table, i)
        width, k = WIDTH[table], len(INHERITED[table])
        at = (i - self.flushed[table]) * width
        self.values[table][at : at + width] = values
        if k:
            self.own[table][i * k : (i + 1) * k] = own

    def _row(self, el: ET.Element, table: str, i: int) -> tuple[list, list[bool], bool]:
        """Values (None for absent), own-element flags and "holds records" for one record."""
        got = {f.tag: f.text for f in el}
        if len(got) == len(el) and got.keys() <= KNOWN[table]:  # the usual case
            values = list(map(got.get, ELEMENT_ORDER[table]))
            own = [e in got for e in INHERITED_ELEMENTS[table]]
            nested = not got.keys().isdisjoint(RECORD_NAMES)
        else:
            values, own, nested = self._row_carefully(el, table, i)
        if not len(el) and el.text and not el.text.isspace():
            self.malformed[table][i] = f"<{local_name(el.tag)}> holds text but no elements"
            self.raw[table][i] = el.text
        return values, own, nested

    def _row_carefully(self, el: ET.Element, table: str, i: int) -> tuple[list, list[bool], bool]:
        """`_row` for namespaced, repeated or unknown elements."""
        position = POSITION[table]
        values: list[str | None] = [None] * WIDTH[table]
        repeated: list[tuple[str, str]] = []
        nested = False
        for field in el:
            name = local_name(field.tag)
            j = position.get(name)
            if j is None:
                if name in RECORD_NAMES:
                    nested = True
                elif name not in OTHER_903_ELEMENTS[table]:
                    self.unknown[table].add(name)
                    nested = nested or _holds_records(field)
            elif values[j] is not None:
                repeated.append((name, field.text or ""))
            else:
                values[j] = field.text or ""
        columns = RAW_CSVS[table].columns
        own = [values[columns.index(c)] is not None for c in INHERITED[table]]
        if repeated:
            names = dict.fromkeys(n for n, _ in repeated)
            self.malformed[table][i] = "; ".join(f"<{n}> appears more than once" for n in names)
            self.raw[table][i] = " ".join(  # every value of the repeated elements
                f"<{n}>{v}</{n}>"
                for n in names
                for v in [values[position[n]], *(v for m, v in repeated if m == n)]
            )
        return values, own, nested


def _holds_records(el: ET.Element) -> bool:
    """True if a record element (HEADER, EPISODE, AREVIEW, OC2) is inside `el`."""
    return len(el) > 0 and any(local_name(x.tag) in RECORD_NAMES for x in el.iter())


def _take(el: ET.Element, table: str, link: int, out: _Parsed) -> int:
    """Fast pass: read one record and the records nested in it (HEADER's AREVIEW, OC2)."""
    links = out.link[table]
    i = len(links)
    links.append(i if table == "header" else link)
    got = {f.tag: f.text for f in el}
    if len(got) == len(el) and got.keys() <= KNOWN[table] and len(el):  # the usual case
        out.values[table].extend(map(got.get, ELEMENT_ORDER[table]))
        inherited = INHERITED_ELEMENTS[table]
        if inherited:
            out.own[table].extend([e in got for e in inherited])
        nested = not got.keys().isdisjoint(RECORD_NAMES)
    else:
        values, own, nested = out._row(el, table, i)
        out.values[table].extend(values)
        out.own[table].extend(own)
    if nested:
        if table != "header":
            raise _Unusual
        for sub in el:
            inner = TABLE_OF_ELEMENT.get(local_name(sub.tag))
            if inner is None:
                if _holds_records(sub):
                    raise _Unusual  # records inside an unknown element
            elif inner == "header":
                raise _Unusual
            else:
                _take(sub, inner, i, out)
    return i


def _take_child(child: ET.Element, out: _Parsed) -> None:
    """Fast pass: one <CHILD>: its HEADER (with nested records) and its EPISODEs."""
    header_row = -1
    pending: list[tuple[str, int]] = []
    for sub in child:
        tag = sub.tag
        if tag[0] == "{":
            tag = tag.rsplit("}", 1)[1]
        table = TABLE_OF_ELEMENT.get(tag)
        if table == "episodes":
            pending.append((table, _take(sub, table, -1, out)))
        elif table == "header":
            i = _take(sub, table, -1, out)
            if header_row < 0:
                header_row = i
        elif table is not None:
            pending.append((table, _take(sub, table, -1, out)))
        elif tag == CHILD_ELEMENT or _holds_records(sub):
            raise _Unusual
        else:
            out.unknown["header"].add(tag)
    link = out.link
    for table, i in pending:
        link[table][i] = header_row


def _parse_fast(path: Path) -> _Parsed:
    """The real layout: every record inside a top-level <CHILD>, read per CHILD ("end" events).

    Raises _Unusual for anything else (records outside a CHILD, HEADER inside HEADER...).
    """
    out = _Parsed()
    with path.open("rb") as fh:
        events = ET.iterparse(fh, events=("end",))
        try:
            for _, el in events:
                tag = el.tag
                if (tag == CHILD_ELEMENT or tag[-6:] == "}CHILD") and len(el):
                    _take_child(el, out)
                    el.clear()  # stays in the root as an empty <CHILD>
                    for table in TABLES:
                        if len(out.values[table]) >= _BATCH_ROWS * WIDTH[table]:
                            out.flush(table)
        except ET.ParseError as exc:
            raise parse_error(path, exc) from None
        root = events.root
    for sub in root:
        name = local_name(sub.tag)
        if name in RECORD_NAMES or (
            len(sub) and any(local_name(x.tag) in RECORD_NAMES for x in sub.iter())
        ):
            raise _Unusual  # records outside a <CHILD>
        if name != CHILD_ELEMENT:
            out.unknown["header"].add(name)
    return out


def _parse_generic(path: Path) -> _Parsed:
    """Any layout: records recognised by name anywhere ("start" and "end" events).

    A record takes its header from the nearest enclosing HEADER, or else from the HEADER of
    the enclosing CHILD (linked when the CHILD closes, so a HEADER after the EPISODE works).
    """
    out = _Parsed()
    # Stack entry per open element: None (plain), ("R", table, row) for a record,
    # ("C", scope) for a CHILD wrapper, ("ROOT",) for the root.
    stack: list = []
    # Open scopes, innermost last: ["H", row] for a HEADER, ["C", row, pending] for a CHILD
    # wrapper (pending: records directly inside it, linked when it closes).
    scopes: list[list] = []
    root: ET.Element | None = None
    with path.open("rb") as fh:
        try:
            for event, el in ET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    name = local_name(el.tag)
                    if root is None:
                        root = el
                        stack.append(("ROOT",))
                        continue
                    table = TABLE_OF_ELEMENT.get(name)
                    if table is not None:
                        scope = scopes[-1] if scopes else None
                        if table == "header":
                            i = out.reserve(table, -1)
                            if scope is not None and scope[0] == "C" and scope[1] < 0:
                                scope[1] = i
                            scopes.append(["H", i])
                        elif scope is not None and scope[0] == "H":
                            i = out.reserve(table, scope[1])
                        else:
                            i = out.reserve(table, -1)
                            if scope is not None:
                                scope[2].append((table, i))
                        stack.append(("R", table, i))
                    elif name == CHILD_ELEMENT and not (
                        isinstance(stack[-1], tuple) and stack[-1][0] == "R"
                    ):
                        scope = ["C", -1, []]
                        scopes.append(scope)
                        stack.append(("C", scope))
                    else:
                        if len(stack) == 1:
                            out.unknown["header"].add(name)
                        stack.append(None)
                    continue
                entry = stack.pop()
                if entry is None or entry[0] == "ROOT":
                    continue
                if entry[0] == "R":
                    _, table, i = entry
                    out.fill(el, table, i)
                    if table == "header":
                        scopes.pop()
                else:
                    _, header_row, pending = scopes.pop()
                    for table, i in pending:
                        out.link[table][i] = header_row
                    for sub in el:
                        name = local_name(sub.tag)
                        if name not in RECORD_NAMES and name != CHILD_ELEMENT:
                            out.unknown["header"].add(name)
                el.clear()
                if len(stack) == 1 and root is not None:
                    del root[:]  # the element just read was a direct child of the root
        except ET.ParseError as exc:
            raise parse_error(path, exc) from None
    return out


def _arrow(s: pd.Series) -> pa.Array:
    arr = pa.Array.from_pandas(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(TEXT)


def _frame(
    out: _Parsed, table: str, lines: np.ndarray, header: pd.DataFrame | None
) -> pd.DataFrame:
    columns = RAW_CSVS[table].columns
    n = out.count(table)
    cols = out.columns(table)
    if header is not None and INHERITED[table] and n:
        link = np.asarray(out.link[table], dtype=np.int64)
        own = np.asarray(out.own[table], dtype=bool).reshape(n, len(INHERITED[table]))
        for k, c in enumerate(INHERITED[table]):
            take = ~own[:, k] & (link >= 0)
            if take.any():
                j = columns.index(c)
                inherited = _arrow(header[c]).take(pa.array(np.where(take, link, 0)))
                cols[j] = pc.if_else(pa.array(take), inherited, cols[j])
    frame = pd.DataFrame(
        {c: pd.Series(pd.array(cols[j], dtype="str")) for j, c in enumerate(columns)}
    )
    frame[LINE] = pd.Series(lines, dtype="int64")
    for name, notes in ((MALFORMED, out.malformed[table]), (RAW_TEXT, out.raw[table])):
        col = np.full(n, "", dtype=object)
        if notes:
            col[list(notes)] = list(notes.values())
        frame[name] = pd.Series(col, dtype="str")
    return frame


def read_903_xml(path: Path) -> dict[str, Xml903Table]:
    """Read an SSDA903 XML return into the four CSV-shaped text tables (see module doc).

    Raises InputError naming the file for an empty file, another root element, or XML that
    is not well formed or is truncated (with the line and column).
    """
    path = Path(path)
    root, _ = root_element(path, EXPECTED)
    if root != ROOT:
        raise InputError(
            f"{path}: the root element is <{excerpt(root, quote=False)}>, expected <{ROOT}> "
            "(an SSDA903 XML return)"
        )
    with no_gc():
        try:
            out = _parse_fast(path)
        except _Unusual:
            out = _parse_generic(path)
    lines = record_lines_scan(path)
    if any(len(lines[t]) != out.count(t) for t in TABLES):
        lines = record_lines_expat(path)
    header = _frame(out, "header", lines["header"], None)
    result = {"header": Xml903Table(header, tuple(sorted(out.unknown["header"])))}
    for t in TABLES[1:]:
        result[t] = Xml903Table(_frame(out, t, lines[t], header), tuple(sorted(out.unknown[t])))
    return result


# The module's names before the layout and the writer moved out (a stable API).
__all__ = [
    "CHILD_ELEMENT",
    "CHUNK",
    "CSV_TO_XML",
    "EXPECTED",
    "INHERITED",
    "OTHER_903_ELEMENTS",
    "RECORD_ELEMENT",
    "REQUIRED_ELEMENTS",
    "ROOT",
    "TABLES",
    "TABLE_OF_ELEMENT",
    "XML_TO_CSV",
    "Xml903Table",
    "is_903_xml",
    "read_903_xml",
    "write_903_xml",
]
