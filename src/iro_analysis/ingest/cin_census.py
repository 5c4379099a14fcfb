"""Read a CIN census XML (DfE XSD layout) into raw text tables, streamed.

Every value stays raw text; a file that is not a census or not well formed raises
`InputError` naming the file and, where known, the line and column.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.contract.raw_files import (
    CIN_CHILD_FIELDS,
    CIN_DETAILS_FIELDS,
    CPP_FIELDS,
    CPP_REVIEW_FIELD,
    S47_FIELDS,
)
from iro_analysis.core.errors import InputError, excerpt
from iro_analysis.ingest.bookkeeping import LINE, no_gc
from iro_analysis.ingest.xml_root import CHUNK, local_name, parse_error, root_element

EXPECTED = "a DfE CIN census <Message>"


@dataclass
class CinRaw:
    """Text tables read from one CIN census file (all values raw text).

    Rows are in document order, so row i of a table is the i-th element of its kind
    (`element_lines` turns that into a physical line). Parent links: `details._child`,
    `s47._child`, `plans._child` index `children`; `reviews._plan` indexes `plans`.
    """

    path: Path
    namespace: str
    collection: dict[str, str]  # Header/CollectionDetails: Collection, Year, ReferenceDate
    children: pd.DataFrame
    details: pd.DataFrame
    s47: pd.DataFrame
    plans: pd.DataFrame
    reviews: pd.DataFrame


CHILD_ID = "LAchildID"
SEX_ELEMENTS = ("Sex", "GenderCurrent")
PARENT_CHILD = "_child"
PARENT_PLAN = "_plan"


def census_tables(cin: CinRaw) -> dict[str, pd.DataFrame]:
    """The census's element kinds as the clean tables' text (cin_children, cin_details,
    s47, cp_plans, cp_reviews): each row with its child's LAchildID, a plan review with its
    plan's child and CPPstartDate too (the key that links them); the parent links
    (`PARENT_CHILD`, `PARENT_PLAN`) dropped. Rows in document order, indexes kept."""
    child_ids = cin.children[CHILD_ID].to_numpy()
    out = {"cin_children": cin.children}
    for table, frame in (("cin_details", cin.details), ("s47", cin.s47), ("cp_plans", cin.plans)):
        f = frame.drop(columns=PARENT_CHILD)
        ids = child_ids[frame[PARENT_CHILD].to_numpy()]
        f.insert(0, CHILD_ID, pd.Series(ids, index=f.index, dtype="str"))
        out[table] = f
    pidx = cin.reviews[PARENT_PLAN].to_numpy()
    r = cin.reviews.drop(columns=PARENT_PLAN)
    plan_child = cin.plans[PARENT_CHILD].to_numpy()[pidx]
    r.insert(0, CHILD_ID, pd.Series(child_ids[plan_child], index=r.index, dtype="str"))
    start = cin.plans["CPPstartDate"].to_numpy()[pidx]
    r.insert(1, "CPPstartDate", pd.Series(start, index=r.index, dtype="str"))
    out["cp_reviews"] = r
    return out


def _fields(el: ET.Element) -> dict[str, str]:
    return {local_name(x.tag): x.text or "" for x in el}


def iter_cin_children(path: Path, collection: dict[str, str] | None = None) -> Iterator[ET.Element]:
    """Stream the census's Child elements, complete and in document order, with iterparse.

    Each Child is cleared once handed over, so memory holds one child at a time, never the
    whole file. The fields of Header/CollectionDetails are put in `collection` when given.
    Raises InputError (file, line, column) for XML that is not well formed or is truncated.
    """
    try:
        with path.open("rb") as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                tag = el.tag
                if tag.endswith("Child") and local_name(tag) == "Child":
                    yield el
                    el.clear()
                elif collection is not None and local_name(tag) == "CollectionDetails":
                    collection.update((k, v.strip()) for k, v in _fields(el).items())
    except ET.ParseError as exc:
        raise parse_error(path, exc) from None


def read_cin_census(path: Path) -> CinRaw:
    """Read a CIN census XML (DfE XSD layout) into text tables, streamed.

    Elements are matched on their local names, so a file with a namespace (or an unexpected
    one) reads the same as one without; the namespace found is returned in `namespace`.
    """
    root, namespace = root_element(path, EXPECTED)
    if root != "Message":
        raise InputError(
            f"{path}: the root element is <{excerpt(root, quote=False)}>, expected <Message> "
            "(DfE CIN census)"
        )
    with no_gc():
        return _read_census(path, namespace)


def _read_census(path: Path, namespace: str) -> CinRaw:
    children: list[list] = []
    details: list[list] = []
    s47s: list[list] = []
    plans: list[list] = []
    reviews: list[list] = []
    collection: dict[str, str] = {}
    for child in iter_cin_children(path, collection):
        fields: dict[str, str] = {}
        ci = len(children)
        for sub in child:
            sname = local_name(sub.tag)
            if sname in ("ChildIdentifiers", "ChildCharacteristics"):
                for k, v in _fields(sub).items():
                    fields.setdefault(k, v)
            elif sname == "CINdetails":
                d: dict[str, str] = {}
                for part in sub:
                    pname = local_name(part.tag)
                    if pname == "Section47":
                        f = _fields(part)
                        s47s.append([ci, *(f.get(k, "") for k in S47_FIELDS)])
                    elif pname == "ChildProtectionPlans":
                        p: dict[str, str] = {}
                        pi = len(plans)
                        for x in part:
                            xname = local_name(x.tag)
                            if xname == "Reviews":
                                reviews.extend(
                                    [pi, r.text or ""]
                                    for r in x
                                    if local_name(r.tag) == CPP_REVIEW_FIELD
                                )
                            elif xname == CPP_REVIEW_FIELD:
                                reviews.append([pi, x.text or ""])
                            else:
                                p[xname] = x.text or ""
                        plans.append([ci, *(p.get(k, "") for k in CPP_FIELDS)])
                    else:
                        d[pname] = part.text or ""
                details.append([ci, *(d.get(k, "") for k in CIN_DETAILS_FIELDS)])
        sex = next((fields[s] for s in SEX_ELEMENTS if s in fields), "")
        children.append([sex if k == "Sex" else fields.get(k, "") for k in CIN_CHILD_FIELDS])

    def frame(rows: list[list], cols: list[str]) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=cols)
        for c in cols:
            if c in (PARENT_CHILD, PARENT_PLAN):
                df[c] = df[c].astype("int64")
            else:
                df[c] = df[c].astype("str")
        df[LINE] = pd.Series(pd.NA, index=df.index, dtype="Int64")
        return df

    return CinRaw(
        path=path,
        namespace=namespace,
        collection=collection,
        children=frame(children, list(CIN_CHILD_FIELDS)),
        details=frame(details, [PARENT_CHILD, *CIN_DETAILS_FIELDS]),
        s47=frame(s47s, [PARENT_CHILD, *S47_FIELDS]),
        plans=frame(plans, [PARENT_CHILD, *CPP_FIELDS]),
        reviews=frame(reviews, [PARENT_PLAN, CPP_REVIEW_FIELD]),
    )


def element_lines(path: Path, element: str) -> np.ndarray:
    """The physical line of every start tag of `element` (any namespace prefix), in order.

    A second, C-speed pass over the file, used only for elements that were quarantined.
    A tag inside a comment or CDATA would also be counted: callers compare the number of
    lines with the number of elements read before trusting them.
    """
    return elements_lines(path, [element])[element]


def elements_lines(path: Path, elements) -> dict[str, np.ndarray]:
    """`element_lines` of several elements in one pass over the file (the raw files'
    suites want every element kind's lines: one scan instead of one per kind)."""
    names = b"|".join(re.escape(e.encode()) for e in elements)
    pattern = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(" + names + rb")(?=[\s>/])")
    found: dict[bytes, list[int]] = {e.encode(): [] for e in elements}
    line = 1
    carry = b""

    def scan(block: bytes, line: int) -> int:
        pos = 0
        for m in pattern.finditer(block):
            line += block.count(b"\n", pos, m.start())
            pos = m.start()
            found[m.group(1)].append(line)
        return line + block.count(b"\n", pos)

    with path.open("rb") as fh:
        while True:
            data = fh.read(CHUNK)
            if not data:
                break
            buf = carry + data
            cut = buf.rfind(b"\n") + 1
            if cut == 0:
                carry = buf
                continue
            block, carry = buf[:cut], buf[cut:]
            line = scan(block, line)
    scan(carry, line)
    return {e: np.asarray(found[e.encode()], dtype="int64") for e in elements}
