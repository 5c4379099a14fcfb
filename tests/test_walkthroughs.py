"""docs/architecture.md's walkthroughs still hold (issue #28): adding a KPI touches its area
module (plus its test and the regenerated docs), and a collection year is one yaml file
(plus its test). Each test follows the walkthrough in a copy of the package, taking the
code from the document itself, and checks in a fresh interpreter that nothing else is
needed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from iro_analysis.core import paths

ARCHITECTURE = paths.DOCS_DIR / "architecture.md"


def _walkthrough(heading: str, language: str) -> str:
    """The fenced `language` block of the document's section `heading`, less the fence's
    own indentation (what is inside it keeps its indentation)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(rf"^( *)```{language}\n(.*?)\n\1```", section, flags=re.S | re.M)
    assert block, f"docs/architecture.md, '{heading}': no {language} block"
    indent = len(block.group(1))
    return "\n".join(line[indent:] for line in block.group(2).split("\n")) + "\n"


def _copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(
        paths.PACKAGE_DIR, src / "iro_analysis", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(paths.DOCS_DIR, tmp_path / "docs")  # the generated docs, as committed
    return src


def _run(src: Path, code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter importing the package from `src` (the copy)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        cwd=src.parent,
        timeout=300,
    )


def test_adding_a_kpi_needs_only_its_function_in_its_area_module(tmp_path):
    src = _copy_package(tmp_path)
    function = _walkthrough("Adding a KPI", "python")
    kid = re.search(r'@kpi\(\s*"(\w+)"', function).group(1)
    area = src / "iro_analysis" / "kpis" / "disputes.py"
    area.write_text(area.read_text(encoding="utf-8") + "\n\n" + function, encoding="utf-8")
    done = _run(
        src,
        f"""
        import pandas as pd
        from iro_analysis.kpis.definitions import frame
        from iro_analysis.kpis.registry import KPI_DEFINITIONS, REGISTRY, section_kpis
        from iro_analysis.report.catalogue import SECTION_BY_KEY, misplaced_kpis
        from iro_analysis.report import kpi_docs

        d = KPI_DEFINITIONS[{kid!r}]
        assert d.family == "Disputes" and d.definition.startswith("Disputes (dispute_id)")
        assert {kid!r} in section_kpis("disputes") and not misplaced_kpis()
        assert {kid!r} in SECTION_BY_KEY["disputes"].kpis
        assert "| `{kid}` |" in kpi_docs.render()  # `make docs` would list it
        assert "| `{kid}` |" not in kpi_docs.DOCS_FILE.read_text()  # and must be run

        class Ctx:  # the year's context, as much of it as the new KPI reads
            year = 2022
            disputes_in_year = pd.DataFrame({{"cohort": ["CP", "CLA", "CP", "CP"]}})

            def has(self, *names):
                return set(names) <= {{"disputes"}}

        rows = frame(Ctx(), [REGISTRY[{kid!r}]])
        assert rows["kpi_id"].tolist() == [{kid!r}] and rows["value"].tolist() == [3], rows
        print("ok")
        """,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def test_a_collection_year_is_one_yaml_file(tmp_path):
    src = _copy_package(tmp_path)
    contract = src / "iro_analysis" / "contract"
    latest = max(int(p.stem) for p in contract.glob("[0-9][0-9][0-9][0-9].yaml"))
    new = latest + 1
    text = (contract / f"{latest}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"year: {latest}\n", f"year: {new}\n").replace(
        f"collection: {latest - 1}/{str(latest)[2:]}\n",
        f"collection: {new - 1}/{str(new)[2:]}\n",
    )
    table = _walkthrough("Adding a collection year", "yaml")
    text = text.replace("ssda903:\n", "ssda903:\n" + table, 1)
    (contract / f"{new}.yaml").write_text(text, encoding="utf-8")
    done = _run(
        src,
        f"""
        from iro_analysis.contract import contract_years, load_contract
        from iro_analysis.contract import dictionary, raw_files
        from iro_analysis.ingest import rules

        assert contract_years()[-1] == {new}
        c = load_contract({new})
        assert c.collection == "{new - 1}/{str(new)[2:]}" and c.has_table("dolo")
        assert not load_contract({latest}).has_table("dolo")
        assert raw_files.EPISODES.columns  # the readers' columns, from every year's contract
        assert rules.CODE_LISTS["episodes"]["PLACE"]  # the clean code lists, likewise
        assert "{new - 1}/{str(new)[2:]}" in dictionary.contract_section()  # `make docs`
        print("ok")
        """,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
