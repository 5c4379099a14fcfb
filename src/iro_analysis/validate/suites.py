"""Validate the clean data with Great Expectations: one suite per clean table, in code.

Each suite checks columns, non-null keys and required values, code sets, key uniqueness,
date order and plausible ranges. What GX cannot express (dtypes, cross-table references,
ages from a join, the row accounting) is checked in pandas and reported in the same format.
A failed *critical* check stops the pipeline (`ValidationReport.raise_for_critical`);
*warnings* go to the report's data-quality section. Great Expectations is imported inside
the functions that use it (it takes seconds to import).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from iro_analysis import paths
from iro_analysis.contract import schema as S
from iro_analysis.errors import ValidationFailed
from iro_analysis.ingest.clean import (
    CODE_LISTS,
    DATE_ORDER,
    TABLE_SPECS,
    isin_ids,
    quarantine_summary,
)
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.validate.gates import FACTS_TABLE, GATES, GateLimits, file_facts, gate_kwargs

CRITICAL = "critical"
WARNING = "warning"
RESULT_COLUMNS = (
    "table",
    "column",
    "expectation",
    "severity",
    "success",
    "unexpected_count",
    "sample",
    "accepted",  # the analyst's reason where a failed gate was accepted, else ""
)
CHECK_COLUMNS = RESULT_COLUMNS[:-1]  # what each check gives, before acceptance
SAMPLE_SIZE = 5
MAX_AGE_AT_ENTRY = 17  # completed years at DECOM: a child enters care before turning 18

# Checks that are warnings rather than critical (table, expectation or check name).
# A child whose every header row was quarantined still has valid episodes and reviews, so
# a missing header is a data-quality warning, not a reason to stop.


@dataclass(frozen=True)
class Check:
    """One expectation of a suite: GX expectation class name, its kwargs, severity."""

    expectation: str  # GX class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any]
    severity: str = CRITICAL

    @property
    def column(self) -> str:
        k = self.kwargs
        if "column" in k:
            return k["column"]
        if "column_A" in k:
            return f"{k['column_A']} >= {k['column_B']}"
        if "column_list" in k:
            return ", ".join(k["column_list"])
        return ""


def gate_checks(limits: GateLimits) -> list[Check]:
    """The plausibility gates (`iro_analysis.validate.gates`) as expectations on `file_facts`."""
    return [
        Check("ExpectColumnValuesToBeBetween", {"column": column, **kwargs})
        for column, kwargs in gate_kwargs(limits).items()
    ]


def suite_checks(table: str, limits: GateLimits | None = None) -> list[Check]:
    """The expectations of one table's suite (rules from `schema`, `clean` and `gates`)."""
    if table == FACTS_TABLE:
        return gate_checks(limits or GateLimits())
    clean = S.CLEAN_TABLES[table]
    spec = TABLE_SPECS[table]
    checks = [
        Check(
            "ExpectTableColumnsToMatchSet", {"column_set": list(clean.columns), "exact_match": True}
        )
    ]
    for c in dict.fromkeys((*clean.key, *spec.required)):
        checks.append(Check("ExpectColumnValuesToNotBeNull", {"column": c}))
    for c, codes in CODE_LISTS[table].items():
        # codes outside the list are kept, with a warning, in columns no figure uses
        severity = WARNING if c in S.WARN_ONLY_COLUMNS else CRITICAL
        checks.append(
            Check("ExpectColumnValuesToBeInSet", {"column": c, "value_set": list(codes)}, severity)
        )
    if len(clean.key) == 1:
        checks.append(Check("ExpectColumnValuesToBeUnique", {"column": clean.key[0]}))
    else:
        checks.append(Check("ExpectCompoundColumnsToBeUnique", {"column_list": list(clean.key)}))
    for early, late in DATE_ORDER.get(table, ()):
        checks.append(
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": late,
                    "column_B": early,
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
            )
        )
    if table == "workforce":
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "fte", "min_value": 0, "max_value": 1, "strict_min": True},
            )
        )
    for c in ("times_rearranged", "NumberOfPreviousCPP"):
        if c in clean.columns:
            checks.append(Check("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0}))
    if table == "meetings":
        checks.append(
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "held_date",
                    "column_B": "first_scheduled_date",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                WARNING,
            )
        )
    return checks


def _gx_name(class_name: str) -> str:
    """ "ExpectColumnValuesToBeUnique" -> "expect_column_values_to_be_unique"."""
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in class_name).lstrip("_")


