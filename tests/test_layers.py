"""The floor plan (issue #28): the import-linter contracts in pyproject.toml, which `make
lint` runs, hold for the package; they catch an upward import; and docs/architecture.md
lists the layers in the contract's order."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from iro_analysis.core import paths

PYPROJECT = paths.PROJECT_ROOT / "pyproject.toml"


def _config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]


def _lint(src_root, config) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(src_root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports;"
            f" sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True, no_logo=True))",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_package_keeps_its_contracts():
    done = _lint(paths.PACKAGE_DIR.parent, PYPROJECT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "broken" not in done.stdout.split("Contracts:")[-1].split("\n")[0].replace(
        "0 broken", ""
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("core/upward.py", "import iro_analysis.report.sections\n"),  # the ground floor
        ("ingest/upward.py", "from iro_analysis.kpis import engine\n"),  # a stage, upwards
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, where, line):
    src = tmp_path / "src"
    shutil.copytree(
        paths.PACKAGE_DIR, src / "iro_analysis", ignore=shutil.ignore_patterns("__pycache__")
    )
    (src / "iro_analysis" / where).write_text(line, encoding="utf-8")
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    done = _lint(src, tmp_path / "pyproject.toml")
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"iro_analysis.{where[:-3].replace('/', '.')} ->" in done.stdout


def test_architecture_lists_the_layers_in_the_contracts_order():
    layers = next(c for c in _config()["contracts"] if c["type"] == "layers")["layers"]
    text = (paths.DOCS_DIR / "architecture.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `(\w+)/` \|", text, flags=re.M)
    expected = [layer.removeprefix("iro_analysis.") for layer in layers]
    expected = [name for name in expected if name != "cli"]  # the CLI is a module, not a folder
    assert table == expected, f"docs/architecture.md lists {table}, the contract {expected}"


def test_the_contract_has_no_exceptions():
    """Every stage imports only downwards, with no import let through (`ignore_imports`)."""
    for contract in _config()["contracts"]:
        assert not contract.get("ignore_imports"), contract["name"]


def _package_imports() -> tuple[dict[str, set[str]], list[str]]:
    """Each module of the package -> the package's modules it imports (at module level or
    inside a function), and every import of another module's `_private` name."""
    modules: dict[str, ast.Module] = {}
    src = paths.PACKAGE_DIR.parent
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        name = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = ast.parse(path.read_text(encoding="utf-8"))

    def home(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {m: set() for m in modules}
    private: list[str] = []
    for m, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("iro_analysis"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph[m].add(home(full if full in modules else node.module))
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"{m} imports {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                graph[m].update(
                    home(a.name) for a in node.names if a.name.startswith("iro_analysis")
                )
        graph[m].discard(m)
    return graph, private


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The import circles of `graph`: its strongly connected components of more than one
    module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_and_no_private_reach_in():
    """Issue #28: no module imports itself back through others (not even inside a
    function), and none imports another module's `_private` name."""
    graph, private = _package_imports()
    assert _cycles(graph) == []
    assert private == []
