"""The validation results of a year (`ValidationReport`): what stops the pipeline (a failed
critical check), the public JSON and the data-quality HTML page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from iro_analysis.contract import quality as Q
from iro_analysis.core.errors import ValidationFailed
from iro_analysis.validate.checks import CHECK_COLUMNS, CRITICAL, WARNING
from iro_analysis.validate.gates import FACTS_TABLE, GATES
from iro_analysis.validate.pandas_checks import INPUTS_TABLE

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
    # the raw files' suites (warnings, table = the file's label): restricted, not published
    raw: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CHECK_COLUMNS)))

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
            else f"{', '.join(r.sample)}"
            if r.table == INPUTS_TABLE
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
        identifies a child (`schema.IDENTIFYING_COLUMNS`) or is free text
        (`schema.FREE_TEXT_COLUMNS`: feedback quotes)."""
        r = self.results.copy()
        names = r["column"].astype(str).map(lambda c: set(re.split(r"[^A-Za-z_]+", c)))
        identifying = names.map(lambda n: bool(Q.IDENTIFYING_COLUMNS & n))
        free_text = names.map(lambda n: bool(Q.FREE_TEXT_COLUMNS & n))
        r["sample"] = [
            [Q.WITHHELD] if i and len(s) else [Q.WITHHELD_FREE_TEXT] if f and len(s) else s
            for i, f, s in zip(identifying, free_text, r["sample"], strict=True)
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