def _sample(values) -> list[str]:
    out = []
    for v in list(values or [])[:SAMPLE_SIZE]:
        if isinstance(v, tuple | list):
            out.append(
                " / ".join(str(pd.Timestamp(x).date()) if _is_date(x) else str(x) for x in v)
            )
        else:
            out.append(str(pd.Timestamp(v).date()) if _is_date(v) else str(v))
    return out


def _is_date(v) -> bool:
    import numpy as np

    return isinstance(v, pd.Timestamp | np.datetime64) and not pd.isna(v)


def all_suites(limits: GateLimits | None = None) -> dict[str, list[Check]]:
    """Every suite: one per clean table, and the plausibility gates on `file_facts`."""
    return {t: suite_checks(t, limits) for t in (*S.CLEAN_TABLES, FACTS_TABLE)}


def run_gx_suites(
    tables: dict[str, pd.DataFrame],
    limits: GateLimits | None = None,
    project_root: Path | None = None,
) -> pd.DataFrame:
    """Run each table's suite with Great Expectations; results as rows (`CHECK_COLUMNS`).

    With `project_root`, the GX way: a file project there, a Validation Definition per
    table, Checkpoints, results stored and Data Docs built (`iro_analysis.validate.gx_project`).
    Without, an ephemeral context (quick, nothing written). On `file_facts` (the gates) a
    failure's sample is the files that failed.
    """
    suites = {t: suite_checks(t, limits) for t in tables}
    if project_root is not None:
        from iro_analysis.validate.gx_project import run_checkpoints

        results = run_checkpoints(tables, suites, Path(project_root), FACTS_TABLE)
    else:
        results = _run_ephemeral(tables, suites)
    rows = []
    for table in tables:
        rows += _result_rows(table, suites[table], results[table])
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _run_ephemeral(tables: dict[str, pd.DataFrame], suites: dict[str, list]) -> dict:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from iro_analysis.validate.gx_project import _suite

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("iro_analysis")
    out = {}
    for table, df in tables.items():
        suite = context.suites.add(_suite(table, suites[table]))  # saving gives ids
        asset = source.add_dataframe_asset(name=table)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": df}
        )
        fmt = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
        if table == FACTS_TABLE:
            fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": ["file"]}
        out[table] = (batch.validate(suite, result_format=fmt), suite)
    return out


def _result_rows(table: str, checks: list[Check], result) -> list[tuple]:
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
        else:
            count = int(res.get("unexpected_count") or 0)
            sample = _sample(res.get("partial_unexpected_list"))
        if raised:
            sample = [str((r.exception_info or {}).get("exception_message", ""))[:300]]
        rows.append(
            (
                table,
                check.column,
                _gx_name(check.expectation),
                check.severity,
                bool(r.success) and not raised,
                count,
                sample,
            )
        )
    return rows


def _ordered(results, suite) -> list:
    """GX results in the suite's expectation order (matched on expectation id)."""
    by_id = {r.expectation_config.id: r for r in results}
    if len(by_id) != len(suite.expectations) or None in by_id:
        raise RuntimeError(
            f"GX results of suite {suite.name} cannot be matched to its expectations"
        )
    return [by_id[e.id] for e in suite.expectations]


# --------------------------------------------------------------------------------------
# Checks in pandas (what GX cannot express), in the same result format
# --------------------------------------------------------------------------------------


