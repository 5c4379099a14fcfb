"""conda as a first-class route (issue #30): inside an active conda environment that is not
`base`, every make target uses that environment's python, no .venv is made, the install
stamp lives in the environment and `make setup` registers the `iro-analysis` kernel there.

conda cannot be installed here, so an active environment is simulated as `conda activate`
leaves one: CONDA_PREFIX naming a prefix with `bin/python` and `conda-meta/`,
CONDA_DEFAULT_ENV its name, CONDA_SHLVL=1 and its `bin` first on PATH. The unit tier runs the
real Makefile with a stand-in python in that prefix (it logs its calls and does what
`ipykernel install --sys-prefix` does); the slow test makes the prefix a real Python
environment (`python -m venv`, borrowing the installed packages through a .pth file) and
runs a real `make setup` in a copy of the project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.test_makefile import CONDA_VARS, STUB_CLI, _make, _write_exe, fresh_clone

ROOT = Path(__file__).resolve().parents[1]
__all__ = ["fresh_clone"]  # the fixture, used here

# A stand-in for a conda environment's python: logs its calls; `ipykernel install
# --sys-prefix --name N` writes the kernelspec where the real one does (sys.prefix is the
# environment's folder).
CONDA_PYTHON = r"""#!/usr/bin/env bash
set -e
prefix="$(cd "$(dirname "$0")/.." && pwd)"
echo "$*" >> "$prefix/python.log"
if [ "$1 $2 $3" = "-m ipykernel install" ]; then
  name=$(echo "$*" | sed -E 's/.*--name ([^ ]+).*/\1/')
  mkdir -p "$prefix/share/jupyter/kernels/$name"
  printf '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"]}\n' \
    "$prefix/bin/python" > "$prefix/share/jupyter/kernels/$name/kernel.json"
