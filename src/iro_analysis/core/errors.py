"""Errors a user can act on. The CLI prints their message and exits non-zero, no traceback."""

import errno
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
    where = f" ({excerpt(str(exc.filename), 200)[1:-1]})" if exc.filename else ""
    return f"{what}{where}; {fix}"


def one_line(message: str) -> str:
    """A message on one line: its lines joined with "; " (a CLI error is one line)."""
    return "; ".join(part.strip() for part in message.splitlines() if part.strip())
