"""`iro-analysis templates --out DIR` (`make templates`): what a council fills in to supply
its own IRO extracts (issue #30).

`DIR/iro/<extract>.csv` is one header-only CSV per IRO extract, its columns those of
`raw_files` in their order (one source of truth), and `DIR/README.md` says what each row
is, each column's meaning and values (`iro_columns`) and the codes of each coded column
(the data dictionary's code tables, `dictionary.IRO_CODE_LISTS`), with how to map the
council's own values to them (settings `code_map`). The CSVs are written through the
project's spreadsheet-safe rule (`core.cells`). Nothing is overwritten: a file already
there stops the command, naming it, so a year folder of real extracts is never emptied.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from iro_analysis.contract import raw_files as R
from iro_analysis.contract.dictionary import IRO_CODE_LISTS
from iro_analysis.contract.iro_columns import IRO_EXTRACTS, ROW, columns_markdown
from iro_analysis.core.cells import csv_safe_value
from iro_analysis.core.errors import InputError

README = "README.md"

INTRO = """# IRO extract templates

One CSV per IRO extract, header only, written by `iro-analysis templates` from the
package's data contract (`src/iro_analysis/contract/raw_files.py`), so the columns and
their order are exactly those the cleaner reads. Export each from your case-management
system (a report or query per file), keep the first line as it is, one row per record,
and put the files in `data/raw/<YEAR>/iro/` (`YEAR` is the year the reporting year ends:
`2022` holds 1 April 2021 to 31 March 2022). `docs/data-dictionary.md` and
`docs/adopting.md` say more.

- Comma separated, UTF-8 (or Windows-1252); a value holding a comma, a double quote or a
  line break is quoted as CSV does (`"..."`).
- Dates `DD/MM/YYYY` (ISO `YYYY-MM-DD` is also accepted); blank means unknown or not
  applicable. Flags `Y`/`N`.
- A required column must have a value in every row; a row that breaks a rule is
  quarantined (listed in the data-quality annex) and the rest of the file still counts.
- `meetings`, `disputes`, `workforce` and `pep` are the core extracts; the other four may
  be left out (the figures that need one are then "not supplied", never zero).
- Codes are matched ignoring case and surrounding spaces. If your system writes its own
  values ("LAC Review" for `CLA_REVIEW`), map them in `config/settings.yaml` rather than
  recoding by hand:

      code_map:
        meetings:
          meeting_type: {"LAC Review": CLA_REVIEW, "Initial CP Conference": ICPC}

  A value neither a code nor mapped quarantines its row, and the build names each such
  value, with its rows, in one line per file and column."""


def header_csv(table: str) -> str:
    """The header line of the extract's CSV (its columns, spreadsheet-safe)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        [csv_safe_value(c) for c in R.RAW_CSVS[table].columns]
    )
    return buf.getvalue()


def readme_text() -> str:
    """The README: how to fill the templates, then each extract's columns and codes."""
    codes: dict[tuple[str, str], tuple[str, dict]] = {
        (file.removesuffix(".csv"), column): (title, labels)
        for title, file, column, labels in IRO_CODE_LISTS
    }
    out = [INTRO]
    for table in IRO_EXTRACTS:
        optional = " (optional)" if table in R.OPTIONAL_IRO_EXTRACTS else ""
        out += ["", f"## `iro/{table}.csv`{optional}: {ROW[table]}", "", *columns_markdown(table)]
        for column in R.RAW_CSVS[table].columns:
            if (table, column) not in codes:
                continue
            title, labels = codes[(table, column)]
            out += ["", f"Codes of `{column}` ({title[0].lower() + title[1:]}):", ""]
            out += ["| code | meaning |", "|---|---|"]
            out += [f"| `{code}` | {meaning} |" for code, meaning in labels.items()]
    return "\n".join(out) + "\n"


def write_templates(out_dir: Path) -> list[Path]:
    """Write `out_dir/iro/<extract>.csv` for every IRO extract and `out_dir/README.md`;
    return the files written. InputError naming a file that is already there (nothing is
    written then)."""
    out_dir = Path(out_dir)
    files = {out_dir / R.RAW_CSVS[t].relpath: header_csv(t) for t in IRO_EXTRACTS}
    files[out_dir / README] = readme_text()
    there = [p for p in files if p.exists() or p.is_symlink()]
    if there:
        raise InputError(
            f"templates: {there[0]} already exists"
            + (f" (and {len(there) - 1} more)" if len(there) > 1 else "")
            + "; templates are written only to a folder without them, so no extract is overwritten"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return list(files)


def cli_main(args) -> int:
    """`iro-analysis templates --out DIR`."""
    written = write_templates(args.out)
    print(
        f"wrote {len(written) - 1} header-only IRO extract templates to {Path(args.out) / R.IRO_DIR}"
        f" and {Path(args.out) / README}",
        file=sys.stdout,
    )
    return 0
