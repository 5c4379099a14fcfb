"""Errors a user can act on. The CLI prints their message and exits non-zero, no traceback.

A message is one line (`one_line`) and shows a value only as an excerpt (`excerpt`).
"""

import errno
import re
import reprlib


class IroAnalysisError(Exception):
    """Base class: bad input, missing data, or a failed critical check."""


class InputError(IroAnalysisError):
    """A raw file or folder that is missing or breaks the data contract (names file, row, column)."""


class ValidationFailed(IroAnalysisError):
    """A critical expectation failed on the clean data."""


class BuildError(IroAnalysisError):
    """A build step failed: names the step and, for a notebook, the cell."""


EXCERPT_CHARS = 40  # the most of a value from a file that a message shows
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def one_line(text: object) -> str:
    """`text` with its control characters (line breaks among them) escaped: a message
    stays on one line whatever a file or folder is called."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


def excerpt(value: object, limit: int = EXCERPT_CHARS, quote: bool = True) -> str:
    """A value a user (or an attacker) supplied as a message shows it: on one line and at
    most about `limit` characters. A text is quoted (unless not `quote`) and, when longer,
    cut and says how long it was; a list or mapping (a settings value) shows its first items
    two levels deep. An error message never prints a whole value (issue #29)."""
    if not isinstance(value, str):
        r = reprlib.Repr()
        r.maxstring = r.maxother = limit
        r.maxlist = r.maxtuple = r.maxdict = r.maxset = r.maxfrozenset = 4
        r.maxlevel = 2
        return one_line(r.repr(value))
    shown = repr(value[:limit]) if quote else one_line(value[:limit])  # repr escapes too
    return shown if len(value) <= limit else f"{shown}... ({len(value):,} characters)"


def excerpts(values, limit: int = 3, chars: int = 24) -> str:
    """The first `limit` values from a file, each through `excerpt` (at most about `chars`
    characters), then how many more there are."""
    values = list(values)
    shown = ", ".join(excerpt(v, chars) for v in values[:limit])
    rest = len(values) - limit
    return f"{shown} and {rest:,} more" if rest > 0 else shown


# What to do about an operating-system error, by errno: the CLI and the build say it in
# one line with the file (issue #29: a read-only reports folder was a 27-line traceback).
_OS_ADVICE = {
    errno.ENOSPC: ("no space left on the device", "free some space and run it again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space and run it again"),
    errno.EACCES: (
        "permission denied",
        "make the folder writable, or set another in the settings' paths",
    ),
    errno.EPERM: (
        "operation not permitted",
        "make the folder writable, or set another in the settings' paths",
    ),
    errno.EROFS: ("the file system is read-only", "set a writable folder in the settings' paths"),
    errno.ENOENT: ("no such file or folder", "check the path (and the settings' paths)"),
    errno.EISDIR: ("a folder where a file was expected", "check the path"),
    errno.ENOTDIR: ("a file where a folder was expected", "check the path"),
}
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def os_error_message(exc: OSError) -> str:
    """An OSError in one line: what went wrong, with which file, and what to do."""
    what, fix = _OS_ADVICE.get(
        exc.errno, (exc.strerror or type(exc).__name__, "check it and run it again")
    )
    where = f" ({excerpt(str(exc.filename), 200, quote=False)})" if exc.filename else ""
    return f"{what}{where}; {fix}"
