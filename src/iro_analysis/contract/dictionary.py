"""The generated part of `docs/data-dictionary.md`: the DfE contract by collection year.

Everything between the markers below is written from `iro_analysis.contract` and
the contract modules (`make docs` or `python -m iro_analysis.contract.dictionary`); a test checks
that the committed file is current, so the dictionary can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from iro_analysis.contract import codes as C
from iro_analysis.contract import codes_by_year_markdown, contract_years, load_contract
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.core import paths

BEGIN = "<!-- generated from src/iro_analysis/contract: begin -->"
END = "<!-- generated from src/iro_analysis/contract: end -->"
DICTIONARY = paths.DOCS_DIR / "data-dictionary.md"
CODED = (
    ("header", "SEX"),
    ("header", "ETHNIC"),
    ("episodes", "RNE"),
    ("episodes", "LS"),
    ("episodes", "CIN"),
    ("episodes", "PLACE"),
    ("episodes", "PLACE_PROVIDER"),
    ("episodes", "REC"),
    ("episodes", "REASON_PLACE_CHANGE"),
    ("reviews", "REVIEW_CODE"),
    ("oc2", "SDQ_REASON"),
    ("cin_children", "Sex"),
    ("cp_plans", "LatestCategoryOfAbuse"),
)


# The IRO extracts' code lists (the project's own, the same every year): (title, file,
# column, code -> meaning).
IRO_CODE_LISTS = (
    ("Meeting type", "meetings.csv", "meeting_type", C.MEETING_TYPE_LABELS),
    (
        "Reason a meeting was rearranged",
        "meetings.csv",
        "rearranged_reason",
        C.REARRANGED_REASON_LABELS,
    ),
    ("Dispute theme", "disputes.csv", "theme", C.DISPUTE_THEME_LABELS),
    ("Dispute stage", "disputes.csv", "highest_stage", C.DISPUTE_STAGE_LABELS),
    ("Dispute outcome (blank while open)", "disputes.csv", "outcome", C.DISPUTE_OUTCOME_LABELS),
    ("Footprint type", "footprints.csv", "footprint_type", C.FOOTPRINT_TYPE_LABELS),
    ("Feedback respondent", "feedback.csv", "respondent", C.FEEDBACK_RESPONDENT_LABELS),
    (
        "Feedback rating (blank: no rating given)",
        "feedback.csv",
        "rating",
        {r: {1: "Worst", 5: "Best"}.get(r, "") for r in C.FEEDBACK_RATINGS},
    ),
)


def iro_codes_section() -> list[str]:
    """The IRO extracts' code lists as Markdown lines (a code outside its list quarantines
    the row)."""
    out = [
        "### Code lists of the IRO extracts",
        "",
        "The same in every year. Codes are read case-insensitively and without surrounding "
        "spaces; a code outside its list quarantines the row (a figure reads every one).",
    ]
    for title, file, column, labels in IRO_CODE_LISTS:
        out += ["", f"#### {title} (`{column}`, `iro/{file}`)", "", "| code | meaning |"]
        out.append("|---|---|")
        out += [f"| `{code}` | {meaning} |" for code, meaning in labels.items()]
    return out


def _label(y: int) -> str:
    return f"{y - 1}/{str(y)[2:]}"


def contract_section() -> str:
    """The generated Markdown (without the markers)."""
    years = contract_years()
    latest = load_contract(years[-1])
    out = [
        f"Collection years with a contract: {_label(years[0])} to {_label(years[-1])} "
        "(one file each in `src/iro_analysis/contract/`, with its sources).",
        "",
        "### Columns of the 903 tables",
        "",
        "A file must have the required columns; an optional column it leaves out is read as "
        "blank (with a warning) and a column the table does not have is ignored (with a "
        "warning naming it).",
        "",
        "| table | required columns | optional columns |",
        "|---|---|---|",
    ]
    for name in R.SSDA903_TABLES:
        t = latest.tables[name]
        opt = [c for c in t.columns if c in t.optional]
        out.append(f"| {name} | {', '.join(t.required_columns)} | {', '.join(opt) or '(none)'} |")
    out += [
        "",
        "### What a code outside its year's list does",
        "",
        "| column | a code outside the year's list |",
        "|---|---|",
    ]
    for table, column in CODED:
        if column in Q.WARN_ONLY_COLUMNS:
            effect = "warning: the row is kept, the value kept as written (no figure reads it)"
        else:
            effect = "the row is quarantined (a figure or breakdown reads this column)"
        out.append(f"| `{column}` ({table}) | {effect} |")
    for table, column in CODED:
        out += ["", f"### `{column}` ({table}) by collection year", ""]
        out.append(codes_by_year_markdown(table, column))
    out += ["", *iro_codes_section()]
    return "\n".join(out)


def render(text: str) -> str:
    """`text` (the dictionary) with its generated section replaced by the current one."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"the data dictionary has no '{BEGIN}' ... '{END}' section")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{contract_section()}\n{END}{tail}"


def main(path: Path = DICTIONARY) -> int:
    """Rewrite the generated section of the data dictionary in place."""
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
