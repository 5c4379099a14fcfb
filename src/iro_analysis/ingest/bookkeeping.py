"""Bookkeeping columns the raw readers add to their text tables, and a parse-time helper."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

LINE = "_line"  # physical line number (1 = the header line) of a CSV record or XML element
MALFORMED = "_malformed"  # why a CSV line could not be read as a record ("" when it could)
RAW_TEXT = "_raw"  # the raw text of a malformed CSV line (for the quarantine value)
UNMATCHED_QUOTE = "an unmatched double quote on this line"  # a stray quote (MALFORMED)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are made.

    Parsing creates no reference cycles worth collecting; with the collector running, its
    repeated passes over the growing heap cost more than the parse itself.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
