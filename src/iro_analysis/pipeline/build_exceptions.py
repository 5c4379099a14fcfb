"""The managers' exception lists a build makes (restricted), and making them beside the
report notebook (issue #31).

When a build runs only the report notebook (its clean data reused or prepared), the lists
are made in a thread of the build's process while the notebook's kernel works: the build
process otherwise only waits for the kernel, and the machine has a second core.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from iro_analysis.core.run import Run


def start_exceptions(run: Run, settings) -> Future:
    """`write_build_exceptions` for the Run's year into its restricted staging, in a thread;
    its result (or error) is the Future's."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"exceptions-{run.year}")
    out = run.restricted_staging_dir / "exceptions"
    future = pool.submit(write_build_exceptions, run.year, run.processed_dir, settings, out)
    pool.shutdown(wait=False)
    return future


def write_build_exceptions(year: int, processed_dir, settings, out: Path) -> int:
    """The managers' exception lists at 31 March (`iro_analysis.analysts.exceptions`), written into
    the build's restricted staging so they are published to `restricted/<YEAR>/` with the
    rest; returns how many lists the data supports."""
    from iro_analysis.analysts.exceptions import (
        as_at_context,
        check_as_at,
        exception_lists,
        write_exception_lists,
    )
    from iro_analysis.ingest.clean import load_processed

    ds = load_processed(year, processed_dir)
    ctx = as_at_context(ds, year, check_as_at(year), settings)
    lists = exception_lists(ctx)
    if lists:
        write_exception_lists(ctx, lists, out)
    return len(lists)


def build_owns_list(year: int):
    """Which files of `restricted/<YEAR>/exceptions/` a build replaces: the lists at 31 March
    it makes; lists taken at another date (`make exceptions AS_AT=...`) are kept."""
    from iro_analysis.analysts.exception_output import dated
    from iro_analysis.analysts.exceptions import check_as_at

    return functools.partial(dated, as_at=check_as_at(year))
