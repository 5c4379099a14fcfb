"""The root element of an XML return, read without parsing the rest: how the SSDA903 and
CIN census readers (and file discovery) recognise a file and refuse one that is not XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from iro_analysis.core.errors import InputError

CHUNK = 1 << 20


def local_name(tag: str) -> str:
    """An element's name without its namespace ("{urn:x}Child" -> "Child")."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def parse_error(path: Path, exc: ET.ParseError) -> InputError:
    """The error for XML that does not parse, naming the file, line and column."""
    line, col = exc.position
    return InputError(
        f"{path}, line {line}, column {col}: not well-formed XML (truncated or corrupt): {exc}"
    )


def root_element(path: Path, expected: str) -> tuple[str, str]:
    """(local name, namespace) of the file's root element. InputError, saying what was
    `expected`, for an empty (or whitespace-only) file or a start that is not XML."""
    with path.open("rb") as fh:
        while data := fh.read(CHUNK):
            if data.strip():
                break
        else:
            raise InputError(f"{path}: the file is empty (expected {expected})")
    try:
        with path.open("rb") as fh:
            for _, el in ET.iterparse(fh, events=("start",)):
                ns = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""
                return local_name(el.tag), ns
    except ET.ParseError as exc:
        raise parse_error(path, exc) from None
    raise InputError(f"{path}: no XML element found (expected {expected})")  # pragma: no cover
