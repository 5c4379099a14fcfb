"""`make bench`: measure the pipeline at council and England scale; write benchmarks/results.md.

Every measured step runs in a fresh Python process (benchmarks/steps.py, or the
`iro-analysis report` command), so import costs and peak memory are those of a real run.
Peak memory is the largest sum of resident memory over the step's whole process tree
(sampled every 50 ms; the cleaner reads large folders in worker processes), and the
largest single process's peak (`ru_maxrss` from wait4). Figures are medians.

Usage: python benchmarks/run.py [--quick] [--work DIR] [--out FILE] [--render-only]
  --quick        skip England size (small and medium only) and the region of 150 councils
                 (benchmarks/region.py); the targets table says which rows were not run
  --only PARTS   e.g. targets (the ratios to the floor on the default demo); `region` runs
                 benchmarks/region.py (--councils N) and puts its rows in the same table
  --render-only  rewrite --out from the measurements the last run saved in --work
Data is generated under --work (default $BENCH_DIR or /tmp/iro-bench), never data/raw.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
STEPS = Path(__file__).resolve().parent / "steps.py"
CLI = Path(PY).parent / "iro-analysis"
YEARS = "2016-2022"  # seven reporting years
YEAR = 2022
ENGLAND = 84_000  # children looked after at 31 March, England (DfE, about 84,000 in 2024)
SIZES = {"small": None, "medium": None, "england": ENGLAND}
REPS = {"small": 3, "medium": 3, "england": 1}
REPS_ONE_YEAR = {"small": 3, "medium": 3, "england": 2}
REPORT_REPS = 3
WORKDAY_PAIRS = 1_000_000


# --------------------------------------------------------------------------------------
# Measuring one process
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    tree_peak_mb: float  # sampled sum of RSS over the process tree
    max_rss_mb: float  # peak RSS of the largest single process (ru_maxrss)
    result: dict = field(default_factory=dict)
    stdout: str = ""
    cpu_s: float = 0.0  # user + system CPU of the process and the children it waited for
    load_before: str = ""  # /proc/loadavg's 1, 5 and 15 minutes when it started and ended
    load_after: str = ""
    timeline: str = ""  # the output's lines, each with the seconds since the start


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree_rss_kb(pid: int) -> int:
    kids = _children()
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def measure(cmd: list[str], env: dict | None = None) -> Run:
    """Run `cmd` in a fresh process; wall time, peak memory and its JSON result line."""
    load_before = loadavg()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out_chunks: list[str] = []
    err_chunks: list[str] = []
    timeline: list[str] = []  # every line of output, with the seconds since the start

    def read(stream, chunks: list[str]) -> None:
        for line in stream:
            chunks.append(line)
            timeline.append(f"{time.perf_counter() - t0:7.1f} s  {line.rstrip()}")

    readers = [
        threading.Thread(target=read, args=(proc.stdout, out_chunks), daemon=True),
        threading.Thread(target=read, args=(proc.stderr, err_chunks), daemon=True),
    ]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = "".join(out_chunks), "".join(err_chunks)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{stderr[-3000:]}")
    result = {}
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if lines:
        result = json.loads(lines[-1])
    return Run(
        wall,
        peak[0] / 1024,
        usage.ru_maxrss / 1024,
        result,
        stdout + stderr,
        cpu_s=usage.ru_utime + usage.ru_stime,
        load_before=load_before,
        load_after=loadavg(),
        timeline="\n".join(timeline),
    )


def loadavg() -> str:
    """The load average over 1, 5 and 15 minutes."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def med(xs) -> float:
    return statistics.median(list(xs))


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------
# The four benchmarks
# --------------------------------------------------------------------------------------


def bench_generate(work: Path, sizes: list[str]) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {}
    for size in sizes:
        runs = []
        for i in range(REPS[size]):
            target = work / "raw" / size
            shutil.rmtree(target, ignore_errors=True)
            scale = str(SIZES[size]) if SIZES[size] else "-"
            size_arg = size if size in ("small", "medium") else "medium"
            run = measure([PY, str(STEPS), "generate", str(target), YEARS, size_arg, scale])
            log(f"generate {size} #{i + 1}: {run.wall_s:.1f} s, {run.tree_peak_mb:.0f} MB")
            runs.append(run)
        out[size] = runs
    return out


