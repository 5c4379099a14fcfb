"""The SSDA903 (children looked after) return as one XML file: reader and writer.

The real layout, as found in public sources (summary in docs/ssda903-xml.md)
----------------------------------------------------------------------------
* DfE's XSD "Expanded SSDA903 Return 2021", version 3.3.0, as kept in
  SocialFinanceDigitalLabs/csc-data-synthesizer, tests/data/CLA.xsd (@101b15a)::

    EXPSSDA903                      root, no namespace, no attributes
      CHILD        (1..n)           one per child
        HEADER     (1)              CHILDID UPN SEX DOB ETHNIC UASC [DUC DATE_INT DATE_MATCH
                                    FOSTER_CARE NB_ADOPTR SEX_ADOPTR LS_ADOPTR IN_TOUCH ACTIV
                                    ACCOM] AMISSING* AREVIEW* [MOTHER] [MC_DOB] [PERMANENCE]
                                    [OC2] AD_PLACED*                (in this order)
          AREVIEW  (0..52)          REVIEW REVIEW_CODE
          OC2      (0..1)           SDQ_SCORE SDQ_REASON CONVICTED HEALTH_CHECK IMMUNISATIONS
                                    TEETH_CHECK HEALTH_ASSESSMENT SUBSTANCE_MISUSE
                                    INTERVENTION_RECEIVED INTERVENTION_OFFERED (all optional)
        EPISODE    (0..366)         DECOM RNE LS CIN PL [PL_POST] [HOME_POST] [URN]
                                    [PLACE_PROVIDER] DEC REC [REASON_PLACE_CHANGE]

  So EPISODE is a sibling of HEADER inside a per-child CHILD wrapper (not at the top level,
  not nested in HEADER). EPISODE, AREVIEW and OC2 carry no CHILDID (nor DOB): the child is
  the enclosing CHILD's HEADER/CHILDID. Every date is an xs:string with the pattern
  ``[0-3][0-9]/[0-1][0-9]/[0-9]{4}``, i.e. DD/MM/YYYY exactly as in the CSVs (not ISO
  xs:date). DEC and REC must be present but may be empty; UPN and UASC may be empty.
* DfE's 903 validator reads the XML the same way: SocialFinanceDigitalLabs/
  quality-lac-data-beta-validator, validator903/ingress.py ``read_xml_from_text`` (@53e70c7;
  and its successor data-to-insight/csc-validator-be-903, lac_validator/ingress.py): it iterates the
  root's CHILD elements, takes EPISODE from CHILD and AREVIEW/AMISSING/OC2/PERMANENCE/
  AD_PLACED (later also SW_EPISODE) from HEADER, gives each record the header's CHILD and DOB,
  and renames exactly two elements: ``CHILDID -> CHILD`` and ``PL -> PLACE``; the CSV
  column lists are in validator903/config.py (lac_validator/config.py) ``column_names`` and
  match `iro_analysis.contract.schema.RAW_CSVS`. Its test file tests/fake_data/fake_903.xml writes
  DD/MM/YYYY dates and empty optional values as empty elements (``<MOTHER />``).
* SocialFinanceDigitalLabs/liia-tools (@0dd821c and its branches) reads the 903 only as CSVs
  (liiatools/spec/s903/SSDA903_schema_*.yml, dates "%d/%m/%Y"); it has no 903 XML reader.

Reader
------
`read_903_xml` streams the file with ElementTree's iterparse, namespace-insensitive (tags
are matched on their local names). It returns, per table, the CSV columns as raw text (""
where an element is absent or empty; nothing stripped or parsed, the cleaner does that)
plus LINE (the physical line of the record's start tag), MALFORMED and RAW_TEXT, like
`iro_analysis.ingest.read.read_raw_csv`. A record takes CHILD (and DOB, for reviews and OC2) from
its child's HEADER unless it carries its own CHILDID/DOB element. MALFORMED says why a
record is suspect, and RAW_TEXT shows what was there: a field element repeated (the first
value is kept; RAW_TEXT lists them all), or a record element holding text but no elements
(RAW_TEXT is that text). Elements that map to no column are listed in
`Xml903Table.unknown` (per table; CHILD-level and root-level extras go under "header"),
except the 903 elements of returns this project does not use (UASC, OC3, AD1, missing,
permanence, placed for adoption, social worker episodes), which are skipped silently.
Dates are returned as written (DD/MM/YYYY in real files; the cleaner also accepts
YYYY-MM-DD).

A fast pass handles the real layout ("end" events only, one CHILD at a time, each cleared
once read; EPISODE nested in HEADER or placed before it is fine too). Anything else (records
outside a CHILD, a CHILD in a CHILD, records inside an unknown element or inside another
EPISODE/AREVIEW/OC2) makes it give up, and a generic pass ("start" and "end" events)
reads the file instead, recognising records by element name wherever they are and linking
each to the nearest enclosing HEADER, or else to its CHILD's HEADER. Line numbers come from a
vectorised scan of the bytes for the record start tags; if its counts disagree with the
records read (a tag inside a comment or CDATA, prefixed tags, UTF-16), an exact expat pass
is used instead.

Writer
------
`write_903_xml` writes the four CSV-shaped tables in the real layout above, deterministic,
UTF-8, one element per line. Elements the XSD requires are written even when blank (as
``<X />``; UASC always, as the tables have no UASC value); optional elements are left out
when blank. Dates are written as given (DD/MM/YYYY, as the real format). Records whose
CHILD has no header row go under a stub ``<CHILD><HEADER><CHILDID>`` with nothing else,
after the real children, marked with an XML comment: reading the file back gives those
children a header row with every other value blank. A review or OC2 row whose DOB differs
from its header's DOB (or has no header) gets its own ``<DOB>`` element so that nothing is
lost (real files never need this).

Round trip: ``read_903_xml(write_903_xml(T))`` returns T's values exactly, with episodes,
reviews and OC2 rows grouped by child in header order (order within a child kept), plus the
stub header rows described above.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iro_analysis.contract.schema import RAW_CSVS
from iro_analysis.errors import InputError
from iro_analysis.ingest.read import LINE, MALFORMED, RAW_TEXT, _no_gc

ROOT = "EXPSSDA903"
CHILD_ELEMENT = "CHILD"  # the per-child wrapper (also the CSV name of the child id column)
TABLES = ("header", "episodes", "reviews", "oc2")
RECORD_ELEMENT = {"header": "HEADER", "episodes": "EPISODE", "reviews": "AREVIEW", "oc2": "OC2"}
TABLE_OF_ELEMENT = {e: t for t, e in RECORD_ELEMENT.items()}

# Per table: XML element -> CSV column, in the XSD's element order. Every CSV column has
# exactly one element. CHILDID (and DOB) inside EPISODE/AREVIEW/OC2 are not part of the real
# format (those records inherit them from HEADER) but are honoured when present.
XML_TO_CSV: dict[str, dict[str, str]] = {
    "header": {
        "CHILDID": "CHILD",
        "UPN": "UPN",
        "SEX": "SEX",
        "DOB": "DOB",
        "ETHNIC": "ETHNIC",
        "MOTHER": "MOTHER",
        "MC_DOB": "MC_DOB",
    },
    "episodes": {
        "CHILDID": "CHILD",
        "DECOM": "DECOM",
        "RNE": "RNE",
        "LS": "LS",
        "CIN": "CIN",
        "PL": "PLACE",
        "PL_POST": "PL_POST",
        "HOME_POST": "HOME_POST",
        "URN": "URN",
        "PLACE_PROVIDER": "PLACE_PROVIDER",
        "DEC": "DEC",
        "REC": "REC",
        "REASON_PLACE_CHANGE": "REASON_PLACE_CHANGE",
    },
    "reviews": {
        "CHILDID": "CHILD",
        "DOB": "DOB",
        "REVIEW": "REVIEW",
        "REVIEW_CODE": "REVIEW_CODE",
    },
    "oc2": {
        "CHILDID": "CHILD",
        "DOB": "DOB",
        "SDQ_SCORE": "SDQ_SCORE",
        "SDQ_REASON": "SDQ_REASON",
        "CONVICTED": "CONVICTED",
        "HEALTH_CHECK": "HEALTH_CHECK",
        "IMMUNISATIONS": "IMMUNISATIONS",
        "TEETH_CHECK": "TEETH_CHECK",
        "HEALTH_ASSESSMENT": "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE": "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED": "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED": "INTERVENTION_OFFERED",
    },
}
CSV_TO_XML: dict[str, dict[str, str]] = {
    t: {c: e for e, c in m.items()} for t, m in XML_TO_CSV.items()
}

# Columns a nested record takes from its child's HEADER unless it carries its own element.
INHERITED: dict[str, tuple[str, ...]] = {
    "header": (),
    "episodes": ("CHILD",),
    "reviews": ("CHILD", "DOB"),
    "oc2": ("CHILD", "DOB"),
}

# Elements the XSD requires (minOccurs 1): written even when blank. The rest are optional.
REQUIRED_ELEMENTS: dict[str, frozenset[str]] = {
    "header": frozenset({"CHILDID", "UPN", "SEX", "DOB", "ETHNIC"}),
    "episodes": frozenset({"DECOM", "RNE", "LS", "CIN", "PL", "DEC", "REC"}),
    "reviews": frozenset({"REVIEW", "REVIEW_CODE"}),
    "oc2": frozenset(),
}

# 903 elements inside HEADER that belong to returns this project does not read (UASC, OC3,
# AD1, missing, previous permanence, placed for adoption, social worker episodes): skipped
# without being reported as unknown.
OTHER_903_ELEMENTS: dict[str, frozenset[str]] = {
    "header": frozenset(
        {
            "UASC",
            "DUC",
            "DATE_INT",
            "DATE_MATCH",
            "FOSTER_CARE",
            "NB_ADOPTR",
            "SEX_ADOPTR",
            "LS_ADOPTR",
            "IN_TOUCH",
            "ACTIV",
            "ACCOM",
            "AMISSING",
            "PERMANENCE",
            "AD_PLACED",
            "SW_EPISODE",
        }
    ),
    "episodes": frozenset(),
    "reviews": frozenset(),
    "oc2": frozenset(),
}

EXPECTED = f"an SSDA903 XML return with root element <{ROOT}>"
CHUNK = 1 << 20
_TEXT = pa.large_string()
_BATCH_ROWS = 1 << 16  # rows a table keeps as Python objects before they move to Arrow

_WIDTH = {t: len(RAW_CSVS[t].columns) for t in TABLES}
# Per table: the element of each CSV column, in column order.
_ELEMENT_ORDER = {t: tuple(CSV_TO_XML[t][c] for c in RAW_CSVS[t].columns) for t in TABLES}
_POSITION = {t: {e: RAW_CSVS[t].columns.index(c) for e, c in XML_TO_CSV[t].items()} for t in TABLES}
_INHERITED_ELEMENTS = {t: tuple(CSV_TO_XML[t][c] for c in INHERITED[t]) for t in TABLES}
_RECORD_NAMES = frozenset(TABLE_OF_ELEMENT)
# Element names a record may hold without anything being unknown.
_KNOWN = {t: frozenset(XML_TO_CSV[t]) | _RECORD_NAMES | OTHER_903_ELEMENTS[t] for t in TABLES}


@dataclass(frozen=True)
class Xml903Table:
    """One 903 table read from the XML: CSV columns (raw text) + LINE, MALFORMED, RAW_TEXT."""

    frame: pd.DataFrame
    unknown: tuple[str, ...]  # element names in this table's records that map to no column


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[1] if tag[:1] == "{" else tag


def _parse_error(path: Path, exc: ET.ParseError) -> InputError:
    line, col = exc.position
    return InputError(
        f"{path}, line {line}, column {col}: not well-formed XML (truncated or corrupt): {exc}"
    )


def _root_name(path: Path) -> str:
    """Local name of the root element; InputError for an empty file or a start that is not XML."""
    with path.open("rb") as fh:
        while data := fh.read(CHUNK):
            if data.strip():
                break
        else:
            raise InputError(f"{path}: the file is empty (expected {EXPECTED})")
    try:
        with path.open("rb") as fh:
            for _, el in ET.iterparse(fh, events=("start",)):
                return _local(el.tag)
    except ET.ParseError as exc:
        raise _parse_error(path, exc) from None
    raise InputError(f"{path}: no XML element found (expected {EXPECTED})")  # pragma: no cover


def is_903_xml(path: Path) -> bool:
    """True if the file's root element is <EXPSSDA903> (any namespace); False otherwise."""
    try:
        return _root_name(Path(path)) == ROOT
    except InputError:
        return False


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
        width = _WIDTH[table]
        values = self.values[table]
        n = len(values) // width
        if n:
            rows = np.array(values, dtype=object).reshape(n, width)
            self.done[table].append(
                [pa.array(rows[:, j], type=_TEXT, from_pandas=True) for j in range(width)]
            )
            self.flushed[table] += n
            values.clear()

    def columns(self, table: str) -> list[pa.Array]:
        """Every row of the table, one Arrow text array per CSV column ("" for absent)."""
        self.flush(table)
        return [
            pc.fill_null(
                pa.chunked_array([c[j] for c in self.done[table]], type=_TEXT).combine_chunks(),
                "",
            )
            for j in range(_WIDTH[table])
        ]

    def reserve(self, table: str, link: int) -> int:
        """Generic pass: a new, blank row of `table`, filled later by `fill`."""
        i = len(self.link[table])
        self.link[table].append(i if table == "header" else link)
        self.values[table].extend([""] * _WIDTH[table])
        self.own[table].extend([False] * len(INHERITED[table]))
        return i

    def fill(self, el: ET.Element, table: str, i: int) -> None:
        """Generic pass: row i of `table` from the record element."""
        values, own, _ = self._row(el, table, i)
        width, k = _WIDTH[table], len(INHERITED[table])
        at = (i - self.flushed[table]) * width
        self.values[table][at : at + width] = values
        if k:
            self.own[table][i * k : (i + 1) * k] = own

    def _row(self, el: ET.Element, table: str, i: int) -> tuple[list, list[bool], bool]:
        """Values (None for absent), own-element flags and "holds records" for one record."""
        got = {f.tag: f.text for f in el}
        if len(got) == len(el) and got.keys() <= _KNOWN[table]:  # the usual case
            values = list(map(got.get, _ELEMENT_ORDER[table]))
            own = [e in got for e in _INHERITED_ELEMENTS[table]]
            nested = not got.keys().isdisjoint(_RECORD_NAMES)
        else:
            values, own, nested = self._row_carefully(el, table, i)
        if not len(el) and el.text and not el.text.isspace():
            self.malformed[table][i] = f"<{_local(el.tag)}> holds text but no elements"
            self.raw[table][i] = el.text
        return values, own, nested

    def _row_carefully(self, el: ET.Element, table: str, i: int) -> tuple[list, list[bool], bool]:
        """`_row` for namespaced, repeated or unknown elements."""
        position = _POSITION[table]
        values: list[str | None] = [None] * _WIDTH[table]
        repeated: list[tuple[str, str]] = []
        nested = False
        for field in el:
            name = _local(field.tag)
            j = position.get(name)
            if j is None:
                if name in _RECORD_NAMES:
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
    return len(el) > 0 and any(_local(x.tag) in _RECORD_NAMES for x in el.iter())