def _row(table, column, expectation, severity, bad: pd.Series, values=None) -> tuple:
    """A check's result row; `values` gives the sample (None where the failing values would
    identify children: then the result is a count only)."""
    bad = bad.fillna(False).astype(bool)
    return (
        table,
        column,
        expectation,
        severity,
        not bool(bad.any()),
        int(bad.sum()),
        [] if values is None else _sample(values[bad].unique()),
    )


def _dtype_ok(s: pd.Series, kind: str) -> bool:
    if kind == "datetime":
        return pd.api.types.is_datetime64_dtype(s.dtype)
    if kind == "str":
        return isinstance(s.dtype, pd.StringDtype) or s.dtype == object
    return str(s.dtype) == kind


def pandas_checks(ds: Dataset) -> pd.DataFrame:
    """Dtypes, cross-table references, ages at entry and row accounting."""
    rows = []
    t = ds.tables
    for table, clean in S.CLEAN_TABLES.items():
        df = t[table]
        for c in clean.columns:
            if c in df:
                kind = S.clean_dtype(c)
                ok = _dtype_ok(df[c], kind)
                rows.append(
                    (
                        table,
                        c,
                        f"dtype_is_{kind}",
                        CRITICAL,
                        ok,
                        0 if ok else len(df),
                        [] if ok else [str(df[c].dtype)],
                    )
                )
    header_ids = t["header"]["CHILD"]
    known = pd.concat([header_ids, t["cin_children"]["LAchildID"]])
    for table, col, ids, sev in (
        ("episodes", "CHILD", header_ids, WARNING),
        ("reviews", "CHILD", header_ids, WARNING),
        ("oc2", "CHILD", header_ids, WARNING),
        ("meetings", "child_id", known, WARNING),
        ("disputes", "child_id", known, WARNING),
        ("pep", "child_id", known, WARNING),
    ):
        s = t[table][col]
        missing = ~isin_ids(s, ids)
        rows.append(
            _row(
                table,
                col,
                "child_exists_in_header_or_cin"
                if table in ("meetings", "disputes", "pep")
                else "child_exists_in_header",
                sev,
                missing,
            )
        )
    plans = t["cp_plans"].set_index(["LAchildID", "CPPstartDate"]).index
    rv = t["cp_reviews"]
    link = (
        pd.MultiIndex.from_frame(rv[["LAchildID", "CPPstartDate"]])
        if len(rv)
        else pd.MultiIndex.from_arrays([[], []])
    )
    missing = pd.Series(~link.isin(plans), index=rv.index)
    rows.append(
        _row(
            "cp_reviews",
            "LAchildID, CPPstartDate",
            "plan_exists_in_cp_plans",
            CRITICAL,
            missing,
        )
    )
    # birth <= care start, and age at entry 0-17 (header DOB joined on CHILD)
    ep = t["episodes"]
    dob = (
        ep["CHILD"].map(t["header"].set_index("CHILD")["DOB"])
        if len(t["header"])
        else pd.Series(pd.NaT, index=ep.index)
    )
    dob = pd.to_datetime(dob)
    rows.append(
        _row(
            "episodes",
            "DECOM >= header DOB",
            "care_start_not_before_birth",
            CRITICAL,
            ep["DECOM"] < dob,
        )
    )
    age = _completed_years(dob, ep["DECOM"])
    rows.append(
        _row(
            "episodes",
            "age at DECOM",
            f"age_at_entry_between_0_and_{MAX_AGE_AT_ENTRY}",
            WARNING,
            (age < 0) | (age > MAX_AGE_AT_ENTRY),
            age,  # the ages, never the children
        )
    )
    rows.append(_dob_agreement(t))
    acc = ds.accounting
    total = acc["rows_kept"] + acc["duplicates_removed"] + acc["rows_quarantined"]
    rows.append(
        _row(
            "accounting",
            "rows_read",
            "rows_read_equals_kept_plus_duplicates_plus_quarantined",
            CRITICAL,
            acc["rows_read"] != total,
            acc["file"],
        )
    )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _dob_agreement(t: dict[str, pd.DataFrame]) -> tuple:
    """Children whose date of birth in the 903 reviews, OC2 or CIN census differs from the
    903 header's (a warning: a count, never which children)."""
    dob = t["header"].set_index("CHILD")["DOB"]
    others = [
        t["reviews"][["CHILD", "DOB"]],
        t["oc2"][["CHILD", "DOB"]],
        t["cin_children"][["LAchildID", "PersonBirthDate"]].set_axis(["CHILD", "DOB"], axis=1),
    ]
    o = pd.concat(others, ignore_index=True).dropna()
    header_dob = pd.Series(dob.reindex(o["CHILD"].to_numpy()).to_numpy(), index=o.index)
    differ = o.loc[header_dob.notna() & (o["DOB"] != header_dob), "CHILD"].nunique()
    return (
        "header",
        "DOB",
        "date_of_birth_agrees_across_files",
        WARNING,
        differ == 0,
        int(differ),
        [],
    )


