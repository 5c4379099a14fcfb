"""What the build reads back from an executed notebook."""

from __future__ import annotations

import nbformat

from iro_analysis.pipeline.notebooks import warnings_in


def test_warnings_in_finds_only_the_category_on_stderr(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text=(
                "/src/claims.py:171: NarrativeWarning: narrative for 2021/22, section 'The IRO"
                " service': \u201cwithin 50 to 70\u201d but the caseload is 38.2\n"
                "  warnings.warn(m, NarrativeWarning, stacklevel=2)\n"
                "/x.py:1: FutureWarning: something else\n"
            ),
        ),
        nbformat.v4.new_output("stream", name="stdout", text="x.py:1: NarrativeWarning: stdout\n"),
    ]
    nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    assert warnings_in(path, "NarrativeWarning") == [
        "narrative for 2021/22, section 'The IRO service': \u201cwithin 50 to 70\u201d but the "
        "caseload is 38.2"
    ]
    assert warnings_in(path, "DeprecationWarning") == []
