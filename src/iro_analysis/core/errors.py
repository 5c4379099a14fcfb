"""Errors a user can act on. The CLI prints their message and exits non-zero, no traceback."""

import reprlib


class IroAnalysisError(Exception):
    """Base class: bad input, missing data, or a failed critical check."""


class InputError(IroAnalysisError):
    """A raw file or folder that is missing or breaks the data contract (names file, row, column)."""


class ValidationFailed(IroAnalysisError):
    """A critical expectation failed on the clean data."""


class BuildError(IroAnalysisError):
    """A build step failed: names the step and, for a notebook, the cell."""


def excerpt(value: object, limit: int = 60) -> str:
    """`repr(value)` cut to a short excerpt for a message: a long text keeps its start and
    end, a long list or mapping its first items, a nested one two levels. An error message
    never prints a whole value a user (or an attacker) supplied (issue #29)."""
    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = r.maxfrozenset = 4
    r.maxlevel = 2
    return r.repr(value)
