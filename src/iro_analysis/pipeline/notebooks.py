"""Executing the notebooks with papermill (the project kernel), reproducibly."""

from __future__ import annotations

from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.core.errors import BuildError

REPORT_NOTEBOOK = "03_annual_report.ipynb"
TRENDS_NOTEBOOK = "04_trends.ipynb"
CLEAN_NOTEBOOK = "01_clean.ipynb"
VALIDATE_NOTEBOOK = "02_validate.ipynb"
# The project's own kernel: `make setup` registers it in .venv, or in the active conda
# environment (`ipykernel install --sys-prefix`), for that environment's python.
KERNEL = "iro-analysis"


def kernel_setup_hint(name: str | None = None) -> str:
    """How to register the project kernel (or `name`) for the running interpreter."""
    import sys

    return (
        f"run `make setup`, or `{sys.executable} -m ipykernel install --sys-prefix "
        f"--name {name or KERNEL}`"
    )


def require_kernel(name: str | None = None) -> None:
    """Refuse, in one line, a build whose notebooks have no kernel to run on.

    The kernel is never registered here: `--sys-prefix` of a system or shared Python, or
    the user's Jupyter folder (which every environment reads), is no safe place to write
    from a build; `make setup` registers it in the project's own environment. A kernelspec
    whose python no longer exists (its environment was removed) is refused the same way.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = name or KERNEL
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise BuildError(
            f"no Jupyter kernel named '{name}' for this Python, so the notebooks cannot run: "
            + kernel_setup_hint(name)
        ) from None
    program = spec.argv[0] if spec.argv else ""
    if Path(program).is_absolute() and not Path(program).exists():
        raise BuildError(
            f"the Jupyter kernel '{name}' ({spec.resource_dir}) runs {program}, which no longer "
            f"exists: register it again: " + kernel_setup_hint(name)
        )


# jsonschema, which nbformat, papermill and nbconvert import, imports this optional package
# when it is installed (a dependency of jupyter-events) for its "iri" string formats; its
# import compiles 38 lark grammars, 1.3 s to 3 s of every build process (issue #31). No
# notebook schema uses a string format, so the build does without it.
IRI_FORMATS_MODULE = "rfc3987_syntax"


def skip_iri_formats() -> None:
    """Let jsonschema, when this process has not imported it yet, import without its
    "iri" formats (`IRI_FORMATS_MODULE` then fails to import, which jsonschema allows):
    the notebook schemas nbformat validates against name no format, so nothing a build
    checks or writes changes."""
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault(IRI_FORMATS_MODULE, None)


def _kernel_manager_class():
    """A kernel manager that encrypts kernel traffic (CurveZMQ) when pyzmq supports it.

    ipykernel >= 7.3 warns on every start when the local TCP channels are unencrypted.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    if not zmq.has("curve"):
        return AsyncKernelManager

    class CurveKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _default_transport_encryption(self) -> str:
            return "auto"

    return CurveKernelManager


def run_notebook(
    step: str,
    notebook: str,
    output: Path,
    parameters: dict[str, object],
    cwd: Path | None = None,
) -> None:
    """Execute one notebook with papermill (the project kernel, working folder `cwd`,
    default notebooks/); a failure names the step and cell.

    A `run_path` given as a Path (the build's Run file) is passed as its bare name, the
    kernel running in its folder, so the executed notebook holds no build-specific path.
    """
    skip_iri_formats()
    require_kernel()
    import papermill as pm

    run_path = parameters.get("run_path")
    if isinstance(run_path, Path):
        parameters, cwd = {**parameters, "run_path": run_path.name}, run_path.parent
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in parameters.items()}
    try:
        pm.execute_notebook(
            str(paths.NOTEBOOKS_DIR / notebook),
            str(output),
            parameters=params,
            kernel_name=KERNEL,
            cwd=str(cwd or paths.NOTEBOOKS_DIR),
            progress_bar=False,
            log_output=False,
            report_mode=True,
            kernel_manager_class=_kernel_manager_class(),
        )
    except pm.PapermillExecutionError as exc:
        raise BuildError(
            f"step '{step}' failed in cell {exc.cell_index} (execution {exc.exec_count}) of {notebook}: "
            f"{exc.ename}: {exc.evalue}"
        ) from None
    finally:
        if output.is_file():
            strip_volatile_metadata(output)


def strip_volatile_metadata(path: Path) -> None:
    """Remove papermill's timings and other run-dependent metadata so notebooks are reproducible."""
    skip_iri_formats()
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id
    nbformat.write(nb, str(path))


def drop_stderr(nb):
    """A copy of the notebook without stderr streams (warnings belong in logs, not the report)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.output_type == "stream" and o.get("name") == "stderr")
            ]
    return nb


def warnings_in(notebook: Path, category: str) -> list[str]:
    """The messages of the `category` warnings (e.g. "NarrativeWarning") an executed
    notebook printed to stderr, in order, without the file and line prefix."""
    skip_iri_formats()
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                for line in out.get("text", "").splitlines():
                    _, sep, message = line.partition(f"{category}: ")
                    if sep:
                        found.append(message.strip())
    return found
