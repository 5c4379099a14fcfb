"""`make bench` (after run.py): a region of 150 England-size councils (issue 19).

Generates 150 demo councils whose children looked after at 31 March sum to about 84,000
(England), sizes lognormal like English councils'; then measures, each in a fresh process
(wall time and peak memory of the whole process tree, benchmarks/run.py `measure`):

1. the per-council run in parallel: `iro-analysis region --year 2022 --workers 2`, as
   `make region` runs it (`region.run.run_region` and the benchmarking report; each council
   cleaned, its critical checks, its KPIs; two worker processes);
2. writing the pooled store: every council's clean tables, read back from that run's
   processed parquet, as parquet partitioned by council and year (`region.pooled`);
3. the pooled KPIs: `region.pooled.pooled_kpis`, DuckDB SQL over the whole store;

checks that every SQL KPI equals the per-council run's (pandas engine) figure for every
council and the region, and writes its section of benchmarks/results.md (replacing the
section of a previous run; run.py rewrites the rest of the file).

Usage: python benchmarks/region.py [--work DIR] [--out FILE] [--councils 150]
Data goes under --work (default $BENCH_DIR/region or /tmp/iro-bench/region), never data/raw;
generated councils are reused when the same parameters generated them before.
`python benchmarks/region.py step NAME ARGS...` runs one measured step (internal).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, _f, log, machine, measure, med  # noqa: E402

PY = sys.executable
YEAR = 2022
YEARS = [2021, 2022]  # the year and the history its KPIs need (reviews of the year before)
ENGLAND = 84_000  # children looked after at 31 March, England (DfE, about 84,000 in 2024)
SIGMA = 0.6  # lognormal spread of council sizes: smallest about 90, largest about 2,400
SEED = 19
POOLED_REPS = 3
TARGET_S, TARGET_MB = 120, 4096
START, END = "<!-- region-benchmark:start -->", "<!-- region-benchmark:end -->"


def council_sizes(n: int, total: int = ENGLAND, seed: int = SEED) -> list[int]:
    """`n` council sizes (children looked after at 31 March) summing to `total`: lognormal
    draws scaled to the total, at least 10 each, the rounding remainder on the largest."""
    import numpy as np

    x = np.random.default_rng(seed).lognormal(0.0, SIGMA, n)
    s = np.maximum(np.round(x / x.sum() * total), 10).astype(int)
    s[np.argmax(s)] += total - s.sum()
    return [int(v) for v in s]


# --------------------------------------------------------------------------------------
# Steps, each run in a fresh process: `region.py step NAME ARGS...` prints one JSON line
# --------------------------------------------------------------------------------------


def step_generate(raw: str, n: str, total: str) -> dict:
    from iro_analysis.region.councils import generate_region

    t = time.perf_counter()
    sizes = council_sizes(int(n), int(total))
    codes = generate_region(Path(raw), int(n), SEED, YEARS, sizes=sizes)
    files = [f for f in Path(raw).rglob("*") if f.is_file()]
    return {
        "generate_s": time.perf_counter() - t,
        "codes": codes,
        "bytes": sum(f.stat().st_size for f in files),
    }


def step_store(raw: str, store: str, pandas_csv: str) -> dict:
    """Clean each council (`build_dataset`, no parse cache) and write its partition of the
    store; then, untimed in `clean_s`/`write_s`, its pandas KPIs for the equality check."""
    import pandas as pd

    from iro_analysis.ingest.clean import build_dataset
    from iro_analysis.kpis import compute_kpis
    from iro_analysis.region.pooled import SQL_KPIS, write_council

    shutil.rmtree(store, ignore_errors=True)
    t_clean = t_write = t_kpis = 0.0
    codes = sorted(p.name for p in Path(raw).iterdir() if p.is_dir())
    rows = []
    for code in codes:
        t = time.perf_counter()
        ds = build_dataset(Path(raw) / code)
        t_clean += time.perf_counter() - t
        t = time.perf_counter()
        write_council(ds, code, Path(store))
        t_write += time.perf_counter() - t
        t = time.perf_counter()
        k = compute_kpis(ds, YEAR)
        rows.append(k.loc[k["kpi_id"].isin(SQL_KPIS)].assign(la_code=code))
        t_kpis += time.perf_counter() - t
    pd.concat(rows, ignore_index=True).to_csv(pandas_csv, index=False)
    files = list(Path(store).rglob("*.parquet"))
    return {
        "councils": len(codes),
        "clean_s": t_clean,
        "write_s": t_write,
        "pandas_kpis_s": t_kpis,
        "files": len(files),
        "bytes": sum(f.stat().st_size for f in files),
    }


def step_pooled(store: str, out_csv: str) -> dict:
    t0 = time.perf_counter()
    from iro_analysis.region.pooled import pooled_kpis

    laps: list[str] = []
    t = time.perf_counter()
    kpis = pooled_kpis(Path(store), YEAR, log=laps.append)
    total = time.perf_counter() - t
    kpis.to_csv(out_csv, index=False)
    import duckdb

    rows = duckdb.sql(
        f"SELECT COUNT(*) FROM read_parquet('{store}/episodes/*/*/*.parquet')"
    ).fetchall()[0][0]
    return {"import_s": t - t0, "query_s": total, "laps": laps, "episode_rows": int(rows)}


def step_profile(raw: str) -> dict:
    """One median-size council through the per-council run's stages (`council_kpis`), each
    timed, with cProfile's top functions by own time."""
    import cProfile
    import io
    import pstats
    import tempfile

    from iro_analysis.core.settings import settings_or_defaults
    from iro_analysis.ingest.clean import build_dataset
    from iro_analysis.ingest.processed import write_processed
    from iro_analysis.kpis import compute_kpis
    from iro_analysis.region.run import _hidden
    from iro_analysis.validate.suites import validate_dataset

    stamp = json.loads((Path(raw).parent / "generated.json").read_text())
    sizes = council_sizes(stamp["key"]["n"], stamp["key"]["total"])
    code = stamp["codes"][sorted(range(len(sizes)), key=sizes.__getitem__)[len(sizes) // 2]]
    settings = settings_or_defaults(None)
    stages: dict[str, float] = {}
    prof = cProfile.Profile()
    prof.enable()
    t = time.perf_counter()
    ds = build_dataset(Path(raw) / code)
    stages["clean"] = time.perf_counter() - t
    t = time.perf_counter()
    validate_dataset(ds, YEAR, settings).raise_for_critical()
    stages["critical checks"] = time.perf_counter() - t
    t = time.perf_counter()
    kpis = compute_kpis(ds, YEAR, settings)
    stages["KPIs"] = time.perf_counter() - t
    t = time.perf_counter()
    _hidden(ds, YEAR, settings, kpis)
    stages["disclosure rule (breakdowns)"] = time.perf_counter() - t
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_processed(ds, Path(tmp) / "p")
    stages["write parquet"] = time.perf_counter() - t
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(6)
    top = [ln.strip() for ln in buf.getvalue().splitlines() if "{" in ln or ".py:" in ln]
    return {
        "code": code,
        "size": sizes[stamp["codes"].index(code)],
        "stages": stages,
        "top": top[:6],
    }


STEPS = {
    "generate": step_generate,
    "store": step_store,
    "pooled": step_pooled,
    "profile": step_profile,
}


# --------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------


def region_command(raw: Path, run_dir: Path) -> list[str]:
    """`iro-analysis region --year YEAR --workers 2` as make runs it (`make region`), its
    processed, reports and restricted folders in `run_dir` (a settings file there)."""
    from run import _settings_file

    run_dir.mkdir(parents=True, exist_ok=True)
    settings = _settings_file(run_dir, raw)
    cli = str(Path(PY).parent / "iro-analysis")
    return [cli, "region", "--year", str(YEAR), "--workers", "2", "--settings", str(settings)]


def _step(name: str, *args: str):
    return measure([PY, str(Path(__file__).resolve()), "step", name, *args])


def generate(work: Path, n: int, total: int) -> dict:
    """The region's raw folder, generated unless the same parameters generated it."""
    raw = work / "raw"
    stamp_file = work / "generated.json"
    key = {"n": n, "total": total, "sigma": SIGMA, "seed": SEED, "years": YEARS}
    if stamp_file.is_file() and raw.is_dir():
        stamp = json.loads(stamp_file.read_text())
        if stamp.get("key") == key:
            log(f"reusing the {n} councils generated in {raw}")
            return stamp | {"reused": True}
    shutil.rmtree(raw, ignore_errors=True)
    log(f"generating {n} councils into {raw} (several minutes)")
    r = _step("generate", str(raw), str(n), str(total))
    stamp = {"key": key, "wall_s": r.wall_s, "peak_mb": r.tree_peak_mb} | r.result
    stamp_file.write_text(json.dumps(stamp, indent=1))
    return stamp


def bench(work: Path, n: int, total: int, saved: Path, info: dict) -> dict:
    """Store and pooled KPIs first, then the (long) per-council run; the measurements are
    saved after each part, so `--render-only` can write what finished."""
    work.mkdir(parents=True, exist_ok=True)
    m: dict = {"info": info, "sizes": council_sizes(n, total), "gen": generate(work, n, total)}
    store, pandas_csv = work / "store", work / "pandas_kpis.csv"
    log("cleaning each council into the pooled store (one process)")
    r = _step("store", str(work / "raw"), str(store), str(pandas_csv))
    m["store"] = r.__dict__ | {"stdout": ""}
    log(f"store written: {r.wall_s:.0f} s")
    m["pooled"] = []
    for i in range(POOLED_REPS):
        r = _step("pooled", str(store), str(work / "pooled_kpis.csv"))
        m["pooled"].append(r.__dict__ | {"stdout": ""})
        log(f"pooled KPIs #{i + 1}: {r.wall_s:.1f} s, {r.tree_peak_mb:.0f} MB")
    m["check"] = compare(work / "pooled_kpis.csv", pandas_csv)
    log(f"SQL vs pandas: {m['check']['compared']} rows, {len(m['check']['differ'])} differ")
    saved.write_text(json.dumps(m, indent=1))
    run_dir = work / "run"
    shutil.rmtree(run_dir, ignore_errors=True)  # a cold run: no parse cache
    log("`iro-analysis region`, 2 workers")
    r = measure(region_command(work / "raw", run_dir))
    m["run"] = r.__dict__ | {"stdout": ""}
    log(f"per-council run: {r.wall_s:.0f} s, {r.tree_peak_mb:.0f} MB")
    m["profile"] = _step("profile", str(work / "raw")).result
    return m


def compare(pooled_csv: Path, pandas_csv: Path) -> dict:
    """Every SQL KPI row against the pandas engine's (`compute_kpis` per council; the
    region's row pooled from them with `rate`, as the SQL pools)."""
    import pandas as pd

    from iro_analysis.kpis import KPI_DEFINITIONS, rate
    from iro_analysis.kpis.registry import ratio_per

    cols = ["value", "numerator", "denominator"]
    sql = pd.read_csv(pooled_csv, dtype={"la_code": str})
    ref = pd.read_csv(pandas_csv, dtype={"la_code": str})[["la_code", "kpi_id", *cols]]
    g = ref.groupby("kpi_id", sort=False)[cols].sum(min_count=1).reset_index()
    for i, r in g.iterrows():  # one row per KPI
        if KPI_DEFINITIONS[r["kpi_id"]].unit != "count":
            v = rate(r["numerator"], r["denominator"], per=ratio_per(r["kpi_id"]))
            g.loc[i, "value"] = float("nan") if v is None else v
    ref = pd.concat([ref, g.assign(la_code="region")], ignore_index=True)
    m = sql.merge(ref, on=["la_code", "kpi_id"], how="outer", suffixes=("", "_pandas"))
    differ = []
    for r in m.itertuples(index=False):  # a few thousand KPI rows, not child rows
        a = [getattr(r, c) for c in cols]
        b = [getattr(r, f"{c}_pandas") for c in cols]
        if any(not ((pd.isna(x) and pd.isna(y)) or x == y) for x, y in zip(a, b, strict=True)):
            differ.append([r.la_code, r.kpi_id, *map(str, a), *map(str, b)])
    return {"compared": len(m), "differ": differ}


def section(m: dict, info: dict) -> str:
    sizes = sorted(m["sizes"])
    store, pooled, run = m["store"], m["pooled"], m.get("run")
    st = store["result"]
    p_wall = med(p["wall_s"] for p in pooled)
    p_peak = max(p["tree_peak_mb"] for p in pooled)
    q = pooled[0]["result"]
    c = m["check"]
    n = len(sizes)
    target = f"<= {TARGET_S} s, <= {TARGET_MB // 1024} GB"

    def met(wall: float, peak: float) -> str:
        return "yes" if wall <= TARGET_S and peak <= TARGET_MB else "no"

    run_row = (
        f"| per-council run in parallel (`iro-analysis region`, 2 workers: each council cleaned, its "
        f"critical checks, KPIs and disclosure rule) | 1 | {_f(run['wall_s'])} | "
        f"{run['tree_peak_mb']:,.0f} | {target} | {met(run['wall_s'], run['tree_peak_mb'])} |"
        if run
        else f"| per-council run in parallel (`iro-analysis region`, 2 workers): not finished when "
        f"this section was written | | | | {target} | ? |"
    )
    L = [
        START,
        f"## Region: {n} councils, England in total (issue 19)",
        "",
        "Written by `make bench` (benchmarks/region.py, after run.py); do not edit by hand.",
        "",
        f"{info['date']}, commit {info['commit']}, {info['cores']} cores, {info['memory']}; "
        f"load average at start {info['load']}, at end {m.get('load_end', '?')}.",
        "",
        f"{n} demo councils (`region.councils.generate_region`, each with its own practice), "
        f"children looked after at 31 March drawn lognormal (sigma {SIGMA}) and scaled to "
        f"{sum(sizes):,} in all (England: about 84,000): smallest {sizes[0]}, median "
        f"{sizes[n // 2]}, largest {sizes[-1]}. Years {YEARS[0]}-{YEARS[-1]} (the KPIs of "
        f"{YEAR} need the year before's reviews). Generation (not part of the target): "
        f"{m['gen']['wall_s'] / 60:.1f} min, {m['gen']['peak_mb']:,.0f} MB, "
        f"{m['gen']['bytes'] / 1e6:,.0f} MB of raw files"
        + (" (measured when they were generated)." if m["gen"].get("reused") else "."),
        "",
        f"The region's pooled figures for {YEAR} (SQL, equal to pandas): "
        f"{m.get('region_figures', '?')}.",
        "",
        "| measurement | runs | wall (s) | peak memory (MB) | target | met |",
        "|---|---|---|---|---|---|",
        f"| pooled KPIs, DuckDB SQL over the whole store (`pooled_kpis`, {n} councils) | "
        f"{len(pooled)} | {_f(p_wall)} | {p_peak:,.0f} | {target} | {met(p_wall, p_peak)} |",
        run_row,
        f"| cleaning every council and writing the store, one process (`build_dataset`, "
        f"`write_council`) | 1 | {_f(st['clean_s'] + st['write_s'])} | "
        f"{store['tree_peak_mb']:,.0f} | | |",
        "",
        f"The store: {st['files']:,} parquet files, {st['bytes'] / 1e6:,.0f} MB, "
        f"{q['episode_rows']:,} episode rows; cleaning {st['clean_s']:.0f} s and writing "
        f"{st['write_s']:.0f} s of that step (its wall time also holds "
        f"{st['pandas_kpis_s']:.0f} s of pandas KPIs for the check below). Peak memory is "
        "the largest sum of resident memory over the step's process tree; the pooled figure "
        f"is the median of {len(pooled)} fresh processes, imports "
        f"({q['import_s']:.1f} s) included.",
        "",
        f"Where the pooled query's time goes (first run, {q['query_s']:.1f} s in "
        "`pooled_kpis`): " + "; ".join(q["laps"]) + ".",
        "",
        f"**Same figures as the pandas engine:** {c['compared']:,} rows (every SQL KPI for "
        "every council, and the region pooled from the councils' pandas rows) compared "
        f"with `compute_kpis`: {len(c['differ'])} differ.",
    ]
    if c["differ"]:
        L += [
            "",
            "Rows that differ (la_code, kpi_id, SQL value/num/den, pandas value/num/den):",
            "",
        ]
        L += [f"- {' '.join(d)}" for d in c["differ"][:20]]
    L += ["", *notes(m), END]
    return "\n".join(L)


FIGURES = {
    "cla_at_31_march": "children looked after at 31 March",
    "cla_during_year": "looked after during the year",
    "cla_reviews_held": "looked-after reviews",
    "cla_reviews_on_time_pct": "% of reviews on time",
    "cp_plans_at_31_march": "children on CP plans at 31 March",
    "icpc_within_15wd_pct": "% of ICPCs within 15 working days",
}


def region_figures(pooled_csv: Path) -> str:
    """The region's pooled SQL figures, in words (what the generated data hold)."""
    import pandas as pd

    k = pd.read_csv(pooled_csv, dtype={"la_code": str})
    r = k.loc[k["la_code"].eq("region")].set_index("kpi_id")["value"]
    return "; ".join(f"{r[kid]:,g} {label}" for kid, label in FIGURES.items() if kid in r)


def write_section(out: Path, text: str) -> None:
    """Replace this benchmark's section of `out`, or append it."""
    old = out.read_text(encoding="utf-8") if out.is_file() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    out.write_text(new, encoding="utf-8")


def notes(m: dict) -> list[str]:
    """Plain-words reading of the targets."""
    pooled, run = m["pooled"], m.get("run")
    p_wall = med(p["wall_s"] for p in pooled)
    p_peak = max(p["tree_peak_mb"] for p in pooled)
    n = len(m["sizes"])
    ok = p_wall <= TARGET_S and p_peak <= TARGET_MB
    out = [
        f"**Pooled KPIs: target {'met' if ok else 'missed'}** ({p_wall:.0f} s, "
        f"{p_peak:,.0f} MB). Once each council's clean tables are in the store (a council "
        "writes its partition when it is cleaned), the region's KPIs are one DuckDB run "
        "over the store.",
        "",
    ]
    prof = m.get("profile")
    clean = m["store"]["result"]["clean_s"] / n
    if prof:
        clean = min(clean, prof["stages"]["clean"])
    if clean * n / 2 > TARGET_S:
        out += [
            f"Cleaning alone costs about {clean:.1f} s of one core per council (median "
            f"council, profile below), so {n} councils need at least {clean * n / 2:.0f} s on "
            f"two cores before any check or KPI: the per-council route cannot meet "
            f"{TARGET_S} s here. The pooled route pays cleaning once per council, when its "
            "data change, and the region's KPIs then take seconds.",
            "",
        ]
    if run and (run["wall_s"] > TARGET_S or run["tree_peak_mb"] > TARGET_MB):
        per = run["wall_s"] * 2 / n
        out += [
            f"**Per-council run: target missed** ({run['wall_s'] / 60:.1f} min). {n} councils "
            f"on two workers is about {per:.1f} s of one core per council: each council is "
            "cleaned from its raw files (the census XML and 903 read in Python), its "
            "critical validation checks run (the suites in pandas, `validate.pandas_suites`: "
            "no Great Expectations in a worker since issue #31), then every KPI and the "
            "breakdowns its disclosure rule needs; each worker process pays the imports "
            f"once. The cost per council, times {n}, is most of it; two cores give at most "
            "2x.",
            "",
        ]
    if prof:
        total = sum(prof["stages"].values())
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in prof["stages"].items())
        out += [
            f"Profile of one median council ({prof['code']}, {prof['size']} children looked "
            f"after) through the per-council run's stages, one process: {parts} "
            f"({total:.1f} s, imports not counted). The critical checks are the suites "
            "evaluated in pandas, held equal to Great Expectations by the tests (before issue "
            "#31 they were GX's first validation in each worker, 13 s of set-up); over the "
            "whole run the average is "
            f"{run['wall_s'] * 2 / n:.1f} s of one core per council for every stage. Top "
            "functions by own time (cProfile):"
            if run
            else f"({total:.1f} s, imports not counted). Top functions by own time (cProfile):",
            "",
            "```",
            *(re.sub(r"\S*/(site-packages|python3\.\d+)/", "", ln) for ln in prof["top"]),
            "```",
            "",
        ]
    load = max(float(x) for x in [m["info"]["load"].split()[0], m.get("load_end", "0").split()[0]])
    if load > 2:
        out += [
            f"The machine was shared while this ran (load average up to {load:.1f} on 2 "
            "cores), so every time above is longer than on an idle machine.",
            "",
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["step"]:
        print(json.dumps(STEPS[argv[1]](*argv[2:])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("BENCH_DIR", "/tmp/iro-bench")) / "region"
    ap.add_argument("--work", type=Path, default=default)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    ap.add_argument("--councils", type=int, default=150)
    ap.add_argument("--total", type=int, default=ENGLAND, help="children looked after in all")
    ap.add_argument(
        "--render-only", action="store_true", help="rewrite the section from the last run"
    )
    args = ap.parse_args(argv)
    saved = args.work / "measurements.json"
    if args.render_only:
        m = json.loads(saved.read_text())
    else:
        info = machine()
        m = bench(args.work, args.councils, args.total, saved, info)
        m["load_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        saved.write_text(json.dumps(m, indent=1))
    if (args.work / "pooled_kpis.csv").is_file():
        m["region_figures"] = region_figures(args.work / "pooled_kpis.csv")
    write_section(args.out, section(m, m["info"]))
    log(f"written the region section of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
