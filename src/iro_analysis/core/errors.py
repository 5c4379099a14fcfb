"""Errors a user can act on. The CLI prints their message and exits non-zero, no traceback."""


class IroAnalysisError(Exception):
    """Base class: bad input, missing data, or a failed critical check."""


class InputError(IroAnalysisError):
    """A raw file or folder that is missing or breaks the data contract (names file, row, column)."""


class ValidationFailed(IroAnalysisError):
    """A critical expectation failed on the clean data."""


class BuildError(IroAnalysisError):
    """A build step failed: names the step and, for a notebook, the cell."""
