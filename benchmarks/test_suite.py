"""`make bench-tests`: time the two test tiers as the Makefile runs them and write their
section of benchmarks/results.md (between the test-suite markers, replacing it).

- `make test-fast`: `pytest -n 2 -m "not slow"` (the unit tier: no notebooks, no browser,
  no demo build, no full Great Expectations suite);
- `make test`: `pytest -n 2 --dist loadgroup` (everything).

Each tier runs once, in a fresh process, from the project root; the section records the
wall time, the counts pytest reports and the machine's load, so a slow run on a shared
machine can be told from a slow suite. Issue #27's targets: 90 s and 600 s.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- test-suite:start -->", "<!-- test-suite:end -->"
TIERS = {
    "fast": (["-n", "2", "-m", "not slow"], "`make test-fast`", 90),
    "full": (["-n", "2", "--dist", "loadgroup"], "`make test`", 600),
}


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_tier(name: str) -> dict:
    args, label, target = TIERS[name]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    load = _load()
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    tail = [line for line in done.stdout.splitlines() if re.search(r"\d+ passed", line)]
    return {
        "tier": label,
        "wall": wall,
        "summary": tail[-1].strip("= ") if tail else f"exit {done.returncode}",
        "ok": done.returncode == 0,
        "target": target,
        "load": f"{load} -> {_load()}",
    }


def render(rows: list[dict]) -> str:
    lines = [
        START,
        "## Test suite (issue #27)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/test_suite.py` "
        f"(`make bench-tests`) on {os.cpu_count()} cores, each tier once, as the Makefile runs it.",
        "",
        "| tier | wall (s) | pytest says | target | met | load average 1, 5, 15 min (before -> after) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = "yes" if r["ok"] and r["wall"] <= r["target"] else "no"
        lines.append(
            f"| {r['tier']} | {r['wall']:.0f} | {r['summary']} | <= {r['target']} s | {met} | "
            f"{r['load']} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write_section(text: str, out: Path) -> None:
    doc = out.read_text(encoding="utf-8") if out.is_file() else ""
    if START in doc and END in doc:
        doc = doc[: doc.index(START)] + text + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    out.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiers", default="fast,full", help="comma-separated: fast, full")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = ap.parse_args(argv)
    rows = []
    for name in args.tiers.split(","):
        r = run_tier(name.strip())
        print(f"{r['tier']}: {r['wall']:.0f} s, {r['summary']}", flush=True)
        rows.append(r)
    write_section(render(rows), args.out)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