def one_year_dir(work: Path, size: str) -> Path:
    """A raw folder holding only YEAR's folder (a copy: the package refuses a linked one)."""
    d = work / "raw-one-year" / size
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    shutil.copytree(work / "raw" / size / str(YEAR), d / str(YEAR))
    return d


def bench_pipeline(work: Path, sizes: list[str]) -> dict[tuple[str, str], list[Run]]:
    out: dict[tuple[str, str], list[Run]] = {}
    for size in sizes:
        for scope, raw, reps in (
            ("one year", one_year_dir(work, size), REPS_ONE_YEAR[size]),
            ("7 years", work / "raw" / size, REPS[size]),
        ):
            runs = []
            for i in range(reps):
                run = measure([PY, str(STEPS), "pipeline", str(raw), str(YEAR)])
                r = run.result
                log(
                    f"pipeline {size} {scope} #{i + 1}: {run.wall_s:.1f} s (clean "
                    f"{r['clean_s']:.1f}, validate {r['validate_s']:.1f}, kpis "
                    f"{r['kpis_s']:.1f}), {run.tree_peak_mb:.0f} MB, {r['rows_read']} rows"
                )
                runs.append(run)
            out[(size, scope)] = runs
    return out


def profile_pipeline(work: Path, size: str, out: Path) -> None:
    """cProfile of the one-year pipeline at `size` (one run), top functions to `out`."""
    import io
    import pstats

    prof = work / f"pipeline-{size}.prof"
    raw = one_year_dir(work, size)
    measure([PY, "-m", "cProfile", "-o", str(prof), str(STEPS), "pipeline", str(raw), str(YEAR)])
    buf = io.StringIO()
    stats = pstats.Stats(str(prof), stream=buf)
    stats.strip_dirs()
    buf.write(
        f"cProfile of benchmarks/steps.py pipeline, {size} size, raw folder with {YEAR} only\n"
    )
    buf.write("(profiling roughly doubles the time of Python-level loops; read it for shares)\n")
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    text = "\n".join(ln.rstrip() for ln in buf.getvalue().splitlines())
    out.write_text(text.replace(str(ROOT) + "/", "").replace(str(work), "$BENCH_DIR") + "\n")
    log(f"profile written to {out}")


def bench_report(work: Path) -> dict:
    """`make report YEAR=2022` on medium (its recipe: `iro-analysis report --year 2022`),
    one untimed warm-up then REPORT_REPS timed builds, split by stage."""
    raw = work / "raw" / "medium"
    reports, processed = work / "reports", work / "processed"
    cmd = [
        str(CLI),
        "report",
        "--year",
        str(YEAR),
        "--raw-dir",
        str(raw),
        "--reports-dir",
        str(reports),
        "--processed-dir",
        str(processed),
    ]
    # as `make report` does (the Makefile unexports MPLBACKEND so charts are embedded)
    env_clean = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    rows = []
    for i in range(REPORT_REPS + 1):
        run = _measure_env(cmd, env_clean)
        stages = _parse_done(run.stdout)
        row = {"wall_s": run.wall_s, "tree_peak_mb": run.tree_peak_mb, **stages}
        log(f"report medium {'warm-up' if i == 0 else f'#{i}'}: {run.wall_s:.1f} s {stages}")
        if i > 0:
            rows.append(row)
    # The same work stage by stage, each in a fresh process like a notebook's kernel.
    stages: dict[str, list[dict]] = {}
    for i in range(REPORT_REPS):
        for stage in ("kernel", "clean", "validate", "report"):
            run = measure(
                [PY, str(STEPS), "report_stage", stage, str(raw), str(processed), str(YEAR)]
            )
            stages.setdefault(stage, []).append({"wall_s": run.wall_s, **run.result})
        log(f"report stages #{i + 1}: {[round(v[-1]['wall_s'], 1) for v in stages.values()]}")
    return {"builds": rows, "stages": stages}


def _measure_env(cmd: list[str], env: dict) -> Run:
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return measure(cmd)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _parse_done(text: str) -> dict[str, float]:
    """The stage timings of build_report's last log line: "... done in X s (clean a s, ...)"."""
    for line in reversed(text.splitlines()):
        if "done in" in line and "(" in line:
            inner = line.rsplit("(", 1)[1].rstrip(")")
            out = {}
            for part in inner.split(","):
                name, value, _ = part.split()
                out[name] = float(value)
            return out
    return {}


