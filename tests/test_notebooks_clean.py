"""Notebooks are committed without outputs or execution counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iro_analysis.core import paths


def notebook_problems(path: Path) -> list[str]:
    """Cells of a notebook that carry outputs or execution counts."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has an execution count")
    return problems


NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_output_free(nb):
    assert notebook_problems(nb) == []


def test_checker_catches_outputs(tmp_path):
    nb = tmp_path / "x.ipynb"
    cell = {
        "cell_type": "code",
        "source": "1",
        "metadata": {},
        "outputs": [{"output_type": "stream"}],
        "execution_count": 3,
    }
    nb.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert notebook_problems(nb) == ["cell 0 has outputs", "cell 0 has an execution count"]
