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


def test_the_build_process_imports_jsonschema_without_its_iri_grammars():
    """Issue #31: jsonschema's optional "iri" formats (rfc3987_syntax) compile 38 lark
    grammars at import; the build's process does without them, and nbformat still
    validates every notebook of the project (whose schemas name no string format)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from iro_analysis.pipeline.notebooks import IRI_FORMATS_MODULE, skip_iri_formats\n"
        "skip_iri_formats()\n"
        "import nbformat, papermill, nbconvert\n"
        "from iro_analysis.core import paths\n"
        "for nb in sorted(paths.NOTEBOOKS_DIR.glob('*.ipynb')):\n"
        "    nbformat.validate(nbformat.read(str(nb), as_version=4))\n"
        "assert sys.modules.get(IRI_FORMATS_MODULE) is None, 'iri grammars imported'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