# The default demo (`make data`: config/settings.yaml's demo section) and the targets of
# issues 18, 19 and 31, as ratios to the floor (reading every raw file once).
DEMO_YEARS = "2018-2024"
DEMO_YEAR = 2024
NARRATIVE_YEAR = 2022  # the demo year with a narrative (reports/narrative/2022.md)
TARGETS = {"reports": 20.0, "narrative": 5.0, "kpis": 2.0}
FLOOR_REPS = 3
KPIS_REPS = 3
NARRATIVE_REPS = 3
# The analysts' edit of the narrative the rebuild row makes (a new paragraph, different
# each time), in the bench's own copy of reports/narrative/.
EDIT_AFTER = "## The IRO service\n\n"


def _settings_file(tree: Path, raw: Path) -> Path:
    """A copy of config/settings.yaml whose folders all lie in `tree` (raw: `raw`)."""
    import yaml

    doc = yaml.safe_load((ROOT / "config" / "settings.yaml").read_text(encoding="utf-8"))
    doc["paths"] = {
        "raw": str(raw),
        "processed": str(tree / "processed"),
        "reports": str(tree / "reports"),
        "restricted": str(tree / "restricted"),
    }
    path = tree / "settings.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _project_root(tree: Path) -> Path:
    """The project root the bench's commands run in (IRO_ANALYSIS_ROOT): the repository's
    notebooks, config, docs and gx linked, and its own copy of reports/narrative/, so the
    narrative edit changes nothing in the repository."""
    root = tree / "root"
    root.mkdir(parents=True)
    for name in ("notebooks", "config", "docs", "gx"):
        if (ROOT / name).exists():
            (root / name).symlink_to(ROOT / name, target_is_directory=True)
    shutil.copytree(ROOT / "reports" / "narrative", root / "reports" / "narrative")
    return root


def edit_narrative(root: Path, year: int, n: int) -> None:
    """An analyst's edit of the year's narrative: a new paragraph (the n-th edit)."""
    path = root / "reports" / "narrative" / f"{year}.md"
    original = (ROOT / "reports" / "narrative" / f"{year}.md").read_text(encoding="utf-8")
    if EDIT_AFTER not in original:
        raise SystemExit(f"benchmark: {path} has no {EDIT_AFTER.strip()!r} heading to edit")
    para = f"The service reviewed this report before publication (draft {n}).\n\n"
    path.write_text(original.replace(EDIT_AFTER, EDIT_AFTER + para, 1), encoding="utf-8")


def bench_targets(work: Path) -> dict:
    """The floor, then `iro-analysis reports` on a fresh copy of the default demo, the
    rebuild of one year after an edit of its narrative, and `iro-analysis kpis --year`,
    all through the CLI as make runs them."""
    raw = work / "raw" / "demo"
    if not (raw / str(DEMO_YEAR)).is_dir():
        measure([PY, str(STEPS), "generate", str(raw), DEMO_YEARS, "medium", "-"])
    floor = []
    for i in range(FLOOR_REPS):
        floor.append(measure([PY, str(STEPS), "floor", str(raw)]))
        log(
            f"floor #{i + 1}: {floor[-1].wall_s:.1f} s ({floor[-1].result['read_s']:.1f} s "
            f"reading), load {floor[-1].load_before}"
        )
    tree = work / "targets"
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    fresh_raw = tree / "raw"
    shutil.copytree(raw, fresh_raw)
    settings = _settings_file(tree, fresh_raw)
    root = _project_root(tree)
    # as make runs them: the Makefile unexports MPLBACKEND so the charts are embedded
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["IRO_ANALYSIS_ROOT"] = str(root)
    env["PYTHONUNBUFFERED"] = "1"  # each line as it is printed (the timelines)
    sets = ["--settings", str(settings)]
    reports = _measure_env([str(CLI), "reports", *sets], env)
    log(f"reports (every year, trends, index): {reports.wall_s:.1f} s, load {reports.load_before}")
    narrative = []
    for i in range(NARRATIVE_REPS):
        edit_narrative(root, NARRATIVE_YEAR, i + 1)
        cmd = [str(CLI), "report", "--year", str(NARRATIVE_YEAR), *sets]
        narrative.append(_measure_env(cmd, env))
        log(
            f"rebuild after a narrative edit #{i + 1}: {narrative[-1].wall_s:.1f} s "
            f"{_parse_done(narrative[-1].stdout)}, load {narrative[-1].load_before}"
        )
    kpis = []
    for i in range(KPIS_REPS):
        out = tree / "kpis.csv"
        cmd = [str(CLI), "kpis", "--year", str(DEMO_YEAR), "--out", str(out), *sets]
        kpis.append(_measure_env(cmd, env))
        log(f"kpis --year #{i + 1}: {kpis[-1].wall_s:.1f} s, load {kpis[-1].load_before}")
    write_timelines(reports, narrative, work)
    return {"floor": floor, "reports": [reports], "narrative": narrative, "kpis": kpis}


