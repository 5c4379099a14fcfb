"""Notebook parameters, checked at the door.

papermill only warns about a misspelt `-p` parameter and then runs with the default; every
notebook's first code cell after its parameters calls `check_parameters` (through
`load_run` for the build's notebooks) so that a misspelt or unknown parameter is an error
naming it. The build passes its notebooks one parameter, `run_path`; run by hand they take
a year and folders instead (`NOTEBOOK_PARAMETERS`). The explore notebook takes a year and
folders, filled from the settings file when left None (`_defaults`).
"""

from __future__ import annotations

from pathlib import Path

from iro_analysis.core.years import check_year

# The parameters cell of the build's notebooks (tagged "parameters"): the path of the Run
# the build wrote (`iro_analysis.core.run`), or, for a run by hand (papermill `-p year 2022`,
# or JupyterLab), a year and folders, each None by default (`Run.for_analyst`).
RUN_PARAMETERS = ("run_path",)
HAND_PARAMETERS = (
    "year",
    "raw_dir",
    "processed_dir",
    "reports_dir",
    "restricted_dir",
    "settings_path",
)
NOTEBOOK_PARAMETERS = RUN_PARAMETERS + HAND_PARAMETERS
CLEAN_PARAMETERS = VALIDATE_PARAMETERS = REPORT_PARAMETERS = TRENDS_PARAMETERS = NOTEBOOK_PARAMETERS

# Values papermill can inject from the command line; names bound to anything else (modules,
# functions, DataFrames, results an analyst computed) are not parameters.
_PARAMETER_TYPES = (str, int, float, bool, type(None))
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def check_parameters(namespace: dict[str, object], allowed: tuple[str, ...]) -> dict[str, object]:
    """Return the notebook's parameters from its namespace (`dict(globals())`), checked.

    Any other name bound to a parameter-like value (str, number, bool, None) is taken as a
    misspelt or unknown parameter and raises ValueError naming it. `year` must be a
    four-digit year (None: the latest with raw data); the other parameters are folders or
    files (Path), with defaults from the settings file (`_defaults`).
    """
    params = _checked(namespace, allowed)
    return _defaults(params) if "year" in allowed else params


def _checked(namespace: dict[str, object], allowed: tuple[str, ...]) -> dict[str, object]:
    """The `allowed` parameters from the namespace, folders as Path, the year unchecked;
    ValueError naming any other parameter-like name."""
    unknown = sorted(
        k
        for k, v in namespace.items()
        if not k.startswith("_")
        and k not in _KERNEL_NAMES
        and k not in allowed
        and isinstance(v, _PARAMETER_TYPES)
    )
    if unknown:
        raise ValueError(
            f"unknown notebook parameter(s): {', '.join(unknown)}; the parameters are: {', '.join(allowed)}"
        )
    params = {k: namespace.get(k) for k in allowed}
    for k in allowed:
        if k != "year" and params[k] is not None:
            params[k] = Path(str(params[k]))
    return params


def load_run(namespace: dict[str, object]):
    """The notebook's Run (`iro_analysis.core.run.Run`), its parameters checked first: the
    one the build wrote at `run_path`; otherwise (run by hand, `run_path = None`)
    `Run.for_analyst(year, ...)` with the folders given (None: from the settings file), the
    latest year when `year` is None, and what it writes in the scratch folders. `run_path`
    with any of the others is a ValueError naming them."""
    from iro_analysis.core.run import Run

    params = _checked(namespace, NOTEBOOK_PARAMETERS)
    run_path = params.pop("run_path")
    given = [k for k, v in params.items() if v is not None]
    if run_path is not None and given:
        raise ValueError(
            f"notebook parameters run_path and {', '.join(given)} given together: run_path is "
            "the build's Run, which fixes the year and folders; give one or the other"
        )
    if run_path is not None:
        return Run.load(run_path)
    return Run.for_analyst(**params)


def _defaults(params: dict[str, object]) -> dict[str, object]:
    """Fill what a notebook run by hand leaves as None: folders from the settings file (the
    one source for folders), the latest year with raw data, and a scratch area for what
    it writes, so that only the build ever writes into a published `reports/<YEAR>/`."""
    from iro_analysis.core import paths
    from iro_analysis.core.settings import load_settings

    s = load_settings(params.get("settings_path"))
    if params.get("raw_dir") is None:
        params["raw_dir"] = s.paths.raw
    if "processed_dir" in params and params["processed_dir"] is None:
        params["processed_dir"] = s.paths.processed
    if params.get("year") is None:
        years = paths.available_years(params["raw_dir"])
        if not years:
            raise ValueError(f"no year folders in {params['raw_dir']}: set `year`")
        params["year"] = years[-1]
    params["year"] = check_year(params["year"])
    scratch = paths.scratch_dir(s.paths.reports)
    if "reports_dir" in params and params["reports_dir"] is None:
        params["reports_dir"] = scratch
    if "output_dir" in params and params["output_dir"] is None:
        params["output_dir"] = scratch / str(params["year"])
    if "restricted_dir" in params and params["restricted_dir"] is None:
        params["restricted_dir"] = s.paths.restricted / paths.SCRATCH / str(params["year"])
    return params