fi
"""


def conda_env(prefix: Path, name: str = "iro-analysis", base_env: dict | None = None) -> dict:
    """The environment variables `conda activate <name>` leaves for the prefix."""
    env = {
        k: v
        for k, v in (base_env or os.environ).items()
        if not k.startswith("MAKE") and k not in CONDA_VARS
    }
    env.update(
        CONDA_PREFIX=str(prefix),
        CONDA_DEFAULT_ENV=name,
        CONDA_SHLVL="1",
        CONDA_PROMPT_MODIFIER=f"({name}) ",
        PATH=f"{prefix / 'bin'}{os.pathsep}{os.environ['PATH']}",
    )
    return env


@pytest.fixture
def fake_conda(tmp_path: Path) -> Path:
    """A conda environment's prefix, activated by `conda_env`: bin/python (the stand-in),
    bin/iro-analysis (the stub CLI, as `pip install -e .` would leave it) and conda-meta/."""
    prefix = tmp_path / "miniforge" / "envs" / "iro-analysis"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "history").write_text("# cmd: conda env create -f environment.yml\n")
    _write_exe(prefix / "bin" / "python", CONDA_PYTHON)
    _write_exe(prefix / "bin" / "iro-analysis", STUB_CLI)
    return prefix


def _calls(prefix: Path) -> list[str]:
    log = prefix / "python.log"
    return log.read_text().splitlines() if log.is_file() else []


def test_make_report_in_an_active_conda_env_uses_it_and_makes_no_venv(fresh_clone, fake_conda):
    result = _make(fresh_clone, "report", "YEAR=2022", env=conda_env(fake_conda))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (fresh_clone / ".venv").exists()
    assert "Installing into the conda environment iro-analysis" in result.stdout
    assert _calls(fake_conda) == [
        "-m pip install --quiet -r requirements.lock",
        "-m pip install --quiet --no-deps -e .",
        "-m ipykernel install --sys-prefix --name iro-analysis --display-name Python 3 (iro-analysis)",
    ]
    spec = fake_conda / "share/jupyter/kernels/iro-analysis/kernel.json"
    assert json.loads(spec.read_text())["argv"][0] == str(fake_conda / "bin" / "python")
    assert (fake_conda / ".iro-analysis-installed").read_text().strip() == str(fresh_clone)
    assert (fresh_clone / "reports/2022/manifest.json").is_file()
    assert "report --year 2022" in (fresh_clone / "calls.log").read_text().splitlines()


def test_a_second_run_installs_nothing_again(fresh_clone, fake_conda):
    env = conda_env(fake_conda)
    assert _make(fresh_clone, "report", "YEAR=2022", env=env).returncode == 0
    again = _make(fresh_clone, "report", "YEAR=2022", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(_calls(fake_conda)) == 3  # the stamp in the environment is current
    calls = (fresh_clone / "calls.log").read_text().splitlines()
    assert calls.count("report --year 2022") == 1


def test_another_clone_sharing_the_env_installs_itself(fresh_clone, fake_conda, tmp_path):
    env = conda_env(fake_conda)
    assert _make(fresh_clone, "setup", env=env).returncode == 0
    other = tmp_path / "other"
    shutil.copytree(fresh_clone, other)
    result = _make(other, "setup", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _calls(fake_conda).count("-m pip install --quiet --no-deps -e .") == 2
    assert (fake_conda / ".iro-analysis-installed").read_text().strip() == str(other)
    assert "Nothing to be done" in _make(other, "setup", env=env).stdout


def test_make_setup_registers_a_kernel_gone_missing_and_nothing_else(fresh_clone, fake_conda):
    """What the build's refusal says to do (`make setup`) is enough: the kernel alone is
    registered again, the packages are not reinstalled."""
    env = conda_env(fake_conda)
    assert _make(fresh_clone, "setup", env=env).returncode == 0
    shutil.rmtree(fake_conda / "share/jupyter/kernels/iro-analysis")
    result = _make(fresh_clone, "setup", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (fake_conda / "share/jupyter/kernels/iro-analysis/kernel.json").is_file()
    calls = _calls(fake_conda)
    assert len(calls) == 4 and calls[-1].startswith("-m ipykernel install --sys-prefix")
    assert calls.count("-m pip install --quiet --no-deps -e .") == 1


def _targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return re.findall(r"^([a-zA-Z_-]+):.*?## ", text, flags=re.M)


# Targets with no python of the project's: help, and the throwaway venvs and folders.
NO_PROJECT_PYTHON = {"help", "clean", "lock"}


@pytest.mark.parametrize("route", ["conda", "venv"])
def test_every_target_uses_the_route_s_python(fresh_clone, fake_conda, route):
    """A dry run (make -n) of every target, after setup: in the conda route no recipe names
    .venv; in the .venv route none names the conda environment."""
    env = conda_env(fake_conda) if route == "conda" else None
    for name in ("package.json", "package-lock.json"):  # `check` needs axe-core's rule
        shutil.copy(ROOT / name, fresh_clone / name)
    assert _make(fresh_clone, "setup", env=env).returncode == 0
    expected = f"{fake_conda}/bin/" if route == "conda" else ".venv/bin/"
    unexpected = ".venv/" if route == "conda" else str(fake_conda)
    for target in _targets():
        if target in NO_PROJECT_PYTHON:
            continue
        result = _make(fresh_clone, "-n", target, "YEAR=2022", env=env)
        out = result.stdout + result.stderr
        assert unexpected not in out, (target, out)
        if target != "setup":
            assert expected in out, (target, out)
    assert (fresh_clone / ".venv").exists() == (route == "venv")


def test_help_says_which_python_make_uses(fresh_clone, fake_conda):
    conda = _make(fresh_clone, "help", env=conda_env(fake_conda))
    assert f"Python: conda environment iro-analysis ({fake_conda})" in conda.stdout
    assert "Python: .venv\n" in _make(fresh_clone, "help").stdout


def test_the_base_env_is_not_used_unless_asked(fresh_clone, fake_conda):
    base = conda_env(fake_conda, name="base")
    dry = _make(fresh_clone, "-n", "setup", env=base)
    assert "-m venv .venv" in dry.stdout
    assert "USE_CONDA=yes uses it" in _make(fresh_clone, "help", env=base).stdout
    asked = _make(fresh_clone, "-n", "setup", "USE_CONDA=yes", env=base)
    assert f"{fake_conda}/bin/python -m pip install" in asked.stdout
    assert "-m venv" not in asked.stdout


def test_use_conda_no_keeps_venv_inside_an_active_env(fresh_clone, fake_conda):
    result = _make(fresh_clone, "setup", "USE_CONDA=no", env=conda_env(fake_conda))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (fresh_clone / ".venv/.installed").is_file()
    assert _calls(fake_conda) == []
    assert not (fake_conda / ".iro-analysis-installed").exists()


def test_use_conda_yes_without_an_active_env_is_one_line(fresh_clone):
    result = _make(fresh_clone, "setup", "USE_CONDA=yes")
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "USE_CONDA=yes needs an active conda environment" in result.stderr


def test_an_env_without_python_is_refused_in_one_line(fresh_clone, fake_conda):
    (fake_conda / "bin" / "python").unlink()
    result = _make(fresh_clone, "setup", env=conda_env(fake_conda))
    assert result.returncode != 0
    first = result.stderr.splitlines()[0]
    assert "has no python: conda install python=3.11 pip, or USE_CONDA=no for .venv" in first
    assert not (fresh_clone / ".venv").exists()


# --------------------------------------------------------------------------------------
# A real `make setup` in a simulated conda environment.
# --------------------------------------------------------------------------------------

COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", ".hypothesis", ".*_cache", "__pycache__", "*.egg-info"
)


def _project_copy(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    for folder in ("data", "reports", "restricted"):
        shutil.rmtree(dest / folder, ignore_errors=True)
    return dest


def _real_env(prefix: Path) -> Path:
    """A Python environment at `prefix` laid out as conda's (bin/python, lib/python3.X/
    site-packages, conda-meta/; sys.prefix is the prefix), which sees the packages this test
    runs with through a .pth file instead of downloading them: pip finds requirements.lock
    already satisfied, as in an environment made from environment.yml."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    (prefix / "conda-meta").mkdir()
    site = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return prefix