def write_timelines(reports: Run, narrative: list[Run], work: Path) -> None:
    """benchmarks/profile_reports.txt: when each step of `reports` and of the last
    rebuild after a narrative edit logged, seconds from the command's start (their own
    per-step timings are on the "done in" lines)."""
    text = [
        "Timelines of the targets' builds (benchmarks/run.py, written by make bench): each "
        "line of output with the seconds since the command started.",
        f"Load average (1, 5, 15 min): reports {reports.load_before} -> {reports.load_after}; "
        f"last rebuild {narrative[-1].load_before} -> {narrative[-1].load_after}.",
        "",
        f"== iro-analysis reports on a fresh copy of the demo: {reports.wall_s:.1f} s wall, "
        f"{reports.cpu_s:.1f} s CPU",
        reports.timeline,
        "",
        f"== iro-analysis report --year {NARRATIVE_YEAR} after a narrative edit (the last of "
        f"{len(narrative)}): {narrative[-1].wall_s:.1f} s wall, {narrative[-1].cpu_s:.1f} s CPU",
        narrative[-1].timeline,
    ]
    out = ROOT / "benchmarks" / "profile_reports.txt"
    text = "\n".join(text).replace(str(ROOT) + "/", "").replace(str(work), "$BENCH_DIR")
    out.write_text(text + "\n", encoding="utf-8")


def _load(runs: list[Run]) -> str:
    """The load average (1 min) when the first run started and the last ended."""
    if not runs or not runs[0].load_before:
        return ""
    return f"{runs[0].load_before.split()[0]} -> {runs[-1].load_after.split()[0]}"


def _targets_section(L: list[str], targets: dict, pipe: dict, region: dict | None) -> None:
    floor = med(r.wall_s for r in targets["floor"])
    f0 = targets["floor"][0].result
    L += [
        "",
        "## 0. Targets of issues 18, 19 and 31 (ratios to the floor)",
        "",
        f"The default demo (`make data`: medium, {DEMO_YEARS}, seed 42): {f0['files']} raw files, "
        f"{f0['bytes'] / 1e6:,.0f} MB. The floor is reading every raw file once in a fresh "
        "process (benchmarks/steps.py `floor`: CSVs with `pandas.read_csv`, XML streamed once "
        f"with `ElementTree.iterparse`): {_f(floor)} s wall, of which "
        f"{_f(med(r.result['read_s'] for r in targets['floor']))} s reading. Every other "
        "figure is a CLI command in a fresh process, as make runs it (MPLBACKEND unset), "
        "folders from a settings file (`--settings`) that puts raw, processed, reports and "
        "restricted in the work folder, and a project root of its own (`IRO_ANALYSIS_ROOT`: "
        "the repository's notebooks, config and docs, a copy of reports/narrative/). "
        f'"After a narrative edit" is `iro-analysis report --year {NARRATIVE_YEAR}` run after '
        f"`reports`, each time after adding a paragraph under '{EDIT_AFTER.strip()}' in "
        f"reports/narrative/{NARRATIVE_YEAR}.md (what `make report` runs when only the "
        "narrative changed: clean and validate reused, and the year's KPIs read from the KPI "
        "cache, which keys them on the narrative's progress section, the only part a KPI "
        "reads). CPU is user + "
        "system time of the command and every process it waited for (the notebooks' "
        "kernels): less sensitive than wall time to other work on the machine. Load is the "
        "1-minute load average when the row's first run started and its last ended (2 cores).",
        "",
        "| measurement | runs | wall (s) | CPU (s) | peak memory (MB) | ratio to floor | target "
        "| met | load |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| floor | {len(targets['floor'])} | {_f(floor)} | "
        f"{_f(med(r.cpu_s for r in targets['floor']))} | "
        f"{_f(med(r.tree_peak_mb for r in targets['floor']), 0)} | 1.0x | | | "
        f"{_load(targets['floor'])} |",
    ]
    names = {
        "reports": "`iro-analysis reports` on a fresh copy (seven years, trends, index)",
        "narrative": f"`iro-analysis report --year {NARRATIVE_YEAR}` after a narrative edit",
        "kpis": f"`iro-analysis kpis --year {DEMO_YEAR}`",
    }
    for key, label in names.items():
        runs = targets[key]
        wall = med(r.wall_s for r in runs)
        ratio = wall / floor
        L.append(
            f"| {label} | {len(runs)} | {_f(wall)} | {_f(med(r.cpu_s for r in runs))} | "
            f"{_f(med(r.tree_peak_mb for r in runs), 0)} | {ratio:.1f}x | "
            f"<= {TARGETS[key]:.0f}x | {'yes' if ratio <= TARGETS[key] else 'no'} | "
            f"{_load(runs)} |"
        )
    eng = pipe.get(("england", "7 years"))
    label = (
        f"England size ({ENGLAND:,} children looked after), 7 years, clean + validate + KPIs "
        "(`steps.py pipeline`, section 2)"
    )
    if eng:
        wall, mem = med(r.wall_s for r in eng), med(r.tree_peak_mb for r in eng)
        ok = wall <= 60 and mem <= 2048
        L.append(
            f"| {label} | {len(eng)} | {_f(wall)} | {_f(med(r.cpu_s for r in eng))} | "
            f"{_f(mem, 0)} | {wall / floor:.0f}x | <= 60 s, <= 2,048 MB | "
            f"{'yes' if ok else 'no'} | {_load(eng)} |"
        )
    else:
        L.append(f"| {label}: not run (--quick) | | | | | | <= 60 s, <= 2 GB | | |")
    L += _region_rows(region, floor)


