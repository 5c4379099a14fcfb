"""Raw CSV reader: detected encoding, physical line numbers, malformed lines kept.

The readers only turn bytes into text tables; they never drop a line that holds data.
Every value is returned as the raw text (stripping, typing and rules belong to
`iro_analysis.ingest.clean`). A file that cannot be read at all (binary, empty, wrong columns,
a header no return has, truncated XML) raises `InputError` naming the file and, where
known, the line and column, in one short line: a file's own values appear in it only as
short excerpts. Reading takes time linear in the file's size, however wide its lines.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.contract.raw_files import RawCsv
from iro_analysis.core.errors import InputError, excerpt, excerpts
from iro_analysis.core.text import detect_encoding, mixed_encoding_line
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED, RAW_TEXT, UNMATCHED_QUOTE


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a raw CSV's bytes, returning (text, encoding).

    InputError for binary content and for a file mixing UTF-8 with another encoding.
    """
    encoding = detect_encoding(data)
    if encoding.startswith("utf-16"):
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: looks like UTF-16 but does not decode: {exc}") from None
    if b"\x00" in data[:65536]:
        raise InputError(f"{path}: not a text CSV file (it contains binary NUL bytes)")
    if encoding == "cp1252":
        line = mixed_encoding_line(data)
        if line is not None:
            raise InputError(
                f"{path}, line {line}: this line is not UTF-8 but other lines are (mixed "
                "encodings, e.g. a line pasted from a Windows program); re-save the file "
                "as UTF-8"
            )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding = "latin-1"  # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined
        text = data.decode(encoding)
    control = set(text[:65536]) & {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}
    if control:
        raise InputError(
            f"{path}: not a text CSV file (it contains control characters "
            f"{', '.join(repr(c) for c in sorted(control))})"
        )
    return text, encoding


@dataclass(frozen=True)
class RawTable:
    """A raw CSV read as text: one row per non-blank data line, values unstripped.

    `frame` holds every column of the table (a column the file leaves out is blank), LINE,
    MALFORMED and RAW_TEXT. `unknown` names the file's columns the table does not have
    (ignored); `absent` the optional columns the file left out.
    """

    path: Path
    encoding: str
    frame: pd.DataFrame
    unknown: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


HEAD_BYTES = 1 << 16
# The most columns a header may have. DfE's widest table has 13; a council's export may add
# its own, but a header wider than this is no return (a file whose line breaks were lost
# reads as one huge header line): it is refused, not read as thousands of ignored columns.
MAX_COLUMNS = 1000


def _first_line(text: str) -> tuple[int, int, int]:
    """(start, end, physical index) of the first non-blank line of `text`; start -1 if none."""
    start, first = 0, 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip():
            return start, end, first
        start, first = end + 1, first + 1
    return -1, -1, first


