"""The year's published and restricted KPI files and manifest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pandas as pd

from iro_analysis.core import paths
from iro_analysis.core.cells import keep_text
from iro_analysis.report.annex import hidden_kpis
from iro_analysis.report.context import ReportContext, manifest_parameters


# Sections whose body is bespoke; every other section uses `body.section_body`.
def published_kpis_csv(ctx: ReportContext) -> str:
    """The published kpis.csv: the exact file's rows and columns, but a KPI the report
    shows as c (`hidden_kpis`) has value, numerator and denominator c. Deterministic bytes."""
    from iro_analysis.kpis.engine import format_kpis
    from iro_analysis.kpis.workforce import STAFF_COUNTS
    from iro_analysis.report.suppression import STAFF_FEW, SUPPRESSED, few_staff

    hidden = hidden_kpis(ctx)
    lines = format_kpis(ctx.kpis, format="csv").splitlines(keepends=True)
    out = lines[:1]
    for line, row in zip(lines[1:], ctx.kpis.itertuples(index=False), strict=True):
        if row.kpi_id in STAFF_COUNTS and few_staff(pd.Series([row.value])).iloc[0]:
            # a count of one or two IROs: published as "fewer than 3" (staff, not children)
            cells = next(csv.reader([line]))
            cells[2] = STAFF_FEW
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow(cells)
            line = buf.getvalue()
        if row.kpi_id in hidden:
            # value, numerator and denominator become c; the other cells (England, rating)
            # are the row's own, quoted as the exact file quotes them
            cells = next(csv.reader([line]))
            cells[2:5] = [SUPPRESSED] * 3
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow(cells)
            line = buf.getvalue()
        out.append(line)
    return "".join(out)


def write_outputs(
    ctx: ReportContext, output_dir: Path | None = None, restricted_dir: Path | None = None
) -> dict[str, Path]:
    """Write the year's published kpis.csv, kpis.xlsx and manifest.json into `output_dir`
    (default reports/<YEAR>/), and the exact kpis.csv and kpis.xlsx, per-code counts
    unsuppressed, into `restricted_dir` (default restricted/<YEAR>/, never published)."""
    from iro_analysis.core import manifest
    from iro_analysis.kpis.engine import write_kpis

    out = Path(output_dir or ctx.output_dir or paths.report_year_dir(ctx.year.year))
    exact = Path(
        restricted_dir
        or ctx.restricted_dir
        or paths.restricted_year_dir(ctx.year.year, ctx.settings.paths.restricted)
    )
    out.mkdir(parents=True, exist_ok=True)
    exact.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path, man_path = out / "kpis.csv", out / "kpis.xlsx", out / "manifest.json"
    csv_path.write_bytes(published_kpis_csv(ctx).encode("utf-8"))
    write_kpis_xlsx(ctx, xlsx_path)
    write_kpis(ctx.kpis, exact / "kpis.csv", format="csv")
    write_kpis_xlsx(ctx, exact / "kpis.xlsx", exact=True)
    manifest.write_manifest(
        manifest.build_manifest(ctx.year.year, manifest_parameters(ctx), ctx.dataset.supplied),
        man_path,
    )
    return {
        "kpis.csv": csv_path,
        "kpis.xlsx": xlsx_path,
        "manifest.json": man_path,
        "restricted kpis.csv": exact / "kpis.csv",
        "restricted kpis.xlsx": exact / "kpis.xlsx",
    }


def write_kpis_xlsx(ctx: ReportContext, path: Path, exact: bool = False) -> None:
    """kpis.xlsx: this year's KPIs with titles, and the history of every year for trends.

    Unless `exact`, as published: this year's KPIs that the report shows as c have value,
    numerator and denominator c, and the history leaves out every per-code KPI (a
    breakdown's cell), whose disclosure control is worked out for this year only. Text a
    spreadsheet could read as a formula stays a text cell (`core.cells.keep_text`).
    """
    from iro_analysis.kpis.workforce import STAFF_COUNTS
    from iro_analysis.report.suppression import STAFF_FEW, SUPPRESSED, few_staff

    cur = ctx.kpis.copy()
    history = ctx.history
    if not exact:
        hidden = cur["kpi_id"].isin(hidden_kpis(ctx)).to_numpy()
        for col in ("value", "numerator", "denominator"):
            cur[col] = cur[col].astype(object)
            cur.loc[hidden, col] = SUPPRESSED
        per_code = [bool(getattr(ctx.definitions.get(k), "pattern", "")) for k in history["kpi_id"]]
        history = history.loc[[not p for p in per_code]].copy()
        for frame in (cur, history):  # one or two IROs: "fewer than 3" (staff counts)
            few = frame["kpi_id"].isin(STAFF_COUNTS) & few_staff(frame["value"])
            frame["value"] = frame["value"].astype(object)
            frame.loc[few, "value"] = STAFF_FEW
    cur.insert(1, "title", [ctx.title(k) for k in cur["kpi_id"]])
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        cur.to_excel(xl, sheet_name=f"KPIs {ctx.year.slug}", index=False)
        history.to_excel(xl, sheet_name="All years", index=False)
        for ws in xl.sheets.values():
            keep_text(ws)
        xl.book.properties.creator = "iro-analysis"
    pin_xlsx_times(path, build_time(ctx.year.year))


def build_time(year: int) -> dt.datetime:
    """The time stamped into built files: `SOURCE_DATE_EPOCH` when set, else midnight UTC
    at the start of 31 March of the reporting year (from the data, never the clock)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime(year, 3, 31, tzinfo=dt.UTC)


_CORE_TIME = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def pin_xlsx_times(path: Path, when: dt.datetime) -> None:
    """Rewrite a workbook so that its bytes do not depend on when it was written: the
    document's created and modified times and every zip entry's time become `when`
    (openpyxl stamps both with the clock)."""
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = max(when.astimezone(dt.UTC).timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(rf"\g<1>{stamp}\g<3>", data.decode("utf-8")).encode("utf-8")
            pinned = zipfile.ZipInfo(info.filename, date_time=date_time)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            zout.writestr(pinned, data)
    tmp.replace(path)