def _region_rows(region: dict | None, floor: float) -> list[str]:
    """The rows of benchmarks/region.py's run (its measurements.json), or why there are none."""
    run_label = "a region of {n} councils: `iro-analysis region --year 2022` (2 workers)"
    pooled_label = "the same region's KPIs, DuckDB over the pooled store (`pooled_kpis`)"
    if not region:
        return [
            f"| {run_label.format(n=150)}: not run (--quick) | | | | | | <= 120 s | | |",
            f"| {pooled_label}: not run (--quick) | | | | | | keep (<= 120 s) | | |",
        ]
    n = len(region["sizes"])
    rows = []
    run = region.get("run")
    if run:
        ok = "yes" if run["wall_s"] <= 120 else "no"
        ok = ok if n == 150 else f"{ok}, but {n} councils, not 150"
        rows.append(
            f"| {run_label.format(n=n)} | 1 | {_f(run['wall_s'])} | {_f(run.get('cpu_s', 0))} | "
            f"{_f(run['tree_peak_mb'], 0)} | {run['wall_s'] / floor:.0f}x | <= 120 s | "
            f"{ok} | {_region_load([run])} |"
        )
    else:
        rows.append(f"| {run_label.format(n=n)}: not measured | | | | | | <= 120 s | | |")
    pooled = region.get("pooled") or []
    if pooled:
        wall = med(p["wall_s"] for p in pooled)
        rows.append(
            f"| {pooled_label} | {len(pooled)} | {_f(wall)} | "
            f"{_f(med(p.get('cpu_s', 0) for p in pooled))} | "
            f"{_f(max(p['tree_peak_mb'] for p in pooled), 0)} | {wall / floor:.1f}x | "
            f"keep (<= 120 s) | {'yes' if wall <= 120 else 'no'} | {_region_load(pooled)} |"
        )
    return rows


def _region_load(runs: list[dict]) -> str:
    if not runs or not runs[0].get("load_before"):
        return ""
    return f"{runs[0]['load_before'].split()[0]} -> {runs[-1]['load_after'].split()[0]}"


def bench_workdays() -> list[Run]:
    runs = []
    for i in range(3):
        run = measure([PY, str(STEPS), "workdays", str(WORKDAY_PAIRS), str(WORKDAY_PAIRS)])
        r = run.result
        log(
            f"workdays #{i + 1}: vectorised {r['vectorised_s']:.3f} s, loop {r['loop_s']:.1f} s, "
            f"ratio {r['loop_s'] / r['vectorised_s']:.0f}x"
        )
        runs.append(run)
    return runs


