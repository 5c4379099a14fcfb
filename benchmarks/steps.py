"""One measured step of the benchmark, run in its own fresh process by benchmarks/run.py.

`python benchmarks/steps.py STEP [ARGS...]` prints one JSON object (internal stage timings
and row counts) as its last stdout line. Each step imports only what it needs, so the
import costs it pays are the ones a real run pays.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def step_generate(out: str, years: str, size: str, scale: str) -> dict:
    """Demo-data generation: `years` like 2016-2022; `scale` "-" to use `size`."""
    t0 = time.perf_counter()
    from iro_analysis.core.settings import parse_year_range
    from iro_analysis.demo import generate

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    generate(
        Path(out),
        parse_year_range(years),
        size=size,
        scale=None if scale == "-" else int(scale),
    )
    files = [f for f in Path(out).rglob("*") if f.is_file()]
    return {
        "import_s": t_import,
        "generate_s": time.perf_counter() - t1,
        "bytes": sum(f.stat().st_size for f in files),
    }


def step_pipeline(raw_dir: str, year: str) -> dict:
    """Clean (every year folder of `raw_dir`, parquet written), validate and every KPI
    and breakdown for `year`: what `iro-analysis clean/validate/kpis` do, in one process."""
    year_i = int(year)
    out: dict = {}
    t0 = time.perf_counter()
    from iro_analysis.ingest.clean import run_clean

    out["import_s"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="iro-bench-processed-") as processed:
        t = time.perf_counter()
        ds = run_clean(year_i, Path(raw_dir), Path(processed))
        out["clean_s"] = time.perf_counter() - t
        t = time.perf_counter()
        from iro_analysis.ingest.cache import cache_dir_of
        from iro_analysis.validate.suites import validate_dataset

        # raw files too (#30), the census's tables as the cleaner read them (its parse cache)
        report = validate_dataset(
            ds, year_i, raw_dir=Path(raw_dir), cache_dir=cache_dir_of(Path(processed))
        )
        out["validate_s"] = time.perf_counter() - t
        out["validation_ok"] = bool(report.ok)
        t = time.perf_counter()
        from iro_analysis.kpis import compute_breakdowns, compute_kpis

        kpis = compute_kpis(ds, year_i)
        breakdowns = compute_breakdowns(ds, year_i)
        out["kpis_s"] = time.perf_counter() - t
    out["rows_read"] = int(ds.accounting["rows_read"].sum())
    out["rows_clean"] = int(sum(len(df) for df in ds.tables.values()))
    out["years"] = [int(y) for y in ds.years]
    out["kpis"] = int(len(kpis))
    out["breakdowns"] = len(breakdowns)
    return out


def step_workdays(n: str, loop_n: str) -> dict:
    """`working_days_between` on `n` random date pairs (median of 5 calls after a first,
    calendar-building one) against a per-row Python loop calling `numpy.busday_count` once
    per pair with the same bank-holiday calendar (on the first `loop_n` pairs, scaled to
    `n` if fewer; the loop's cost per row is constant). Both must agree."""
    import numpy as np

    from iro_analysis.kpis.calendar import _calendar_for, working_days_between

    n_i, loop_i = int(n), int(loop_n)
    rng = np.random.default_rng(7)
    base = np.datetime64("2016-04-01", "D")
    a = base + rng.integers(0, 6 * 365, n_i).astype("timedelta64[D]")
    b = a + rng.integers(-30, 400, n_i).astype("timedelta64[D]")
    t = time.perf_counter()
    fast = working_days_between(a, b)
    t_cold = time.perf_counter() - t  # includes building the bank-holiday calendar
    warm = []
    for _ in range(5):
        t = time.perf_counter()
        working_days_between(a, b)
        warm.append(time.perf_counter() - t)
    t_fast = sorted(warm)[len(warm) // 2]

    def loop(aa, bb) -> list[int]:
        cal = _calendar_for(aa, bb)
        res = []
        for x, y in zip(aa.tolist(), bb.tolist(), strict=True):
            if y >= x:
                res.append(int(np.busday_count(x + _ONE, y + _ONE, busdaycal=cal)))
            else:
                res.append(-int(np.busday_count(y + _ONE, x + _ONE, busdaycal=cal)))
        return res

    import datetime as dt

    _ONE = dt.timedelta(days=1)
    t = time.perf_counter()
    slow = loop(a[:loop_i], b[:loop_i])
    t_loop = time.perf_counter() - t
    if not np.array_equal(np.asarray(slow, dtype="float64"), fast[:loop_i]):
        raise SystemExit("working-day loop and vectorised results differ")
    return {
        "pairs": n_i,
        "loop_pairs": loop_i,
        "vectorised_s": t_fast,
        "vectorised_first_call_s": t_cold,
        "loop_s_measured": t_loop,
        "loop_s": t_loop * n_i / loop_i,
    }


def step_report_stage(stage: str, raw_dir: str, processed_dir: str, year: str) -> dict:
    """The work of one stage of `make report`, done in a fresh process as its notebook's
    kernel does it: "kernel" starts and stops a python3 Jupyter kernel (as papermill does
    per notebook); "clean", "validate" and "report" run the code of the clean, validate and
    report notebooks ("report": `report.prepare`, then `render_section` for every section,
    i.e. the KPIs and the charts). Import time of the stage is reported apart."""
    year_i = int(year)
    out: dict = {}
    t0 = time.perf_counter()
    if stage == "kernel":
        from jupyter_client.manager import start_new_kernel

        t = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        kc.wait_for_ready(timeout=60)
        out["kernel_start_s"] = time.perf_counter() - t
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        return out
    if stage == "clean":
        from iro_analysis.ingest import clean

        out["import_s"] = time.perf_counter() - t0
        t = time.perf_counter()
        clean.run_clean(year_i, Path(raw_dir), Path(processed_dir))
        out["work_s"] = time.perf_counter() - t
        return out
    if stage == "validate":
        from iro_analysis.validate import suites as validation

        out["import_s"] = time.perf_counter() - t0
        t = time.perf_counter()
        ds = validation.load_or_clean(year_i, Path(raw_dir), Path(processed_dir))
        with tempfile.TemporaryDirectory(prefix="iro-bench-val-") as tmp:
            report = validation.validate_dataset(ds, year_i, raw_dir=Path(raw_dir))
            validation.write_report(report, Path(tmp))
        out["work_s"] = time.perf_counter() - t
        return out
    if stage == "report":
        from iro_analysis import report

        out["import_s"] = time.perf_counter() - t0
        with tempfile.TemporaryDirectory(prefix="iro-bench-report-") as tmp:
            t = time.perf_counter()
            ctx = report.prepare(year_i, Path(raw_dir), Path(processed_dir), output_dir=Path(tmp))
            out["prepare_s"] = time.perf_counter() - t
            t = time.perf_counter()
            for section in report.SECTIONS:
                report.render_section(ctx, section.key)
            out["sections_s"] = time.perf_counter() - t
            t = time.perf_counter()
            report.write_outputs(ctx, Path(tmp))
            out["outputs_s"] = time.perf_counter() - t
        return out
    raise SystemExit(f"unknown report stage {stage!r}")


def step_floor(raw_dir: str) -> dict:
    """The floor: read every raw file of every year folder once, with nothing else done.

    CSVs with `pandas.read_csv` (all columns text); XML files (the CIN census, a 903 XML)
    streamed once with `xml.etree.ElementTree.iterparse`, which pandas itself has no
    streaming reader for, counting elements.
    """
    import xml.etree.ElementTree as ET

    t0 = time.perf_counter()
    import pandas as pd

    out: dict = {"import_s": time.perf_counter() - t0}
    t = time.perf_counter()
    rows = elements = files = size = 0
    for f in sorted(Path(raw_dir).glob("[0-9][0-9][0-9][0-9]/**/*")):
        if f.suffix.lower() == ".csv":
            rows += len(pd.read_csv(f, dtype=str, keep_default_na=False, encoding_errors="replace"))
        elif f.suffix.lower() == ".xml":
            for _, el in ET.iterparse(f, events=("end",)):
                elements += 1
                el.clear()
        else:
            continue
        files += 1
        size += f.stat().st_size
    out.update(read_s=time.perf_counter() - t, files=files, bytes=size, csv_rows=rows)
    out["xml_elements"] = elements
    return out


def step_read_cost(year_dir: str) -> dict:
    """What one year's raw files cost to read (issue #31: what DuckDB would win): its CSVs
    with pandas and with DuckDB (to Arrow), its CIN census streamed with ElementTree alone
    (the XML floor) and parsed by the package (`parts.cin_file_parts`)."""
    import xml.etree.ElementTree as ET

    import duckdb
    import pandas as pd

    from iro_analysis.ingest import parts

    folder = Path(year_dir)
    csvs, xml = sorted(folder.rglob("*.csv")), folder / "cin_census.xml"
    out: dict = {"csv_files": len(csvs), "csv_bytes": sum(f.stat().st_size for f in csvs)}
    t = time.perf_counter()
    out["csv_rows"] = sum(
        len(pd.read_csv(f, dtype=str, keep_default_na=False, encoding_errors="replace"))
        for f in csvs
    )
    out["csv_pandas_s"] = time.perf_counter() - t
    con = duckdb.connect()
    t = time.perf_counter()
    for f in csvs:
        con.read_csv(str(f), all_varchar=True, header=True, ignore_errors=True).to_arrow_table()
    out["csv_duckdb_s"] = time.perf_counter() - t
    if xml.is_file():
        out["xml_bytes"] = xml.stat().st_size
        t, n = time.perf_counter(), 0
        for _, el in ET.iterparse(xml, events=("end",)):
            n += 1
            el.clear()
        out["xml_iterparse_s"], out["xml_elements"] = time.perf_counter() - t, n
        t = time.perf_counter()
        parts.cin_file_parts(xml, xml.name, int(folder.name))
        out["xml_package_parse_s"] = time.perf_counter() - t
    return out


STEPS = {
    "read_cost": step_read_cost,
    "floor": step_floor,
    "report_stage": step_report_stage,
    "generate": step_generate,
    "pipeline": step_pipeline,
    "workdays": step_workdays,
}


def main(argv: list[str]) -> int:
    result = STEPS[argv[0]](*argv[1:])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
