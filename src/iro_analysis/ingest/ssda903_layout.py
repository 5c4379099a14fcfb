"""The SSDA903 (children looked after) return as one XML file: its layout, root and lines.

The reader is `ingest.ssda903_xml`, the writer `ingest.ssda903_writer`; this module holds
what both share (element <-> column maps) and where records start (physical lines).


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
  match `iro_analysis.contract.raw_files.RAW_CSVS`. Its test file tests/fake_data/fake_903.xml writes
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

import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from iro_analysis.contract.raw_files import RAW_CSVS
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.xml_root import CHUNK, root_element

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
TEXT = pa.large_string()

WIDTH = {t: len(RAW_CSVS[t].columns) for t in TABLES}
# Per table: the element of each CSV column, in column order.
ELEMENT_ORDER = {t: tuple(CSV_TO_XML[t][c] for c in RAW_CSVS[t].columns) for t in TABLES}
POSITION = {t: {e: RAW_CSVS[t].columns.index(c) for e, c in XML_TO_CSV[t].items()} for t in TABLES}
INHERITED_ELEMENTS = {t: tuple(CSV_TO_XML[t][c] for c in INHERITED[t]) for t in TABLES}
RECORD_NAMES = frozenset(TABLE_OF_ELEMENT)
# Element names a record may hold without anything being unknown.
KNOWN = {t: frozenset(XML_TO_CSV[t]) | RECORD_NAMES | OTHER_903_ELEMENTS[t] for t in TABLES}


@dataclass(frozen=True)
class Xml903Table:
    """One 903 table read from the XML: CSV columns (raw text) + LINE, MALFORMED, RAW_TEXT."""

    frame: pd.DataFrame
    unknown: tuple[str, ...]  # element names in this table's records that map to no column


def is_903_xml(path: Path) -> bool:
    """True if the file's root element is <EXPSSDA903> (any namespace); False otherwise."""
    try:
        return root_element(Path(path), EXPECTED)[0] == ROOT
    except InputError:
        return False


# --------------------------------------------------------------------------------------
# Physical lines of the records
# --------------------------------------------------------------------------------------


_TAG_END = np.zeros(256, dtype=bool)
_TAG_END[list(b" \t\r\n/>")] = True


def record_lines_scan(path: Path) -> dict[str, np.ndarray]:
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


def record_lines_expat(path: Path) -> dict[str, np.ndarray]:
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