def _take(el: ET.Element, table: str, link: int, out: _Parsed) -> int:
    """Fast pass: read one record and the records nested in it (HEADER's AREVIEW, OC2)."""
    links = out.link[table]
    i = len(links)
    links.append(i if table == "header" else link)
    got = {f.tag: f.text for f in el}
    if len(got) == len(el) and got.keys() <= _KNOWN[table] and len(el):  # the usual case
        out.values[table].extend(map(got.get, _ELEMENT_ORDER[table]))
        inherited = _INHERITED_ELEMENTS[table]
        if inherited:
            out.own[table].extend([e in got for e in inherited])
        nested = not got.keys().isdisjoint(_RECORD_NAMES)
    else:
        values, own, nested = out._row(el, table, i)
        out.values[table].extend(values)
        out.own[table].extend(own)
    if nested:
        if table != "header":
            raise _Unusual
        for sub in el:
            inner = TABLE_OF_ELEMENT.get(_local(sub.tag))
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
                        if len(out.values[table]) >= _BATCH_ROWS * _WIDTH[table]:
                            out.flush(table)
        except ET.ParseError as exc:
            raise _parse_error(path, exc) from None
        root = events.root
    for sub in root:
        name = _local(sub.tag)
        if name in _RECORD_NAMES or (
            len(sub) and any(_local(x.tag) in _RECORD_NAMES for x in sub.iter())
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
                    name = _local(el.tag)
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
                        name = _local(sub.tag)
                        if name not in _RECORD_NAMES and name != CHILD_ELEMENT:
                            out.unknown["header"].add(name)
                el.clear()
                if len(stack) == 1 and root is not None:
                    del root[:]  # the element just read was a direct child of the root
        except ET.ParseError as exc:
            raise _parse_error(path, exc) from None
    return out


_TAG_END = np.zeros(256, dtype=bool)
_TAG_END[list(b" \t\r\n/>")] = True


def _record_lines_scan(path: Path) -> dict[str, np.ndarray]:
    """Physical line of every unprefixed record start tag, per table (vectorised byte scan).

    Counts tags inside comments or CDATA too, and misses prefixed ones (<x:EPISODE>): the
    caller compares the counts with the records read and falls back to expat if they differ.
    Blocks end just before a "<", so no tag is split (single-line files stream too).
    """
    names = [(t, RECORD_ELEMENT[t].encode()) for t in TABLES]
    found: dict[str, list[np.ndarray]] = {t: [] for t in TABLES}
    line = 1
    carry = b""
    with path.open("rb") as fh:
        while True:
            data = fh.read(CHUNK)
            buf = carry + data
            cut = buf.rfind(b"<") if data else len(buf)
            if cut < 0:
                cut = len(buf)
            if cut == 0 and data:
                carry = buf
                continue
            block, carry = buf[:cut], buf[cut:]
            arr = np.frombuffer(block + b"\0" * 16, dtype=np.uint8)
            newlines = np.flatnonzero(arr[:cut] == 10)
            lt = np.flatnonzero(arr[:cut] == 60)  # "<"
            for table, name in names:
                at = lt
                for k, byte in enumerate(name, start=1):
                    at = at[arr[at + k] == byte]
                at = at[_TAG_END[arr[at + len(name) + 1]]]
                if len(at):
                    found[table].append(line + np.searchsorted(newlines, at, side="left"))
            line += len(newlines)
            if not data:
                break
    return {
        t: np.concatenate(v).astype("int64") if v else np.empty(0, "int64")
        for t, v in found.items()
    }


def _record_lines_expat(path: Path) -> dict[str, np.ndarray]:
    """Physical line of every record start tag, per table, exactly (slower: expat callbacks)."""
    parser = xml.parsers.expat.ParserCreate()
    found: dict[str, list[int]] = {t: [] for t in TABLES}

    def start(name: str, _attrs: object) -> None:
        table = TABLE_OF_ELEMENT.get(name.rsplit(":", 1)[-1])
        if table is not None:
            found[table].append(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    with path.open("rb") as fh:
        parser.ParseFile(fh)
    return {t: np.asarray(v, dtype="int64") for t, v in found.items()}


def _arrow(s: pd.Series) -> pa.Array:
    arr = pa.Array.from_pandas(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(_TEXT)


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
    root = _root_name(path)
    if root != ROOT:
        raise InputError(
            f"{path}: the root element is <{root}>, expected <{ROOT}> (an SSDA903 XML return)"
        )
    with _no_gc():
        try:
            out = _parse_fast(path)
        except _Unusual:
            out = _parse_generic(path)
    lines = _record_lines_scan(path)
    if any(len(lines[t]) != out.count(t) for t in TABLES):
        lines = _record_lines_expat(path)
    header = _frame(out, "header", lines["header"], None)
    result = {"header": Xml903Table(header, tuple(sorted(out.unknown["header"])))}
    for t in TABLES[1:]:
        result[t] = Xml903Table(_frame(out, t, lines[t], header), tuple(sorted(out.unknown[t])))
    return result


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
    return pa.scalar(text, _TEXT)


def _join(*parts: pa.Array | pa.Scalar) -> pa.Array:
    """Element-wise concatenation (scalars repeat on every row)."""
    return pc.binary_join_element_wise(*parts, _s(""))


def _csv_shaped(frame: pd.DataFrame | None, table: str) -> dict[str, pa.Array]:
    """The table's columns as Arrow text ("" for blank), checked for what XML can hold."""
    columns = list(RAW_CSVS[table].columns)
    if frame is None:
        return {c: pa.array([], _TEXT) for c in columns}
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
        arr = arr.cast(_TEXT)
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
        pd.unique(others.filter(pa.array(absent)).to_numpy(zero_copy_only=False)), _TEXT
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
