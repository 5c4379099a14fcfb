"""Run DfE's SSDA903 validation rules on one year's 903 CSVs; print the result as JSON.

Runs inside the side venv `.dfe-validator-venv/` (csc-validator-be-903, import
`lac_validator`, which needs pandas < 2.0): never import it from the project's venv.
Called by `scripts/dfe_903_rules.py`:

    .dfe-validator-venv/bin/python scripts/_dfe_903_runner.py --year 2023 \
        --this DIR [--prev DIR] [--la E10000030]

DIR holds the year's header.csv, episodes.csv, reviews.csv and oc2.csv (the previous
year's folder is passed as "Prev year" files: some rules compare the two years).
Output (stdout, one JSON object): year, ruleset, rows (per table, this year's files),
errors (rule code -> rows flagged), fails (rules that raised), values (for a rule on one
field: "Table.FIELD" -> flagged value -> rows), messages (code -> text).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import logging
import sys
from pathlib import Path

TABLES = ("header", "episodes", "reviews", "oc2")
# lac_validator names of those tables
NAMES = {"header": "Header", "episodes": "Episodes", "reviews": "Reviews", "oc2": "OC2"}


def ruleset_for(year: int) -> str:
    """The rule pack of collection year `year` (YEAR = the year its 31 March falls in).

    The package has packs from 2022/23 on; earlier years use the 2022/23 pack (the
    oldest), later ones the newest."""
    import lac_validator.rules as rules

    packs = sorted(
        p.name for p in Path(list(rules.__path__)[0]).iterdir() if p.name.startswith("lac20")
    )
    wanted = f"lac{year - 1}_{year % 100:02d}"
    if wanted in packs:
        return wanted
    return packs[0] if wanted < packs[0] else packs[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--this", type=Path, required=True)
    ap.add_argument("--prev", type=Path, default=None)
    ap.add_argument("--la", default="E10000030")
    args = ap.parse_args(argv)

    # The package logs every rule at INFO on import and while running.
    with contextlib.redirect_stdout(io.StringIO()):
        from lac_validator.lac_validator import LacValidator
    logging.getLogger().setLevel(logging.ERROR)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.ERROR)

    files = []
    for desc, folder in (("This year", args.this), ("Prev year", args.prev)):
        if folder is None:
            continue
        for t in TABLES:
            path = folder / f"{t}.csv"
            if path.is_file():
                files.append(
                    {"name": path.name, "description": desc, "file_content": path.read_bytes()}
                )
    ruleset = ruleset_for(args.year)
    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    metadata = {"collectionYear": str(args.year), "localAuthority": args.la}
    with contextlib.redirect_stdout(io.StringIO()):
        v = LacValidator(metadata=metadata, files=files, registry=registry)
    rows = {t: int(len(v.dfs[NAMES[t]])) for t in TABLES if NAMES[t] in v.dfs}
    errors: dict[str, int] = {}
    values: dict[str, dict[str, dict[str, int]]] = {}  # code -> field -> value -> rows
    for table, df in v.ds_results.items():
        if table == "metadata" or table.endswith("_last"):
            continue
        for col in df.columns:
            if not str(col).startswith("ERR_"):
                continue
            flagged = df[col].fillna(False).astype(bool)
            n = int(flagged.sum())
            if not n:
                continue
            code = col[4:]
            errors[code] = errors.get(code, 0) + n
            rule = registry.get(code)
            fields = [f for f in (getattr(rule, "affected_fields", None) or []) if f in df.columns]
            if len(fields) == 1:  # a one-field rule: which values it flagged
                counts = df.loc[flagged, fields[0]].fillna("").astype(str).value_counts()
                into = values.setdefault(code, {}).setdefault(f"{table}.{fields[0]}", {})
                for val, k in counts.items():
                    into[val] = into.get(val, 0) + int(k)
    messages = {code: registry[code].message for code in errors if code in registry}
    json.dump(
        {
            "year": args.year,
            "ruleset": ruleset,
            "rows": rows,
            "errors": dict(sorted(errors.items())),
            "fails": sorted(v.fails),
            "values": values,
            "messages": messages,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
