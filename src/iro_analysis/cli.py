"""The `iro-analysis` command line (also `python -m iro_analysis`).

Each subcommand's work lives in the module that owns it; this file only parses arguments,
checks them at the door and dispatches. Heavy libraries are imported inside the handlers
so that `--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from iro_analysis import __version__
from iro_analysis.core.years import check_year

# subcommand -> "module:function" that takes the parsed args and returns an exit code.
HANDLERS = {
    "years": "iro_analysis.cli:cmd_years",
    "demo-data": "iro_analysis.cli:cmd_demo_data",
    "clean": "iro_analysis.ingest.clean:cli_main",
    "validate": "iro_analysis.validate.suites:cli_main",
    "kpis": "iro_analysis.pipeline.kpis_command:cli_main",
    "report": "iro_analysis.pipeline.orchestrate:cli_main",
    "reports": "iro_analysis.pipeline.orchestrate:cli_reports",
    "check": "iro_analysis.pipeline.orchestrate:cli_check",
    "exceptions": "iro_analysis.analysts.exceptions:cli_main",
    "region": "iro_analysis.region.run:cli_main",
    "templates": "iro_analysis.contract.templates:cli_main",
    "paths": "iro_analysis.cli:cmd_paths",
}


def _year(text: str) -> int:
    try:
        return check_year(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_FOLDER_HELP = {
    "raw": "raw data folder (default data/raw)",
    "reports": "reports folder (default reports)",
    "processed": "processed folder (default data/processed)",
    "restricted": "folder of the never-published outputs (default restricted)",
}


def _folder_options(p: argparse.ArgumentParser, *kinds: str, **help_text: str) -> None:
    """`--<kind>-dir` options (a Path, default None: the settings' folder), one wording each;
    `help_text` overrides a kind's help for one command."""
    for kind in kinds:
        p.add_argument(
            f"--{kind}-dir", type=Path, default=None, help=help_text.get(kind, _FOLDER_HELP[kind])
        )


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iro-analysis",
        description="Reproducible analytics and the annual report of an IRO service. "
        "YEAR is the year the reporting year ends: 2022 is 1 April 2021 to 31 March 2022.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--settings", type=Path, default=None, help="settings file (default config/settings.yaml)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("years", help="list the years with raw data")
    _folder_options(p, "raw")

    p = sub.add_parser("demo-data", help="generate the synthetic demo council's raw data")
    p.add_argument("--out", type=Path, default=None, help="output folder (default data/raw)")
    p.add_argument("--years", default=None, help="years to write, e.g. 2018-2024")
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same bytes)")
    p.add_argument("--size", choices=("small", "medium"), default=None, help="council size")
    p.add_argument(
        "--scale",
        type=float,
        default=None,
        help="number of children looked after at 31 March (overrides --size)",
    )
    p.add_argument(
        "--fault-rate",
        type=float,
        default=None,
        help="share of rows given a data-quality fault (0 turns them off; with --councils "
        "the default is 0)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--councils",
        type=_positive_int,
        default=None,
        metavar="N",
        help="a demo region of N distinct councils, each in OUT/<la_code>/<YEAR>/",
    )
    p.add_argument(
        "--903-format",
        dest="ssda903_format",
        choices=("csv", "xml"),
        default="csv",
        help="write each year's SSDA903 as the four CSVs (default) or as one XML file",
    )
    p.add_argument(
        "--iro-format",
        dest="iro_format",
        choices=("native", "ssd"),
        default="native",
        help="write the IRO meetings as iro/meetings.csv (default) or as Standard "
        "Safeguarding Dataset tables in ssd/ with iro/meeting_details.csv",
    )

    for name, text in (
        ("clean", "read, clean and quarantine the raw data into parquet"),
        ("validate", "run the Great Expectations suites on the clean data"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2022")
        _folder_options(p, "raw", "processed", *(("reports",) if name == "validate" else ()))

    p = sub.add_parser(
        "kpis", help="compute the year's KPIs (clean, validate, KPIs) without notebooks"
    )
    p.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2022")
    _folder_options(p, "raw")
    p.add_argument("--out", type=Path, default=None, help="output file (default: standard output)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format")

    p = sub.add_parser("report", help="build the annual report of one year")
    p.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2022")
    _folder_options(p, "raw", "reports", "processed", "restricted")
    p.add_argument("--pdf", action="store_true", help="also print the report to PDF")

    p = sub.add_parser("reports", help="build every year's report, the trends report and the index")
    _folder_options(p, "raw", "reports", "restricted")
    p.add_argument(
        "--no-years",
        action="store_true",
        help="build only the trends report and the index (the year reports are already built)",
    )

    p = sub.add_parser(
        "exceptions",
        help="write managers' child-level exception lists (restricted/<YEAR>/exceptions/)",
    )
    p.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2022")
    p.add_argument(
        "--as-at",
        dest="as_at",
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the lists are taken at, in the reporting year (default 31 March YEAR)",
    )
    _folder_options(
        p,
        "raw",
        "processed",
        "restricted",
        restricted="folder of the never-published outputs (default restricted; never under reports)",
    )

    p = sub.add_parser(
        "region",
        help="every council's KPIs and the pooled region (reports/region/<YEAR>/region_kpis.csv)",
    )
    p.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2022")
    _folder_options(
        p,
        "raw",
        "reports",
        "processed",
        "restricted",
        raw="region raw folder, one folder per council: <la_code>/<YEAR>/ (default data/raw)",
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=2,
        help="councils run at once (processes; default 2)",
    )

    p = sub.add_parser(
        "check",
        help="open a built report in headless Chromium: offline, images, links, accessibility",
    )
    p.add_argument("--year", type=_year, required=True, help="reporting year, e.g. 2022")
    _folder_options(p, "reports")

    p = sub.add_parser(
        "templates",
        help="write a header-only CSV per IRO extract and a README of their columns and codes",
    )
    p.add_argument(
        "--out", type=Path, required=True, help="folder to write DIR/iro/*.csv and DIR/README.md to"
    )

    p = sub.add_parser("paths", help="print a folder as the settings give it (used by make)")
    p.add_argument("kind", choices=FOLDER_KINDS, help="which folder")

    for p in sub.choices.values():  # --settings before or after the subcommand
        p.add_argument("--settings", type=Path, default=argparse.SUPPRESS, help="settings file")
    return parser


FOLDER_KINDS = ("raw", "processed", "reports", "restricted")


def settings_folders(args: argparse.Namespace) -> None:
    """Fill every folder a command was not given from the settings file (the one source
    for folders). A validation run outside the build writes to the scratch area."""
    from iro_analysis.core import paths
    from iro_analysis.core.settings import load_settings

    s = load_settings(args.settings)
    for kind in FOLDER_KINDS:
        attr = f"{kind}_dir"
        if getattr(args, attr, "absent") is None:
            setattr(args, attr, getattr(s.paths, kind))
    if args.command == "validate" and args.reports_dir == s.paths.reports:
        args.reports_dir = paths.scratch_dir(s.paths.reports)
    if args.command == "demo-data" and args.out is None:
        args.out = s.paths.raw


def cmd_demo_data(args: argparse.Namespace) -> int:
    """`iro-analysis demo-data`: the demo council, or with `--councils N` a demo region of
    N councils (`region.councils.generate_region`) in OUT/<la_code>/<YEAR>/."""
    if not getattr(args, "councils", None):
        from iro_analysis.demo import cli_main

        return cli_main(args)
    from iro_analysis.core.errors import InputError
    from iro_analysis.core.settings import load_settings
    from iro_analysis.core.years import parse_year_range
    from iro_analysis.region.councils import generate_region

    if (
        args.size is not None
        or args.scale is not None
        or args.ssda903_format != "csv"
        or args.iro_format != "native"
    ):
        raise InputError(
            "demo-data --councils: --size, --scale, --903-format and --iro-format are for "
            "one council"
        )
    demo = load_settings(args.settings).demo
    try:
        years = parse_year_range(args.years) if args.years else demo.year_list
        seed = demo.seed if args.seed is None else args.seed
        codes = generate_region(args.out, args.councils, seed, years, fault_rate=args.fault_rate)
    except ValueError as exc:
        raise InputError(f"demo-data: {exc}") from None
    print(
        f"Demo region of {len(codes)} councils ({', '.join(codes)}, seed {seed}): wrote "
        f"{min(years)}-{max(years)} to {args.out}/<la_code>/<YEAR>/"
    )
    return 0


def cmd_paths(args: argparse.Namespace) -> int:
    """Print one folder from the settings (what `make` uses for data/raw and friends)."""
    from iro_analysis.core.settings import load_settings

    print(getattr(load_settings(args.settings).paths, args.kind))
    return 0


def cmd_years(args: argparse.Namespace) -> int:
    """Print the years that have a raw folder, and how to build one."""
    from iro_analysis.core.paths import available_years

    raw = args.raw_dir
    years = available_years(raw)
    if not years:
        print(f"No years with raw data in {raw}. Run `make data` to generate the demo council.")
        return 1
    print("Years with raw data in " + str(raw) + ": " + ", ".join(map(str, years)))
    print(f"Build one with: make report YEAR={years[-1]}")
    return 0


def _handler(command: str):
    """The function that runs `command`, imported only when it is used (fast --help)."""
    module_name, func = HANDLERS[command].split(":")
    return getattr(importlib.import_module(module_name), func)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler = _handler(args.command)
    from iro_analysis.core.errors import IroAnalysisError, one_line, os_error_message
    from iro_analysis.core.settings import SettingsError

    try:
        settings_folders(args)
        return int(handler(args) or 0)
    except SettingsError as exc:
        print(
            f"iro-analysis {args.command}: error reading settings: {one_line(str(exc))}",
            file=sys.stderr,
        )
        return 1
    except IroAnalysisError as exc:
        print(f"iro-analysis {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:
        # A folder read-only or full, a file gone: one line, never a traceback (set
        # IRO_ANALYSIS_TRACEBACK=1 to see where it came from).
        if os.environ.get("IRO_ANALYSIS_TRACEBACK"):
            raise
        print(f"iro-analysis {args.command}: error: {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