# --------------------------------------------------------------------------------------
# results.md
# --------------------------------------------------------------------------------------


def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    model = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in _cmd(["lscpu"]).splitlines()
            if ln.startswith("Model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if "MemTotal" in ln
    )
    from importlib.metadata import version

    pkgs = [
        "pandas",
        "numpy",
        "pyarrow",
        "great_expectations",
        "papermill",
        "nbconvert",
        "holidays",
        "matplotlib",
        "duckdb",
    ]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024**2:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": ", ".join(f"{p} {version(p)}" for p in pkgs),
        "commit": _cmd(["git", "rev-parse", "--short", "HEAD"])
        + (" (with uncommitted changes)" if _cmd(["git", "status", "--porcelain", "src"]) else ""),
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def _f(x: float, nd: int = 1) -> str:
    return f"{x:,.{nd}f}"


# Sections other scripts write into results.md (benchmarks/region.py, test_suite.py),
# kept when run.py rewrites the rest.
KEPT_SECTIONS = ("region-benchmark", "test-suite")


def kept_sections(path: Path) -> list[str]:
    """The marked sections of `path` that other scripts wrote, as they are."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    out = []
    for name in KEPT_SECTIONS:
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start in text and end in text:
            out.append(start + text.split(start, 1)[1].split(end, 1)[0] + end)
    return out


def write_results(
    path: Path,
    info: dict,
    gen,
    pipe,
    report,
    wd,
    quick: bool,
    load_end: str,
    targets=None,
    region=None,
):
    kept = kept_sections(path)
    L: list[str] = []
    L += [
        "# Benchmarks",
        "",
        "Written by `make bench` (benchmarks/run.py); do not edit by hand, re-run instead.",
        "",
        "| | |",
        "|---|---|",
    ]
    for k in ("date", "cpu", "cores", "memory", "os", "python", "packages", "commit"):
        L.append(f"| {k} | {info[k]} |")
    L.append(f"| load average (1, 5, 15 min) | at start {info['load']}; at end {load_end} |")
    if "elapsed_min" in info:
        L.append(f"| whole `make bench` run | {info['elapsed_min']:.1f} min |")
    L += [
        "",
        "Each figure is the median of the repetitions shown, each run in a fresh process. "
        "Peak memory is the largest sum of resident memory over the step's process tree "
        "(the cleaner reads large raw folders in one worker process per core). Seven "
        f"reporting years ({YEARS}) are generated; England size is "
        f"{ENGLAND:,} children looked after at 31 March." + (" Run with --quick." if quick else ""),
    ]
    if targets:
        _targets_section(L, targets, pipe, region)
    L += [
        "",
        "## 1. Demo-data generation (seven years)",
        "",
        "| size | runs | wall (s) | peak memory (MB) | files (MB) |",
        "|---|---|---|---|---|",
    ]
    for size, runs in gen.items():
        L.append(
            f"| {size} | {len(runs)} | {_f(med(r.wall_s for r in runs))} | "
            f"{_f(med(r.tree_peak_mb for r in runs), 0)} | "
            f"{_f(med(r.result['bytes'] for r in runs) / 1e6, 0)} |"
        )
    L += [
        "",
        f"## 2. Clean + validate + all KPIs for {YEAR}",
        "",
        "`run_clean` (every year folder in the raw folder, parquet written), "
        "`validate_dataset`, `compute_kpis` + `compute_breakdowns`, in one fresh process. "
        '"one year": the raw folder holds only the 2022 folder; "7 years": the full history, '
        "as `iro-analysis clean` rebuilds it. Rows: raw records read (all files, all years "
        "read).",
        "",
        "| size | scope | runs | wall (s) | import | clean | validate | KPIs | peak memory "
        "(MB) | largest process (MB) | rows read | rows/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (size, scope), runs in pipe.items():
        rr = [r.result for r in runs]
        wall = med(r.wall_s for r in runs)
        rows = rr[0]["rows_read"]
        L.append(
            f"| {size} | {scope} | {len(runs)} | {_f(wall)} | {_f(med(x['import_s'] for x in rr))} | "
            f"{_f(med(x['clean_s'] for x in rr))} | {_f(med(x['validate_s'] for x in rr))} | "
            f"{_f(med(x['kpis_s'] for x in rr))} | {_f(med(r.tree_peak_mb for r in runs), 0)} | "
            f"{_f(med(r.max_rss_mb for r in runs), 0)} | {rows:,} | {_f(rows / wall, 0)} |"
        )
    L += [
        "",
        "Growth with size: exponent k in time ∝ rows^k (1 is linear), for the whole step and "
        "for the cleaning alone (the whole step includes fixed costs such as imports and the "
        "per-file work of the raw files' suites, which flatten it at small sizes):",
        "",
    ]
    for scope in ("one year", "7 years"):
        pts = [
            (
                runs[0].result["rows_read"],
                med(r.wall_s for r in runs),
                med(r.result["clean_s"] for r in runs),
                size,
            )
            for (size, sc), runs in pipe.items()
            if sc == scope
        ]
        for (n1, t1, c1, s1), (n2, t2, c2, s2) in zip(pts, pts[1:], strict=False):
            k = math.log(t2 / t1) / math.log(n2 / n1)
            kc = math.log(c2 / c1) / math.log(n2 / n1)
            L.append(
                f"- {scope}, {s1} → {s2}: rows x{n2 / n1:.1f}, whole step time x{t2 / t1:.1f} "
                f"(k = {k:.2f}), cleaning time x{c2 / c1:.1f} (k = {kc:.2f})"
            )
    if report:
        _report_section(L, report)
    if wd:
        _workday_section(L, wd)
    for text in kept:
        L += ["", text]
    findings = Path(__file__).resolve().parent / "findings.md"
    if findings.is_file():
        L += ["", findings.read_text().rstrip(), ""]
    path.write_text("\n".join(L))


STEP_KEYS = ("clean", "validate", "report", "html")


def _report_section(L: list[str], report: dict) -> None:
    builds, stages = report["builds"], report["stages"]

    def b(key: str) -> float:
        return med(r.get(key, 0.0) for r in builds)

    def st(stage: str, key: str) -> float:
        return med(r.get(key, 0.0) for r in stages[stage])

    kernel = st("kernel", "kernel_start_s")
    L += [
        "",
        f"## 3. `make report YEAR={YEAR}` on medium",
        "",
        f"`iro-analysis report --year {YEAR}` (what `make report` runs) on the medium council "
        f"with seven years, after one untimed warm-up build: {len(builds)} timed builds. "
        "The build runs three notebooks with papermill, one fresh kernel each, then nbconvert; "
        "its own per-step timings are in the first table. The second table splits a step: "
        "the same work run stage by stage in fresh processes (benchmarks/steps.py "
        "`report_stage`): a bare python3 kernel start, imports, and the notebook's code. "
        "What the papermill step takes beyond that is papermill's own overhead. Medians, "
        "seconds.",
        "",
        "| build step | seconds |",
        "|---|---|",
        f"| whole command (process start to exit) | {_f(b('wall_s'))} |",
        f"| clean notebook | {_f(b('clean'))} |",
        f"| validate notebook | {_f(b('validate'))} |",
        f"| report notebook | {_f(b('report'))} |",
        f"| nbconvert to HTML | {_f(b('html'))} |",
        "| outside the steps (CLI start-up and imports, settings, publishing) | "
        f"{_f(med(r['wall_s'] - sum(r.get(k, 0.0) for k in STEP_KEYS) for r in builds))} |",
        f"| peak memory (MB, process tree) | {_f(b('tree_peak_mb'), 0)} |",
        "",
        "| stage | seconds |",
        "|---|---|",
        f"| kernel start-up (python3 kernel ready; the build starts one per notebook, 3 in all) | {_f(kernel)} |",
        f"| clean: imports | {_f(st('clean', 'import_s'))} |",
        f"| clean: `run_clean` (7 years) | {_f(st('clean', 'work_s'))} |",
        f"| validate: imports | {_f(st('validate', 'import_s'))} |",
        "| validate: load parquet, `validate_dataset` (no GX project: the suites in pandas), "
        f"write | {_f(st('validate', 'work_s'))} |",
        f"| report: imports | {_f(st('report', 'import_s'))} |",
        "| KPIs: `report.prepare` (load, KPIs for every year, breakdowns) | "
        f"{_f(st('report', 'prepare_s'))} |",
        f"| charts and tables: `render_section` for every section | "
        f"{_f(st('report', 'sections_s'))} |",
        f"| kpis.csv, kpis.xlsx, manifest | {_f(st('report', 'outputs_s'))} |",
        f"| nbconvert (from the build) | {_f(b('html'))} |",
    ]
    in_proc = {
        "clean": st("clean", "wall_s"),
        "validate": st("validate", "wall_s"),
        "report": st("report", "wall_s"),
    }
    over = ", ".join(f"{k} {b(k) - v - kernel:+.1f} s" for k, v in in_proc.items())
    L += [
        "",
        "Papermill overhead per notebook (build step minus the fresh-process stage minus a "
        f"kernel start): {over}.",
    ]


def _workday_section(L: list[str], wd: list[Run]) -> None:
    r0 = [r.result for r in wd]
    vec, loop = med(x["vectorised_s"] for x in r0), med(x["loop_s"] for x in r0)
    L += [
        "",
        "## 4. Working days: vectorised against a per-row loop",
        "",
        f"{WORKDAY_PAIRS:,} random date pairs (2016-2022, b from 30 days before a to 400 "
        "after). Vectorised: `calendar.working_days_between` (a cumulative working-day table, "
        "two look-ups per pair), median of 5 calls after a first call that builds the "
        "bank-holiday calendar. Loop: a plain Python loop calling `numpy.busday_count` "
        "once per pair with the same bank-holiday calendar, over all pairs; both give "
        f"identical counts. {len(wd)} runs.",
        "",
        "| | seconds |",
        "|---|---|",
        f"| vectorised | {vec:.3f} |",
        f"| vectorised, first call (builds the calendar) | "
        f"{med(x['vectorised_first_call_s'] for x in r0):.3f} |",
        f"| per-row loop | {loop:.2f} |",
        f"| ratio (loop / vectorised) | {loop / vec:,.0f}x |",
        "",
    ]


def bench_region(work: Path, out: Path, councils: int, total: int) -> dict | None:
    """benchmarks/region.py in a process of its own (it writes its section of `out`), then
    its measurements for the targets table."""
    cmd = [PY, str(Path(__file__).resolve().parent / "region.py"), "--work", str(work)]
    args = ["--out", str(out), "--councils", str(councils), "--total", str(total)]
    subprocess.run([*cmd, *args], check=True, cwd=ROOT)
    saved = work / "measurements.json"
    return json.loads(saved.read_text()) if saved.is_file() else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="skip England size and the region of 150 councils"
    )
    ap.add_argument(
        "--work", type=Path, default=Path(os.environ.get("BENCH_DIR", "/tmp/iro-bench"))
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    ap.add_argument(
        "--only",
        default="targets,generate,pipeline,profile,report,workdays,region",
        help="comma-separated parts (the data of `generate` must exist for the others)",
    )
    ap.add_argument(
        "--councils", type=int, default=150, help="the region's councils (part `region`)"
    )
    ap.add_argument(
        "--region-total",
        type=int,
        default=ENGLAND,
        help="the region's children looked after at 31 March, in all (part `region`)",
    )
    ap.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite --out from the last run's measurements (in --work), measuring nothing",
    )
    args = ap.parse_args(argv)
    saved = args.work / "measurements.pickle"
    if args.render_only:
        with saved.open("rb") as fh:
            write_results(args.out, *pickle.load(fh))
        log(f"written {args.out} from {saved}")
        return 0
    only = set(args.only.split(","))
    sizes = ["small", "medium"] + ([] if args.quick else ["england"])
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    started = time.perf_counter()
    log(f"work folder {args.work}; sizes {', '.join(sizes)}; load {info['load']}")
    targets = bench_targets(args.work) if "targets" in only else {}
    gen = bench_generate(args.work, sizes) if "generate" in only else {}
    pipe = bench_pipeline(args.work, sizes) if "pipeline" in only else {}
    if "profile" in only and not args.quick:
        profile_pipeline(args.work, "england", ROOT / "benchmarks" / "profile_england_2022.txt")
    report = bench_report(args.work) if "report" in only else {}
    wd = bench_workdays() if "workdays" in only else []
    region = None
    if "region" in only and not args.quick:
        region = bench_region(args.work / "region", args.out, args.councils, args.region_total)
    load_end = loadavg()
    info["elapsed_min"] = (time.perf_counter() - started) / 60
    measured = (info, gen, pipe, report, wd, args.quick, load_end, targets, region)
    with saved.open("wb") as fh:
        pickle.dump(measured, fh)
    write_results(args.out, *measured)
    log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
