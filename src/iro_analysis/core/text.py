"""Text files as the project reads them: one rule for encodings, NUL bytes and size.

Raw CSVs (`ingest.read.decode_text`) and the analysts' narrative (`read_text_file`) are
decoded the same way, so a narrative saved from Word or Excel on Windows (cp1252: £, smart
quotes) reads as it does in a CSV rather than stopping the build with a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

from iro_analysis.core.errors import InputError

# Encodings: a byte-order mark wins (UTF-8 or UTF-16); otherwise strict UTF-8; otherwise
# cp1252 (what Excel on Windows writes), whose five undefined bytes fall back to latin-1. A
# file that is UTF-8 in places and not in others (one line pasted from elsewhere) is mixed:
# no single decoding is right, so it is refused naming its first bad line.
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A UTF-8 multi-byte character: a lead byte and its continuation bytes.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def detect_encoding(data: bytes) -> str:
    """The encoding of a text file (a raw CSV, a narrative): "utf-8-sig", "utf-16", "utf-8" or "cp1252".

    UTF-16 without a byte-order mark is recognised by its NUL bytes in every other place.
    """
    if data.startswith(UTF8_BOM):
        return "utf-8-sig"
    if data.startswith(UTF16_BOMS):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and not head[::2].count(0):
        return "utf-16-le"
    if len(head) >= 4 and head[::2].count(0) > len(head) // 4 and not head[1::2].count(0):
        return "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def mixed_encoding_line(data: bytes) -> int | None:
    """The first line that is not UTF-8 in a file that is UTF-8 elsewhere, else None."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        bad = exc.start
    if not _UTF8_MULTIBYTE.search(data):
        return None  # no UTF-8 anywhere: a cp1252 file
    return data.count(b"\n", 0, bad) + 1


def read_text_file(path: Path, *, max_bytes: int, what: str, fix: str) -> str:
    """The text of `path` (a narrative, a settings-like file), decoded as raw CSVs are
    (`detect_encoding`). InputError in one line naming the file, what is wrong and what to
    do (`fix`) for a file over `max_bytes`, one with a NUL byte (naming its line), one
    mixing UTF-8 with another encoding, or one that does not decode."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{path}: {size:,} bytes is too large for {what} (at most {max_bytes:,}); {fix}"
        )
    data = path.read_bytes()
    encoding = detect_encoding(data)
    if not encoding.startswith("utf-16") and b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(
            f"{path}, line {line}: a NUL byte (binary data) in {what}; remove it, or save the "
            "file again as plain text (UTF-8)"
        )
    if encoding == "cp1252" and (line := mixed_encoding_line(data)) is not None:
        raise InputError(
            f"{path}, line {line}: this line is not UTF-8 but other lines are (mixed "
            "encodings); save the file again as UTF-8"
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "cp1252":
            raise InputError(
                f"{path}: not {encoding} text ({exc.reason}); save it as UTF-8"
            ) from None
        text = data.decode("latin-1")  # cp1252 leaves five bytes undefined
    if "\x00" in text:
        raise InputError(f"{path}: a NUL character in {what}; remove it")
    return text.removeprefix("\ufeff")


# A narrative is the report's prose (the demo's is 5 KB); 20 MB of it is a mistake, never
# published without a word (issue #29).
MAX_NARRATIVE_BYTES = 250_000


def read_narrative(path: Path) -> str:
    """An analysts' narrative (`reports/narrative/<YEAR>.md`): UTF-8 or, as raw CSVs,
    cp1252 (Word or Excel on Windows), at most `MAX_NARRATIVE_BYTES`, no NUL byte;
    InputError in one line naming the file otherwise."""
    return read_text_file(
        path,
        max_bytes=MAX_NARRATIVE_BYTES,
        what="a narrative",
        fix="a year's narrative is the report's prose, a few pages (the demo's is 5 KB)",
    )
