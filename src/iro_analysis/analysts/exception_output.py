"""Writing the exception lists to `restricted/<YEAR>/exceptions/`: one Excel workbook and one
CSV per list, never under reports/ (they name children). Managers open both in a
spreadsheet: a cell that could be read as a formula is escaped (`core.cells`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from iro_analysis.analysts.exception_set import EXCEPTION_LISTS, missing_inputs
from iro_analysis.core import paths
from iro_analysis.core.cells import csv_safe, keep_text
from iro_analysis.core.errors import InputError
from iro_analysis.core.years import ReportingYear
from iro_analysis.kpis.context import KpiContext
from iro_analysis.report.outputs import build_time, pin_xlsx_times

EXCEPTIONS_FOLDER = "exceptions"
RESTRICTED_NOTE = (
    "Child-level: restricted. Do not publish, attach to committee papers or copy outside "
    "the IRO service."
)
_MAX_WIDTH = 60
DATE_FORMAT = "DD/MM/YYYY"


def exceptions_dir(year: int, restricted_dir: Path | None = None) -> Path:
    """`restricted/<YEAR>/exceptions/` (`restricted_dir` defaults to paths.RESTRICTED_DIR)."""
    return paths.restricted_year_dir(int(year), restricted_dir) / EXCEPTIONS_FOLDER


def check_not_published(folder: Path, reports_dirs: list[Path]) -> None:
    """Refuse (InputError) a restricted folder inside, or equal to, a reports folder: what
    lies under reports/ may be published, and the lists name children."""
    target = Path(folder).resolve()
    for rep in reports_dirs:
        r = Path(rep).resolve()
        if target == r or r in target.parents:
            raise InputError(
                f"the restricted folder {folder} is inside the reports folder {rep}; child-level "
                "exception lists are never written where reports are published. Use a folder "
                "outside it (default: restricted/)"
            )


def workbook_name(as_at: pd.Timestamp) -> str:
    return f"exceptions-{pd.Timestamp(as_at).date().isoformat()}.xlsx"


def csv_name(key: str, as_at: pd.Timestamp) -> str:
    return f"{key}-{pd.Timestamp(as_at).date().isoformat()}.csv"


def dated(name: str, as_at: pd.Timestamp) -> bool:
    """Whether `name` is a workbook or CSV of the lists taken at `as_at`: what a write at
    that date replaces (a report build owns those at 31 March, and no others)."""
    iso = pd.Timestamp(as_at).date().isoformat()
    return name.endswith((f"-{iso}.xlsx", f"-{iso}.csv"))


def _csv_text(df: pd.DataFrame) -> str:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return csv_safe(out).to_csv(index=False, lineterminator="\n")


def _about(ctx: KpiContext, lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    ry = ReportingYear(ctx.year)
    rows = [
        ("As at", pd.Timestamp(ctx.end).date().isoformat()),
        ("Reporting year", ry.label),
        (
            "Conferences held late",
            f"held from {ctx.start.date().isoformat()} to {ctx.end.date().isoformat()}",
        ),
        ("Years of data read", ", ".join(map(str, ctx.ds.years))),
        ("Restricted", RESTRICTED_NOTE),
        ("", ""),
    ]
    gaps = missing_inputs(ctx)
    for key, e in EXCEPTION_LISTS.items():
        if key in lists:
            df = lists[key]
            n = f"{df['child_id'].nunique()} children, {len(df)} rows"
        else:
            n = f"not produced: {', '.join(gaps[key])} not supplied for {ctx.year}"
        rows.append((e.sheet, f"{n}. {e.rule}."))
    rows.append(("", ""))
    rows.append(("Rules", "docs/analysts-guide.md and `help(iro_analysis.analysts.exceptions)`"))
    return pd.DataFrame(rows, columns=["item", "value"])


def _format_sheet(ws, frame: pd.DataFrame, *, table: bool = True) -> None:
    """Header row frozen, autofilter over the table, widths from the longest value."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = Font(bold=True)
    if table:
        ws.freeze_panes = "A2"
        last = get_column_letter(max(len(frame.columns), 1))
        ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    else:
        for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, col in enumerate(frame.columns, start=1):
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            longest = 10
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = DATE_FORMAT
        else:
            lengths = s.astype("string").str.len()
            longest = int(lengths.max()) if len(s) and lengths.notna().any() else 0
        ws.column_dimensions[get_column_letter(i)].width = min(
            max(len(str(col)), longest) + 2, _MAX_WIDTH
        )


def write_workbook(ctx: KpiContext, lists: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """One workbook: an "About" sheet (date, rules, counts, lists not produced), then a sheet
    per list with its header frozen, an autofilter and column widths fitted (openpyxl);
    dates shown as DD/MM/YYYY. Text that a spreadsheet could read as a formula (an id
    such as "=1+1") is kept a text cell (`core.cells.keep_text`). Its times are pinned as
    kpis.xlsx's are (`report.outputs.pin_xlsx_times`), so its bytes follow its lists."""
    about = _about(ctx, lists)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        about.to_excel(xl, sheet_name="About", index=False)
        keep_text(xl.sheets["About"])
        _format_sheet(xl.sheets["About"], about, table=False)
        for key, df in lists.items():
            sheet = EXCEPTION_LISTS[key].sheet
            df.to_excel(xl, sheet_name=sheet, index=False)
            keep_text(xl.sheets[sheet])
            _format_sheet(xl.sheets[sheet], df)
        book = xl.book
        book.properties.creator = "iro-analysis"
        book.properties.title = f"IRO exception lists at {pd.Timestamp(ctx.end).date()}"
    pin_xlsx_times(path, build_time(ctx.year))  # the same lists, the same bytes
    return path


def write_exception_lists(
    ctx: KpiContext, lists: Mapping[str, pd.DataFrame], out_dir: Path
) -> dict[str, Path]:
    """Write the workbook and one CSV per list (ISO dates, UTF-8, "\\n" line ends, a
    cell that could be read as a formula prefixed with `'`: `core.cells`) into `out_dir`,
    named with the as-at date. The files are staged in a hidden folder beside them and
    moved into place only when all are written; earlier files for the same date (a list
    no longer produced) are removed. Returns {key or "workbook": path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        names = {"workbook": workbook_name(ctx.end)}
        write_workbook(ctx, lists, staging / names["workbook"])
        for key, df in lists.items():
            names[key] = csv_name(key, ctx.end)
            (staging / names[key]).write_bytes(_csv_text(df).encode("utf-8"))
        keep = set(names.values())
        for key in EXCEPTION_LISTS:
            old = out_dir / csv_name(key, ctx.end)
            if old.name not in keep and old.exists():
                old.unlink()
        written = {}
        for key, name in names.items():
            os.replace(staging / name, out_dir / name)
            written[key] = out_dir / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
