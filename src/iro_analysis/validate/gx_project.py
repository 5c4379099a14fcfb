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
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from iro_analysis.core import paths
from iro_analysis.validate.gates import FACTS_TABLE
from iro_analysis.validate.raw_checks import RAW_PREFIX

PROJECT_DIR: Path = paths.PROJECT_ROOT / "gx"
SOURCE = "iro_analysis"
TABLES_CHECKPOINT = "iro_analysis.tables"
GATES_CHECKPOINT = "iro_analysis.gates"
RAW_CHECKPOINT = "iro_analysis.raw"
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


def checkpoint_of(table: str) -> str:
    """The Checkpoint a suite runs in: the gates, the raw files or the clean tables."""
    if table == FACTS_TABLE:
        return GATES_CHECKPOINT
    if table.startswith(RAW_PREFIX):
        return RAW_CHECKPOINT
    return TABLES_CHECKPOINT


def run_identifier(run_name: str | None):
    """The GX run of a build: its name and the time now (UTC), so that each build's
    results are stored under their own key beside the earlier builds'."""
    from great_expectations.core.run_identifier import RunIdentifier

    now = datetime.now(UTC)
    return RunIdentifier(run_name=run_name or f"iro_analysis {now:%Y%m%dT%H%M%SZ}", run_time=now)


def run_checkpoints(
    tables: dict[str, pd.DataFrame],
    suites: dict[str, list],
    root: Path,
    formats: dict[str, dict],
    run_name: str | None = None,
) -> dict[str, object]:
    """Run every suite on its table through Checkpoints in the file project under `root`.

    Returns table -> (GX suite validation result, the suite as saved). Each Checkpoint
    (`checkpoint_of`) keeps its tables' failures as `formats` says (the gates each failing
    file's name, the raw sources each failing row's line). Every result is stored under one
    run (`run_identifier(run_name)`), never replacing an earlier run's; the Data Docs are
    then built once, for this run's results, and made readable offline
    (`validate.data_docs`).
    """
    import great_expectations as gx

    from iro_analysis.validate.data_docs import make_offline

    data = root / "gx" / "uncommitted" / "data"
    data.mkdir(parents=True, exist_ok=True)
    try:
        for table, df in tables.items():
            df.to_parquet(data / f"{table}.parquet", index=False)
        context = _context(root)
        # A build's project substitutes no config variables; GX reads this file (comments
        # and an id) again on every look-up of a setting, about 2,000 times per project
        # (1.2 s of 9 s for the demo's year). Without it GX finds none and goes on.
        (root / "gx" / "uncommitted" / "config_variables.yml").unlink(missing_ok=True)
        source = context.data_sources.add_or_update_pandas_filesystem(
            SOURCE, base_directory=data.resolve()
        )
        definitions: dict[str, list] = {}
        saved = {}
        for table in tables:
            batch = _batch(source, table)
            suite = saved[table] = context.suites.add_or_update(gx_suite(table, suites[table]))
            vd = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite_name(table), data=batch, suite=suite)
            )
            definitions.setdefault(checkpoint_of(table), []).append((table, vd))
        run_id = run_identifier(run_name)
        out: dict[str, object] = {}
        keys = []
        for name, vds in definitions.items():
            checkpoint = context.checkpoints.add_or_update(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[vd for _, vd in vds],
                    actions=[],
                    result_format=formats[vds[0][0]],
                )
            )
            for key, result in checkpoint.run(run_id=run_id).run_results.items():
                table = result.suite_name.removeprefix("iro_analysis.")
                out[table] = (result, saved[table])
                keys.append(key)
        context.build_data_docs(resource_identifiers=keys)
        make_offline(root / DATA_DOCS.parent)
        return out
    finally:
        shutil.rmtree(data, ignore_errors=True)


HISTORY = (Path("gx") / "uncommitted" / "validations", DATA_DOCS.parent)


def carry_history(previous: Path, root: Path) -> list[Path]:
    """Copy the stored validation results and Data Docs of the GX project under
    `previous` (the published restricted/<YEAR>/) into the project under `root` (the
    build's staging folder), so that this build's run is added beside the earlier runs
    instead of replacing them. Copies, not links: GX rewrites some of these files in
    place (the Data Docs index), which must not change the published folder before the
    build publishes. Returns the folders copied."""
    done = []
    for rel in HISTORY:
        src = Path(previous) / rel
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, Path(root) / rel, dirs_exist_ok=True)
            done.append(Path(root) / rel)
    return done


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
