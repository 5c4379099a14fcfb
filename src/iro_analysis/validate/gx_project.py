"""The validation suites as a Great Expectations project, run by Checkpoints.

`gx/` at the project root is a GX file project holding one Expectation Suite per clean
table and one for the plausibility gates (`file_facts`), generated from
`checks.suite_checks` (`make gx`; a test checks it is current), so analysts can read
and open the suites as GX users know them.

A build runs them the GX way in a project of its own under `restricted/<YEAR>/gx/`: the
clean tables are written there as parquet (a pandas filesystem Data Source), each table
gets a Validation Definition (its suite on its batch), and two Checkpoints run them (the
tables, and the gates whose failures name files), keeping the results in the project's
validation store and building GX Data Docs for analysts. That folder is restricted: GX
results hold sample values. The data copy is removed once the run is done.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd

from iro_analysis.core import paths

PROJECT_DIR: Path = paths.PROJECT_ROOT / "gx"
SOURCE = "iro_analysis"
TABLES_CHECKPOINT = "iro_analysis.tables"
GATES_CHECKPOINT = "iro_analysis.gates"
DATA_DOCS = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "index.html"


def suite_name(table: str) -> str:
    return f"iro_analysis.{table}"


def gx_suite(table: str, checks):
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=suite_name(table))
    for check in checks:
        cls = getattr(gxe, check.expectation)
        suite.add_expectation(cls(**check.kwargs, severity=check.severity))
    return suite


def _context(root: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=root)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def write_suites(root: Path, suites: dict[str, list]) -> None:
    """Create or update the GX file project under `root` with one suite per table."""
    context = _context(root)
    for table, checks in suites.items():
        context.suites.add_or_update(gx_suite(table, checks))


def _batch(source, table: str):
    """The whole-file batch definition of a table's parquet (made on first use)."""
    try:
        asset = source.get_asset(table)
    except LookupError:
        asset = source.add_parquet_asset(table)
    try:
        return asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        return asset.add_batch_definition_path("whole", path=f"{table}.parquet")


def run_checkpoints(
    tables: dict[str, pd.DataFrame], suites: dict[str, list], root: Path, gates_table: str
) -> dict[str, object]:
    """Run every suite on its table through Checkpoints in the file project under `root`.

    Returns table -> (GX suite validation result, the suite as saved). The gates'
    checkpoint keeps each failing file's name (`unexpected_index_column_names`).
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    data = root / "gx" / "uncommitted" / "data"
    data.mkdir(parents=True, exist_ok=True)
    try:
        for table, df in tables.items():
            df.to_parquet(data / f"{table}.parquet", index=False)
        context = _context(root)
        source = context.data_sources.add_or_update_pandas_filesystem(
            SOURCE, base_directory=data.resolve()
        )
        definitions: dict[str, list] = {TABLES_CHECKPOINT: [], GATES_CHECKPOINT: []}
        saved = {}
        for table in tables:
            batch = _batch(source, table)
            suite = saved[table] = context.suites.add_or_update(gx_suite(table, suites[table]))
            vd = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite_name(table), data=batch, suite=suite)
            )
            key = GATES_CHECKPOINT if table == gates_table else TABLES_CHECKPOINT
            definitions[key].append(vd)
        formats = {
            TABLES_CHECKPOINT: {"result_format": "SUMMARY", "partial_unexpected_count": 5},
            GATES_CHECKPOINT: {
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["file"],
            },
        }
        out: dict[str, object] = {}
        for name, vds in definitions.items():
            if not vds:
                continue
            checkpoint = context.checkpoints.add_or_update(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=vds,
                    actions=[UpdateDataDocsAction(name="data_docs")],
                    result_format=formats[name],
                )
            )
            for result in checkpoint.run().run_results.values():
                table = result.suite_name.removeprefix("iro_analysis.")
                out[table] = (result, saved[table])
        return out
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _stable(path: Path) -> dict:
    """A stored suite without the ids GX gives it (they are new on every save)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("id", None)
    for e in doc.get("expectations", []):
        e.pop("id", None)
    return doc


def suite_files(root: Path) -> dict[str, dict]:
    """The suites stored in the project under `root`, by file name, ids left out."""
    folder = root / "gx" / "expectations"
    return {p.relative_to(folder).as_posix(): _stable(p) for p in sorted(folder.rglob("*.json"))}


def main() -> int:
    """`make gx`: regenerate the committed suites in gx/ from the code."""
    from iro_analysis.validate.checks import all_suites

    folder = PROJECT_DIR / "expectations"
    shutil.rmtree(folder, ignore_errors=True)
    write_suites(paths.PROJECT_ROOT, all_suites())
    for p in folder.rglob("*.json"):  # stable files: no random ids in git
        p.write_text(json.dumps(_stable(p), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