def _completed_years(born: pd.Series, on: pd.Series) -> pd.Series:
    """Age in completed years on a date (vectorised; NaN where either date is missing)."""
    years = on.dt.year - born.dt.year
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    return years - before_birthday.astype("Int64")


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


@dataclass
class ValidationReport:
    """Results of every check, plus the row accounting and quarantine summary shown with them."""

    year: int
    results: pd.DataFrame  # RESULT_COLUMNS
    accounting: pd.DataFrame
    quarantine: pd.DataFrame  # quarantine summary by year, file, rule, column

    @property
    def critical_failures(self) -> pd.DataFrame:
        """Failed critical checks, but for gate failures an analyst accepted."""
        r = self.results
        bad = (r["severity"] == CRITICAL) & ~r["success"]
        if "accepted" in r:
            bad &= r["accepted"].eq("")
        return r[bad].reset_index(drop=True)

    @property
    def accepted(self) -> pd.DataFrame:
        """Failed gates let through by settings `accepted_anomalies`, with the reasons."""
        r = self.results
        if "accepted" not in r:
            return r.iloc[0:0]
        return r[r["accepted"].ne("")].reset_index(drop=True)

    @property
    def warnings(self) -> pd.DataFrame:
        r = self.results
        return r[(r["severity"] == WARNING) & ~r["success"]].reset_index(drop=True)

    @property
    def ok(self) -> bool:
        return not len(self.critical_failures)

    def failure_message(self) -> str:
        lines = [
            f"{', '.join(r.sample)}: {GATES[r.column].meaning} (check {r.column}, {self.year})"
            if r.table == FACTS_TABLE
            else f"table {r.table}, column {r.column}, expectation {r.expectation}: "
            f"{r.unexpected_count} row(s) failed, e.g. {', '.join(map(str, r.sample)) or '-'}"
            for r in self.critical_failures.itertuples()
        ]
        return f"{len(lines)} critical data-quality check(s) failed for {self.year}:\n" + "\n".join(
            lines
        )

    def raise_for_critical(self) -> None:
        """Raise ValidationFailed naming table, column, expectation, count and sample."""
        if not self.ok:
            raise ValidationFailed(self.failure_message())

    def public_results(self) -> pd.DataFrame:
        """The results as written under reports/: samples withheld where a check's column
        identifies a child (`schema.IDENTIFYING_COLUMNS`)."""
        r = self.results.copy()
        identifying = (
            r["column"]
            .astype(str)
            .map(lambda c: bool(S.IDENTIFYING_COLUMNS & set(re.split(r"[^A-Za-z_]+", c))))
        )
        r["sample"] = [
            [S.WITHHELD] if i and len(s) else s
            for i, s in zip(identifying, r["sample"], strict=True)
        ]
        return r

    def to_dict(self) -> dict:
        def records(df: pd.DataFrame) -> list[dict]:
            return json.loads(df.to_json(orient="records", date_format="iso"))

        return {
            "year": self.year,
            "ok": self.ok,
            "critical_failures": int(len(self.critical_failures)),
            "warnings": int(len(self.warnings)),
            "results": records(self.public_results()),
            "accounting": records(self.accounting),
            "quarantine_summary": records(self.quarantine),
        }

    def to_json(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        return path

    def to_html(self, path: Path) -> Path:
        """A self-contained, readable data-quality page."""
        from jinja2 import Environment

        env = Environment(autoescape=True)
        r = self.public_results()
        failed = r[~r["success"]]
        accepted = failed["accepted"].ne("") if "accepted" in failed else failed["success"]
        html = env.from_string(HTML_TEMPLATE).render(
            year=self.year,
            ok=self.ok,
            critical=failed[(failed["severity"] == CRITICAL) & ~accepted].to_dict("records"),
            accepted=failed[accepted].to_dict("records"),
            warnings=failed[failed["severity"] == WARNING].to_dict("records"),
            results=r.to_dict("records"),
            accounting=self.accounting.to_dict("records"),
            quarantine=self.quarantine.to_dict("records"),
            n_checks=len(self.results),
        )
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        return path


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Data quality {{ year }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; margin-bottom: 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f0f0f0; }
.fail { color: #a00; font-weight: bold; } .pass { color: #060; }
</style></head><body>
<h1>Data quality, reporting year ending 31 March {{ year }}</h1>
<p class="{{ 'pass' if ok else 'fail' }}">
{% if ok %}All critical checks passed{% else %}{{ critical|length }} critical check(s) failed{% endif %}
({{ n_checks }} checks; {{ warnings|length }} warning(s)).</p>
{% macro checks(rows) %}
<table><tr><th>Table</th><th>Column</th><th>Check</th><th>Severity</th><th>Result</th><th>Rows failing</th><th>Sample</th></tr>
{% for r in rows %}<tr><td>{{ r.table }}</td><td>{{ r.column }}</td><td>{{ r.expectation }}</td>
<td>{{ r.severity }}</td><td class="{{ 'pass' if r.success else 'fail' }}">{{ 'pass' if r.success else 'fail' }}</td>
<td>{{ r.unexpected_count }}</td><td>{{ r.sample|join(', ') }}</td></tr>{% endfor %}
</table>{% endmacro %}
{% if critical %}<h2>Critical failures</h2>{{ checks(critical) }}{% endif %}
{% if accepted %}<h2>Critical failures accepted by the analysts</h2>
<table><tr><th>Check</th><th>Accepted because</th></tr>
{% for r in accepted %}<tr><td>{{ r.column }}</td><td>{{ r.accepted }}</td></tr>{% endfor %}
</table>{% endif %}
<h2>Warnings</h2>
{% if warnings %}{{ checks(warnings) }}{% else %}<p>None.</p>{% endif %}
<h2>Row accounting</h2>
<p>For every raw file: rows read = rows kept + exact duplicates removed + rows quarantined.</p>
<table><tr><th>Year</th><th>File</th><th>Read</th><th>Kept</th><th>Duplicates removed</th><th>Quarantined</th></tr>
{% for a in accounting %}<tr><td>{{ a.year }}</td><td>{{ a.file }}</td><td>{{ a.rows_read }}</td><td>{{ a.rows_kept }}</td>
<td>{{ a.duplicates_removed }}</td><td>{{ a.rows_quarantined }}</td></tr>{% endfor %}
</table>
<h2>Quarantined records</h2>
{% if quarantine %}<table><tr><th>Year</th><th>File</th><th>Rule</th><th>Column</th><th>Records</th></tr>
{% for q in quarantine %}<tr><td>{{ q.year }}</td><td>{{ q.file }}</td><td>{{ q.rule }}</td><td>{{ q.column }}</td>
<td>{{ q.records }}</td></tr>{% endfor %}</table>{% else %}<p>No records were quarantined.</p>{% endif %}
<h2>All checks</h2>
{{ checks(results) }}
</body></html>
"""


def accept_anomalies(results: pd.DataFrame, year: int, accepted) -> pd.DataFrame:
    """Let through the gate failures an analyst accepted for `year` (settings
    `accepted_anomalies`): a gate failing only on accepted files keeps `success` False but
    gets the reasons in `accepted`; files not accepted still fail. Nothing else is let
    through."""
    out = results.copy()
    out["accepted"] = ""
    mine = [a for a in accepted if a.year == year]
    for i in out.index[(out["table"] == FACTS_TABLE) & ~out["success"]]:
        check = out.at[i, "column"]
        reasons = {a.file: a.reason for a in mine if a.check == check}
        files = list(out.at[i, "sample"])
        left = [f for f in files if f not in reasons]
        if not left:
            out.at[i, "accepted"] = "; ".join(f"{f}: {reasons[f]}" for f in files)
        else:
            out.at[i, "sample"] = left
            out.at[i, "unexpected_count"] = len(left)
    return out


def validate_dataset(
    ds: Dataset, year: int, settings=None, project_root: Path | None = None
) -> ValidationReport:
    """Run every suite, the plausibility gates on `year`'s files and the pandas checks.

    `settings` (default: the settings file) gives the gates' limits and the anomalies an
    analyst accepted. With `project_root` (a restricted folder) the suites run through GX
    Checkpoints in a file project there, which keeps the results and builds Data Docs.
    """
    if settings is None:
        from iro_analysis.settings import load_settings

        settings = load_settings()
    limits = settings.gates
    tables = {**ds.tables, FACTS_TABLE: file_facts(ds, year, limits)}
    results = pd.concat(
        [run_gx_suites(tables, limits, project_root), pandas_checks(ds)], ignore_index=True
    )
    results["success"] = results["success"].astype(bool)
    results["unexpected_count"] = results["unexpected_count"].astype("int64")
    results = accept_anomalies(results, year, settings.accepted_anomalies)
    return ValidationReport(
        year=year,
        results=results,
        accounting=ds.accounting.copy(),
        quarantine=quarantine_summary(ds),
    )


def write_restricted(report: ValidationReport, restricted_dir: Path) -> Path:
    """`validation-full.json` for analysts: every result with its samples (restricted)."""
    path = Path(restricted_dir) / "validation-full.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    full = {**report.to_dict(), "results": json.loads(report.results.to_json(orient="records"))}
    path.write_text(json.dumps(full, indent=2), encoding="utf-8")
    return path


def write_report(report: ValidationReport, reports_dir: Path | None = None) -> tuple[Path, Path]:
    """Write `reports/<YEAR>/validation.json` and `reports/<YEAR>/data-quality.html`."""
    out = paths.report_year_dir(report.year, reports_dir)
    return report.to_json(out / "validation.json"), report.to_html(out / "data-quality.html")


def load_or_clean(
    year: int, raw_dir: Path | None = None, processed_dir: Path | None = None
) -> Dataset:
    """The processed Dataset of `year`, running the cleaner first when there is none."""
    from iro_analysis.ingest.clean import load_processed, run_clean

    processed = paths.processed_year_dir(year, processed_dir)
    if (processed / "accounting.parquet").is_file():
        return load_processed(year, processed_dir)
    return run_clean(year, raw_dir, processed_dir)


def cli_main(args) -> int:
    """`iro-analysis validate --year YEAR`: validate processed data (cleaning first if none)."""
    ds = load_or_clean(args.year, args.raw_dir, args.processed_dir)
    from iro_analysis.settings import load_settings

    report = validate_dataset(ds, args.year, load_settings(getattr(args, "settings", None)))
    json_path, html_path = write_report(report, getattr(args, "reports_dir", None))
    print(
        f"{len(report.results)} checks: {len(report.critical_failures)} critical failure(s), "
        f"{len(report.warnings)} warning(s). Written {json_path} and {html_path}",
        file=sys.stdout,
    )
    report.raise_for_critical()
    return 0