def read_csv_header(path: Path) -> list[str]:
    """The column names on a raw CSV's first non-blank line, as written (stripped).

    Reads only the first `HEAD_BYTES` of the file. InputError if the file is empty, binary,
    has no header line, or its header does not end there (no return's header is that long).
    """
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES + 1)
    whole = len(head) <= HEAD_BYTES
    head = head[:HEAD_BYTES]
    if whole and not head.strip():
        raise InputError(f"{path}: the file is empty (expected a header line of column names)")
    if detect_encoding(head).startswith("utf-16"):
        text = head[: len(head) // 2 * 2].decode(detect_encoding(head), errors="ignore")
    else:
        cut = len(head) if whole else head.rfind(b"\n") + 1  # never half a character
        text, _ = decode_text(head[:cut], path)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    start, end, _ = _first_line(text)
    if not whole and (start < 0 or end >= len(text)):
        raise InputError(
            f"{path}, line 1 (header): no complete header line in the first "
            f"{HEAD_BYTES // 1024} KB; a header is one short line of column names (are the "
            "file's line breaks missing?)"
        )
    if start < 0:
        raise InputError(f"{path}: the file is empty (expected a header line of column names)")
    return header_names(text[start:end], path)


def header_names(header_line: str, path: Path) -> list[str]:
    """The column names of a header line, stripped. InputError for a line that is not
    comma-separated and for more than `MAX_COLUMNS` columns (said as a count and the
    line's first characters, never the names)."""
    check_delimiter(header_line, path)
    names = [c.strip() for c in next(csv.reader([header_line]), [])]
    if len(names) > MAX_COLUMNS:
        raise InputError(
            f"{path}, line 1 (header): {len(names):,} columns, more than the {MAX_COLUMNS:,} a "
            f"return may have (it starts {excerpt(header_line)}); is this the right file, "
            "and are its line breaks intact?"
        )
    return names


DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def check_delimiter(header_line: str, path: Path) -> None:
    """A header with no comma but another separator: the file is not comma-separated."""
    if "," in header_line:
        return
    for sep, name in DELIMITERS.items():
        if header_line.count(sep) >= 1:
            raise InputError(
                f"{path}, line 1: the columns are separated by {name} ({sep!r}), not commas; "
                "export the file as comma-separated CSV"
            )


def _header_columns(
    header_line: str, spec: RawCsv, path: Path, required: tuple[str, ...]
) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """Map the file's column names to the contract's spelling (case-insensitive).

    Returns (mapped names, unknown names, absent columns). Unknown columns are ignored and
    absent columns not in `required` are read as blank; a missing required column or a
    repeated column raises InputError naming the file, line 1 and the columns (with a
    missing one, the unexpected columns too, which may hold it under another name). Names
    from the file are a count and a few short excerpts (`core.errors.excerpts`). Linear in
    the header's length, however wide.
    """
    names = header_names(header_line, path)
    by_lower = {c.lower(): c for c in spec.columns}
    known = frozenset(spec.columns)
    mapped = [by_lower.get(n.lower(), n) for n in names]
    counts = Counter(mapped)
    missing = [c for c in required if c not in counts]
    unknown = tuple(n for n, m in zip(names, mapped, strict=True) if m not in known)
    repeated = sorted(m for m, n in counts.items() if n > 1)
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if repeated:  # a repeated unknown name comes from the file: shown in excerpts
        problems.append("repeated column(s) " + excerpts(repeated))
    if problems:
        if missing and unknown:  # perhaps a missing column under another name
            problems.append(f"{len(unknown):,} unexpected column(s) " + excerpts(unknown))
        raise InputError(
            f"{path}, line 1 (header): {'; '.join(problems)}. Required: {', '.join(required)}"
        )
    absent = tuple(c for c in spec.columns if c not in counts)
    # unknown columns get private names so that two of them can never collide
    mapped = [m if m in known else f"_unknown{i}" for i, m in enumerate(mapped)]
    return mapped, unknown, absent


def _split_simple(body: list[str] | str, body_start: int, ncols: int) -> pd.DataFrame:
    """Split unquoted CSV lines on commas with pyarrow (vectorised, C++).

    `body` is the text after the header line. Blank lines are skipped but counted, so
    LINE is each record's physical line. Lines with the wrong number of fields keep blank
    values and say so in MALFORMED.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = body if isinstance(body, str) else "\n".join(body)
    lines = pc.list_flatten(pc.split_pattern(pa.array([text], pa.large_string()), "\n"))
    lines = pc.utf8_rtrim(lines, "\r")
    blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0).to_numpy(
        zero_copy_only=False
    )
    keep = np.flatnonzero(~blank)
    lines = lines.take(pa.array(keep))
    nfields = pc.add(pc.count_substring(lines, ","), 1).to_numpy(zero_copy_only=False)
    bad = nfields != ncols
    filler = pa.scalar("," * (ncols - 1), pa.large_string())
    fixed = pc.if_else(pa.array(~bad), lines, filler)
    flat = pc.list_flatten(pc.split_pattern(fixed, ","))
    n = len(lines)
    out = {j: flat.take(pa.array(np.arange(j, n * ncols, ncols))) for j in range(ncols)}
    frame = pd.DataFrame(
        {j: pd.Series(col.cast(pa.string()).to_pandas(), dtype="str") for j, col in out.items()}
    )
    if not n:
        frame = pd.DataFrame({j: pd.Series(dtype="str") for j in range(ncols)})
    malformed = np.where(
        bad, np.char.add(f"expected {ncols} fields, found ", nfields.astype(str)), ""
    )
    frame[MALFORMED] = pd.Series(malformed, dtype="str")
    frame[RAW_TEXT] = (
        pd.Series(lines.cast(pa.string()).to_pandas(), dtype="str").where(pd.Series(bad), "")
        if n
        else pd.Series(dtype="str")
    )
    frame[LINE] = (keep + body_start).astype("int64")
    return frame


def _split_quoted(
    text_lines: list[str],
    first_line: int,
    ncols: int,
    multiline: bool | frozenset[int] = False,
) -> pd.DataFrame:
    """Parse quoted CSV with the csv module, keeping each record's first physical line.

    A record may not span lines unless `multiline` allows it: one that does comes from a
    stray quote, which would swallow the lines up to the next quote into one record. Each
    line of such a span is parsed on its own instead, so the line with the stray quote is
    marked malformed and every other line still reads: one record per non-blank physical
    line. A table with free text passes the positions of its free-text columns as
    `multiline`: a record over several lines is then one record when it has every field and
    its line breaks are all inside those columns (a quoted multi-line quote), and is split
    line by line otherwise (a stray quote). `True` accepts any record over several lines.
    """
    reader = csv.reader(io.StringIO("\n".join(text_lines) + "\n"))
    rows: list[list[str]] = []
    starts: list[int] = []
    raws: list[str] = []
    malformed: list[str] = []

    def add(rec: list[str], line: int, why: str = "") -> None:
        if not rec or all(not f.strip() for f in rec) and len(rec) <= 1:
            return  # a blank line holds no record
        starts.append(first_line + line - 1)
        if not why and len(rec) != ncols:
            why = f"expected {ncols} fields, found {len(rec)}"
        malformed.append(why)
        rows.append([""] * ncols if why else rec)
        raws.append(",".join(rec))

    prev_end = 0
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # a stray quote may swallow megabytes before we split it
    try:
        for rec in reader:
            start, end = prev_end + 1, reader.line_num
            prev_end = end
            if end == start or multiline is True or _spans_free_text(rec, ncols, multiline):
                add(rec, start)
                continue
            for k in range(start, end + 1):  # a record over several lines: line by line
                line = text_lines[k - 1] if k - 1 < len(text_lines) else ""
                one = next(csv.reader([line]), [])
                odd = line.count('"') % 2 == 1
                add(one, k, UNMATCHED_QUOTE if odd else "")
    except csv.Error as exc:
        raise InputError(f"line {first_line + prev_end}: {exc}") from None
    finally:
        csv.field_size_limit(limit)
    out = pd.DataFrame(rows, columns=range(ncols), dtype="str")
    out[MALFORMED] = pd.Series(malformed, dtype="str")
    out[RAW_TEXT] = pd.Series(raws, dtype="str")
    out[LINE] = pd.Series(starts, dtype="int64")
    return out


def _spans_free_text(rec: list[str], ncols: int, free: bool | frozenset[int]) -> bool:
    """Whether a record over several lines is whole: every field there, and its line
    breaks only inside the free-text columns at positions `free`."""
    if not free or len(rec) != ncols:
        return False
    return all(i in free for i, f in enumerate(rec) if "\n" in f)


def read_raw_csv(path: Path, spec: RawCsv, required: tuple[str, ...] | None = None) -> RawTable:
    """Read one raw CSV of the contract as text, one row per non-blank data line.

    Keeps the physical line number of each record (LINE; the header is line 1) so that
    quarantine entries point at the line an analyst can open. Lines with the wrong number
    of fields and repeated header lines are kept and marked in MALFORMED, never dropped.
    `required` names the columns the file must have (default: all of `spec.columns`);
    other columns of the table it leaves out are blank, columns it has that the table does
    not are ignored (both listed on the result). Raises InputError for an empty, binary or
    wrongly-columned file.
    """
    required = spec.columns if required is None else required
    data = path.read_bytes()
    text, encoding = decode_text(data, path)
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    start, end, first = _first_line(text)
    if start < 0:
        raise InputError(
            f"{path}: the file is empty (expected a header line: {', '.join(required)})"
        )
    columns, unknown, absent = _header_columns(text[start:end], spec, path, required)
    ncols = len(columns)
    body = text[end + 1 :]
    body_start = first + 2  # physical line number of the first body line
    if '"' in body:
        body_lines = body.split("\n")
        try:
            free = frozenset(i for i, c in enumerate(columns) if c in spec.free_text)
            frame = _split_quoted(body_lines, body_start, ncols, free)
        except InputError as exc:
            raise InputError(f"{path}, {exc}") from None
        if not spec.free_text:  # physical accounting: one record per non-blank line
            lines = sum(1 for line in body_lines if line.strip())
            if len(frame) != lines:
                raise AssertionError(f"{path}: {len(frame)} records from {lines} lines")
    else:  # one record per non-blank line by construction
        frame = _split_simple(body, body_start, ncols)
    frame = frame.rename(columns=dict(enumerate(columns)))
    # a repeated header line inside the data
    is_header = pd.Series(True, index=frame.index)
    for c in columns:
        if c in spec.columns:
            is_header &= frame[c].str.strip().str.lower() == c.lower()
    frame[MALFORMED] = frame[MALFORMED].where(~is_header, "repeated header line")
    for c in absent:
        frame[c] = pd.Series("", index=frame.index, dtype="str")
    frame = frame[[*spec.columns, LINE, MALFORMED, RAW_TEXT]]
    return RawTable(path=path, encoding=encoding, frame=frame, unknown=unknown, absent=absent)


__all__ = [
    "RawTable",
    "check_delimiter",
    "decode_text",
    "read_csv_header",
    "read_raw_csv",
]
