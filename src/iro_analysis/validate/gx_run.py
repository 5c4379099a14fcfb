"""Running the suites with Great Expectations (imported inside the functions: it takes
seconds) and turning its results into rows of `CHECK_COLUMNS`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iro_analysis.validate.checks import (
    CHECK_COLUMNS,
    SAMPLE_SIZE,
    Check,
    gx_name,
    sample_strings,
    suite_checks,
)
from iro_analysis.validate.gates import FACTS_TABLE, GateLimits
from iro_analysis.validate.raw_checks import RAW_LINE, RAW_RESULT_FORMAT


def result_format(table: str, raw: bool = False) -> dict:
    """How much of a suite's failures GX keeps: a sample of values (SUMMARY); on
    `file_facts` every failing file's name; on a raw source the failing rows' lines."""
    if raw:
        return dict(RAW_RESULT_FORMAT)
    if table == FACTS_TABLE:
        return {"result_format": "COMPLETE", "unexpected_index_column_names": ["file"]}
    return {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}


def run_gx_suites(
    tables: dict[str, pd.DataFrame],
    limits: GateLimits | None = None,
    project_root: Path | None = None,
    raw: dict[str, tuple[str, list[Check], pd.DataFrame]] | None = None,
    run_name: str | None = None,
    suites: dict[str, list[Check]] | None = None,
) -> pd.DataFrame:
    """Run each table's suite with Great Expectations; results as rows (`CHECK_COLUMNS`).

    With `project_root`, the GX way: a file project there, a Validation Definition per
    table, Checkpoints, results stored under the run's name (`run_name`, kept beside the
    earlier runs' results) and Data Docs built (`iro_analysis.validate.gx_project`).
    Without, an ephemeral context (quick, nothing written). On `file_facts` (the gates) a
    failure's sample is the files that failed. `raw` maps a raw source's GX name
    (`raw_checks.source_key`) to its label, suite and rows as read (`ingest.raw_tables`):
    their rows come after the tables', with the label as their table and each sample
    value followed by its line. `suites` gives the tables' suites (default: each table's
    `suite_checks`).
    """
    raw = raw or {}
    suites = dict(suites) if suites else {t: suite_checks(t, limits) for t in tables}
    suites.update({k: checks for k, (_, checks, _) in raw.items()})
    frames = {**tables, **{k: frame for k, (_, _, frame) in raw.items()}}
    formats = {t: result_format(t, t in raw) for t in frames}
    if project_root is not None:
        from iro_analysis.validate.gx_project import run_checkpoints

        results = run_checkpoints(frames, suites, Path(project_root), formats, run_name)
    else:
        results = _run_ephemeral(frames, suites, formats)
    rows = []
    for table in tables:
        rows += _result_rows(table, suites[table], results[table])
    for key, (label, checks, _) in raw.items():
        rows += _result_rows(label, checks, results[key], raw=True)
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _run_ephemeral(tables: dict[str, pd.DataFrame], suites: dict[str, list], formats) -> dict:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from iro_analysis.validate.gx_project import gx_suite

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("iro_analysis")
    out = {}
    for table, df in tables.items():
        suite = context.suites.add(gx_suite(table, suites[table]))  # saving gives ids
        asset = source.add_dataframe_asset(name=table)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": df}
        )
        out[table] = (batch.validate(suite, result_format=formats[table]), suite)
    return out


def _result_rows(table: str, checks: list[Check], result, raw: bool = False) -> list[tuple]:
    """One row per check, in the suite's order, from (GX validation result, saved suite)."""
    result, suite = result
    rows = []
    for check, r in zip(checks, _ordered(result.results, suite), strict=True):
        res = r.result or {}
        raised = (r.exception_info or {}).get("raised_exception", False)
        if check.expectation == "ExpectTableColumnsToMatchSet":
            observed = set(res.get("observed_value") or [])
            wrong = sorted(observed ^ set(check.kwargs["column_set"]))
            count, sample = len(wrong), wrong[:SAMPLE_SIZE]
        elif table == FACTS_TABLE:
            count = int(res.get("unexpected_count") or 0)
            sample = [str(x["file"]) for x in res.get("unexpected_index_list") or []]
        elif raw:
            count = int(res.get("unexpected_count") or 0)
            sample = _with_lines(res)
        else:
            count = int(res.get("unexpected_count") or 0)
            sample = sample_strings(res.get("partial_unexpected_list"))
        if raised:
            sample = [str((r.exception_info or {}).get("exception_message", ""))[:300]]
        rows.append(
            (
                table,
                check.column,
                gx_name(check.expectation),
                check.severity,
                bool(r.success) and not raised,
                count,
                sample,
            )
        )
    return rows


def _with_lines(res: dict) -> list[str]:
    """A raw suite's failing values, each with its line ("X9 (line 120)")."""
    values = sample_strings(res.get("partial_unexpected_list"))
    index = res.get("partial_unexpected_index_list") or []
    lines = [x.get(RAW_LINE) if isinstance(x, dict) else None for x in index]
    return [
        f"{v} (line {line})" if line is not None and not pd.isna(line) else v
        for v, line in zip(values, [*lines, *[None] * len(values)], strict=False)
    ]


def _ordered(results, suite) -> list:
    """GX results in the suite's expectation order (matched on expectation id)."""
    by_id = {r.expectation_config.id: r for r in results}
    if len(by_id) != len(suite.expectations) or None in by_id:
        raise RuntimeError(
            f"GX results of suite {suite.name} cannot be matched to its expectations"
        )
    return [by_id[e.id] for e in suite.expectations]