@pytest.mark.slow
def test_real_make_setup_in_a_simulated_conda_env(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = _project_copy(tmp_path / "project")
    prefix = _real_env(tmp_path / "miniforge" / "envs" / "iro-analysis")
    env = conda_env(prefix)
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "user-jupyter")  # no user-level kernels
    env.pop("JUPYTER_PATH", None)
    env.pop("PYTHONPATH", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    python = str(prefix / "bin" / "python")

    # Before setup, as after `conda env create -f environment.yml`: no kernel, one line.
    before = subprocess.run(
        [python, "-m", "iro_analysis", "report", "--year", "2022"],
        cwd=project,
        env={**env, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "no Jupyter kernel" not in before.stderr:
        pytest.skip(f"an iro-analysis kernel outside the environment is visible: {before.stderr}")
    assert before.returncode == 1 and before.stderr.count("\n") == 1, before.stderr
    assert "make setup" in before.stderr

    setup = subprocess.run(
        ["make", "--no-print-directory", "setup"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert not (project / ".venv").exists()
    assert (prefix / ".iro-analysis-installed").read_text().strip() == str(project)
    spec = prefix / "share" / "jupyter" / "kernels" / "iro-analysis" / "kernel.json"
    assert json.loads(spec.read_text())["argv"][0] == python

    # The environment's python now imports this copy and finds its kernel; make uses it.
    probe = subprocess.run(
        [
            python,
            "-c",
            "import sys, iro_analysis; from iro_analysis.pipeline.notebooks import "
            "require_kernel; require_kernel(); print(sys.prefix); print(iro_analysis.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == [str(prefix), str(project / "src/iro_analysis/__init__.py")]
    years = subprocess.run(
        ["make", "--no-print-directory", "years"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "No years with raw data" in years.stdout, years.stdout + years.stderr
    assert not (project / ".venv").exists()


def test_environment_yml_installs_the_lock_and_says_to_run_make_setup():
    import yaml

    text = (ROOT / "environment.yml").read_text()
    spec = yaml.safe_load(text)
    assert spec["name"] == "iro-analysis"  # the name `conda activate` and the tests use
    assert "python=3.11" in spec["dependencies"]
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    assert pip == ["-r requirements.lock", "-e ."]
    assert "make setup" in text  # conda cannot register the kernel: the file says how
    readme = (ROOT / "README.md").read_text()
    assert "conda env create -f environment.yml" in readme and "USE_CONDA=no" in readme
