"""Check the demo council's SSDA903 files against DfE's own 903 validation rules.

    .venv/bin/python scripts/dfe_903_rules.py [--years 2018-2024] [--seed 42] [--size medium]

Generates fault-free demo data (`fault_rate` 0) for the years into a temporary folder,
runs DfE's 903 rules (data-to-insight's validator, PyPI `csc-validator-be-903`, import
`lac_validator`) on each year's header, episodes, reviews and OC2 files (the previous
year's files alongside, as the validator's "Prev year" upload), and prints per year the
rows, the errors by rule code and the errors per 1,000 rows leaving aside the postcode
look-up rules (392c, 169, 179, 1015: the demo's postcodes are synthetic) and the rows a
code-list rule flags for a code that DfE's list for that collection year has (per the
project's data contract: the validator has no rule packs before 2022/23 and runs the
oldest one on earlier years). Exits 1 when a year is over `--max-per-1000` (default 5).

The validator needs pandas < 2.0, so it lives in its own venv, `.dfe-validator-venv/` at
the repository root (created on first use with `python3 -m venv` and pip; never in the
project's requirements.lock or .venv). `scripts/_dfe_903_runner.py` runs inside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".dfe-validator-venv"
RUNNER = Path(__file__).resolve().parent / "_dfe_903_runner.py"
# DfE's 903 rules as published by data-to-insight (the successor of
# quality-lac-data-validator, whose last release pins numpy 1.17 and cannot install on
# Python 3.11). Pinned: a new release may add or change rules.
VALIDATOR_PACKAGE = "csc-validator-be-903"
VALIDATOR_VERSION = "0.1.17"
# Rules that look synthetic postcodes up in the ONS postcode directory (PL_LA, PL_LOCATION
# are derived from PL_POST there): left aside. 241 (2025/26 on) wants a K3 placement's
# PL_LA to be the council itself.
POSTCODE_RULES = ("392c", "169", "179", "1015", "241")  # 241: 2025/26 on
# The validator's code-list rules (each checks one column against its list of codes).
CODE_LIST_RULES = ("101", "103", "143", "144", "145", "146", "149", "167", "196", "1009")
MAX_PER_1000 = 5.0
LA_CODE = "E10000030"  # the validator's localAuthority: the demo's UPNs use LA 936


def venv_python(venv: Path = VENV) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_ready(venv: Path = VENV) -> bool:
    """The side venv exists and has the pinned validator."""
    py = venv_python(venv)
    if not py.is_file():
        return False
    r = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('csc-validator-be-903'))"],
        capture_output=True,
        text=True,
    )
    return r.returncode == 0 and r.stdout.strip() == VALIDATOR_VERSION


def ensure_venv(venv: Path = VENV, quiet: bool = False) -> Path:
    """Create the side venv with the pinned validator if it is missing; its python."""
    if venv_ready(venv):
        return venv_python(venv)
    python3 = shutil.which("python3") or sys.executable
    out = subprocess.DEVNULL if quiet else None
    if not venv_python(venv).is_file():
        print(f"Creating {venv} (DfE 903 validator, kept out of .venv) ...", file=sys.stderr)
        subprocess.run([python3, "-m", "venv", str(venv)], check=True, stdout=out)
    subprocess.run(
        [
            str(venv_python(venv)),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            f"{VALIDATOR_PACKAGE}=={VALIDATOR_VERSION}",
        ],
        check=True,
        stdout=out,
    )
    if not venv_ready(venv):
        raise RuntimeError(f"{VALIDATOR_PACKAGE}=={VALIDATOR_VERSION} did not install in {venv}")
    return venv_python(venv)


@dataclass
class YearResult:
    year: int
    ruleset: str
    rows: dict[str, int]
    errors: dict[str, int]
    fails: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def contract_valid(self) -> dict[str, int]:
        """Rows a code-list rule flagged although the code is DfE's code for that column in
        this collection year per the project's data contract: the validator's list is
        another year's (it has no rule pack before 2022/23) or mistyped (2024/25 rule 146
        lists 'k3'). By rule code."""
        out: dict[str, int] = {}
        for code, by_field in self.values.items():
            if code not in CODE_LIST_RULES:
                continue
            for where, counts in by_field.items():
                table, column = where.split(".", 1)
                valid = contract_codes(self.year, table, column)
                n = sum(k for val, k in counts.items() if val in valid)
                if n:
                    out[code] = out.get(code, 0) + n
        return out

    @property
    def counted(self) -> dict[str, int]:
        """Errors by rule, the postcode look-up rules and contract-valid codes left aside."""
        valid = self.contract_valid
        out = {k: v - valid.get(k, 0) for k, v in self.errors.items() if k not in POSTCODE_RULES}
        return {k: v for k, v in out.items() if v > 0}

    @property
    def per_1000(self) -> float:
        return 1000.0 * sum(self.counted.values()) / max(self.n_rows, 1)


CONTRACT_TABLES = {"Header": "header", "Episodes": "episodes", "Reviews": "reviews", "OC2": "oc2"}


def contract_codes(year: int, table: str, column: str) -> frozenset[str]:
    """The raw codes the project's DfE data contract gives `table.column` in `year` (table
    as the validator names it); empty when the column has no code list."""
    try:
        from iro_analysis.contract import contract_years, load_contract
    except ImportError:  # no contract in this version of the project
        return frozenset()
    have = contract_years()
    name = CONTRACT_TABLES.get(table)
    if not have or name is None:
        return frozenset()
    c = load_contract(min(max(year, have[0]), have[-1]))
    if column not in c.columns_with_codes(name):
        return frozenset()
    return frozenset(c.codes(name, column))


def run_year(py: Path, year: int, this: Path, prev: Path | None) -> YearResult:
    """DfE's rules on one year's 903 CSVs (folder `this`; last year's in `prev`)."""
    cmd = [str(py), str(RUNNER), "--year", str(year), "--this", str(this), "--la", LA_CODE]
    if prev is not None and prev.is_dir():
        cmd += ["--prev", str(prev)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"validator failed on {year}:\n{r.stderr[-3000:]}")
    d = json.loads(r.stdout.strip().splitlines()[-1])
    return YearResult(
        d["year"], d["ruleset"], d["rows"], d["errors"], d["fails"], d["messages"], d["values"]
    )


def recode_previous_year(prev: Path, prev_year: int, year: int, out: Path) -> Path:
    """The previous year's 903 CSVs in this year's coding, where DfE recoded a column
    between the two (903 SEX 1/2 became M/F in 2024/25): DfE compares a return with the
    child's earlier records as the same values (rules 202, 393, 607 ...). Files without
    such a column are copied as they are. Returns the folder to pass as "Prev year"."""
    import pandas as pd

    from iro_analysis.contract import contract_years, load_contract

    have = contract_years()
    before = load_contract(min(max(prev_year, have[0]), have[-1]))
    now = load_contract(min(max(year, have[0]), have[-1]))
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(prev.glob("*.csv")):
        table = f.stem
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        changed = False
        for col in before.columns_with_codes(table) if table in before.tables else ():
            if col not in df.columns or col not in now.columns_with_codes(table):
                continue
            old, new = before.analysis_map(table, col), now.analysis_map(table, col)
            if dict(old) == dict(new):
                continue
            back = {a: raw for raw, a in new.items()}
            df[col] = df[col].map(lambda v, old=old, back=back: back.get(old.get(v, v), v))
            changed = True
        if changed:
            df.to_csv(out / f.name, index=False, lineterminator="\n")
        else:
            shutil.copyfile(f, out / f.name)
    return out


def check_folder(py: Path, root: Path, years: list[int], jobs: int = 1) -> list[YearResult]:
    """Run the rules on `root/<YEAR>/ssda903/` for each year (last year's files alongside,
    in this year's coding)."""
    with tempfile.TemporaryDirectory(prefix="dfe903-prev-") as tmp:

        def one(y: int) -> YearResult:
            prev = root / str(y - 1) / "ssda903"
            if prev.is_dir():
                prev = recode_previous_year(prev, y - 1, y, Path(tmp) / str(y))
            return run_year(py, y, root / str(y) / "ssda903", prev if prev.is_dir() else None)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            return list(ex.map(one, years))


def generate_demo(out: Path, years: list[int], seed: int, size: str, scale: int | None) -> None:
    from iro_analysis.demo import generate

    generate(out, years, seed=seed, size=size, scale=scale, fault_rate=0.0)


def format_result(r: YearResult, verbose: bool = True) -> str:
    rows = ", ".join(f"{t} {n}" for t, n in r.rows.items())
    lines = [
        f"{r.year} ({r.ruleset}): {r.n_rows} rows ({rows}); "
        f"{sum(r.counted.values())} errors, {r.per_1000:.2f} per 1,000 rows "
        f"(left aside: postcode rules {'/'.join(POSTCODE_RULES)} "
        f"{sum(r.errors.get(c, 0) for c in POSTCODE_RULES)}, codes valid that year "
        f"{sum(r.contract_valid.values())})"
    ]
    if verbose:
        valid = r.contract_valid
        for code, n in sorted(r.errors.items(), key=lambda kv: (-kv[1], kv[0])):
            aside = " (left aside)" if code in POSTCODE_RULES else ""
            if valid.get(code):
                aside = f" ({valid[code]} a code valid that year)"
            lines.append(f"    {code:>6} {n:6d}{aside}  {r.messages.get(code, '')[:100]}")
    if r.fails:
        lines.append(f"    rules that failed to run: {', '.join(r.fails)}")
    return "\n".join(lines)


def _years(text: str | None) -> list[int]:
    if text is None:
        from iro_analysis.core.settings import load_settings

        return list(load_settings().demo.year_list)
    from iro_analysis.core.settings import parse_year_range

    return list(parse_year_range(text))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--years", default=None, help="e.g. 2018-2024 (default: settings.yaml demo)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--size", default="medium", choices=("small", "medium"))
    ap.add_argument("--scale", type=int, default=None)
    ap.add_argument("--max-per-1000", type=float, default=MAX_PER_1000)
    ap.add_argument("--data", type=Path, default=None, help="check this folder, do not generate")
    ap.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    ap.add_argument("--jobs", type=int, default=1, help="years validated at once")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("-q", "--quiet", action="store_true", help="one line per year")
    args = ap.parse_args(argv)

    years = _years(args.years)
    py = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="dfe903-") as tmp:
        root = args.data or args.keep or Path(tmp)
        if args.data is None:
            generate_demo(root, years, args.seed, args.size, args.scale)
        results = check_folder(py, root, years, args.jobs)
    over = [r.year for r in results if r.per_1000 > args.max_per_1000]
    what = f"seed {args.seed}, " + (f"scale {args.scale}" if args.scale else f"size {args.size}")
    print(f"DfE SSDA903 rules ({VALIDATOR_PACKAGE} {VALIDATOR_VERSION}) on the demo ({what}):")
    for r in results:
        print(format_result(r, verbose=not args.quiet))
    print()
    print("year  rows   errors  per 1,000")
    for r in results:
        print(f"{r.year}  {r.n_rows:5d}  {sum(r.counted.values()):6d}  {r.per_1000:9.2f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                [{**r.__dict__, "per_1000": r.per_1000, "n_rows": r.n_rows} for r in results],
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    if over:
        print(f"FAIL: over {args.max_per_1000:g} errors per 1,000 rows in {over}")
        return 1
    print(f"OK: every year at most {args.max_per_1000:g} errors per 1,000 rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
