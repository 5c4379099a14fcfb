"""The synthetic demo council: one simulated population written in the real DfE formats.

`generate(out, years)` writes `out/<YEAR>/` for each year exactly per the data contract
(SSDA903 CSVs, the CIN census XML, the IRO extracts) plus `fault_manifest.json` listing the
data-quality faults injected. Same seed and parameters, same bytes. See docs/demo-data.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.demo import care, cp, faults, iro, oversight, writers
from iro_analysis.demo.dates import birthday, days
from iro_analysis.demo.education_health import oc2_rows, simulate_peps
from iro_analysis.demo.episodes import simulate_episodes
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.params import SIZES, DemoParams
from iro_analysis.demo.population import ORPHAN_START, characteristics, child_ids
from iro_analysis.demo.reviews import simulate_reviews
from iro_analysis.demo.short_breaks import simulate_short_breaks
from iro_analysis.demo.ssd import write_ssd
from iro_analysis.demo.workdays import WorkDays

__all__ = ["SIZES", "DemoParams", "Simulation", "cli_main", "generate", "simulate"]

CP1252_FILE = R.WORKFORCE.relpath  # written in cp1252 (no BOM) in every year
SSDA903_TABLES = ("header", "episodes", "reviews", "oc2")
SSDA903_XML_FILE = f"{R.SSDA903_DIR}/ssda903.xml"  # the 903 as one XML file
SSDA903_FORMATS = ("csv", "xml")
# The IRO meetings as iro/meetings.csv, or as Standard Safeguarding Dataset tables in ssd/
# with iro/meeting_details.csv (`demo.ssd`).
IRO_FORMATS = ("native", "ssd")
XML_FAULT_KINDS = ("impossible_date", "unknown_code", "lower_case_code", "whitespace")


@dataclass(frozen=True)
class Simulation:
    """Everything simulated, before it is cut into years (child = row of `people`)."""

    params: DemoParams
    horizon: Horizon
    people: pd.DataFrame  # child (index), CHILD, DOB, SEX, ETHNIC, UPN, mc_dob
    periods: pd.DataFrame  # looked-after periods (not short breaks)
    episodes: pd.DataFrame  # all episodes, short breaks included
    reviews: pd.DataFrame
    cp: dict[str, pd.DataFrame]  # cin, s47, plans, reviews, children
    workforce: pd.DataFrame
    meetings: pd.DataFrame
    disputes: pd.DataFrame
    peps: pd.DataFrame
    workdays: WorkDays
    # the optional IRO extracts
    footprints: pd.DataFrame
    feedback: pd.DataFrame
    establishment: pd.DataFrame
    visitors: pd.DataFrame


def resolve_params(
    size: str = "medium",
    scale: int | None = None,
    fault_rate: float = 0.01,
    params: DemoParams | None = None,
) -> DemoParams:
    """The parameters of a run: `scale` (children looked after at 31 March) overrides the
    size's number; `fault_rate` overrides the params' one."""
    if scale is None and size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    target = int(round(scale)) if scale is not None else SIZES[size]
    if target < 10:
        raise ValueError(f"scale must be at least 10 children looked after, got {scale!r}")
    if not 0 <= fault_rate <= 0.5:
        raise ValueError(f"fault_rate must be between 0 and 0.5, got {fault_rate!r}")
    return replace(params or DemoParams(), cla_target=target, fault_rate=float(fault_rate))


def simulate(seed: int, years: list[int], p: DemoParams) -> Simulation:
    """Simulate the council from the warm-up years to 31 March of the last year."""
    if not years:
        raise ValueError("no years to generate")
    h = Horizon(min(years), max(years), p.warmup_years)
    wd = WorkDays(int(str(h.start)[:4]) - 1, h.last + 5)
    ss = np.random.SeedSequence(seed).spawn(14)  # the first 10 as before the optional extracts
    rng = [np.random.default_rng(s) for s in ss]
    periods = care.simulate_periods(rng[0], p, h)
    episodes = simulate_episodes(rng[1], p, periods)
    reviews = simulate_reviews(rng[2], p, periods, wd, h)
    n_care = int(periods["child"].max()) + 1 if len(periods) else 0
    sb_periods, sb_episodes = simulate_short_breaks(rng[3], p, h, n_care)
    n_sb = len(sb_periods)
    cpd = cp.simulate_cp(rng[4], p, h, wd, n_care + n_sb)
    # People: one row per child index.
    dob = np.concatenate(
        [
            periods.drop_duplicates("child")["dob"].values.astype("datetime64[D]"),
            sb_periods["dob"].values.astype("datetime64[D]"),
            cpd["children"].sort_values("child")["dob"].values.astype("datetime64[D]"),
        ]
    )
    r = rng[5]
    people = characteristics(r, dob)
    people.insert(0, "CHILD", child_ids(r, len(dob)))
    people.insert(1, "DOB", dob)
    mother = r.random(len(dob)) < 0.02
    span = (birthday(dob, 18) - birthday(dob, 15)).astype(np.int64)
    mc = birthday(dob, 15) + days(np.floor(r.random(len(dob)) * span).astype(np.int64))
    people["mc_dob"] = np.where(mother & (people["SEX"].values == "2"), mc, np.datetime64("NaT"))
    # IRO service.
    months = pd.date_range(str(h.report_start - 366), str(h.end), freq="MS")
    load = pd.Series(
        iro.caseload(months.values.astype("datetime64[D]"), periods, cpd["plans"]), index=months
    )
    workforce = iro.simulate_workforce(rng[6], p, h, load)
    ids = people["CHILD"].values
    meetings = iro.build_meetings(
        rng[7], p, wd, reviews, cpd["s47"], cpd["reviews"], workforce, ids, h.report_start
    )
    disputes = iro.simulate_disputes(rng[8], p, h, wd, periods, cpd["plans"], workforce, ids)
    peps = simulate_peps(rng[9], p, periods, h)
    all_episodes = pd.concat([episodes, sb_episodes], ignore_index=True)
    footprints = oversight.simulate_footprints(rng[10], p, wd, h, reviews, meetings, workforce, ids)
    feedback = oversight.simulate_feedback(rng[11], p, h, meetings)
    establishment = oversight.establishment(rng[12], p, h, workforce)
    visitors = oversight.simulate_visitors(rng[13], p, h, periods)
    return Simulation(
        p,
        h,
        people,
        periods,
        all_episodes,
        reviews,
        cpd,
        workforce,
        meetings,
        disputes,
        peps,
        wd,
        footprints,
        feedback,
        establishment,
        visitors,
    )


def _xml_faults(
    rng: np.random.Generator, plans: pd.DataFrame, rate: float
) -> tuple[pd.DataFrame, dict[int, int], list[dict]]:
    """Faults on ChildProtectionPlans elements (text columns), their marks and entries."""
    plans = plans.copy()
    plans["CPPstartDate_text"] = writers.iso(plans["CPPstartDate"].values)
    plans["CPPendDate_text"] = writers.iso(plans["CPPendDate"].values)
    n = int(rng.binomial(len(plans), min(rate, 0.5))) if rate > 0 and len(plans) else 0
    if n == 0:
        return plans, {}, []
    rows = np.sort(rng.choice(len(plans), size=n, replace=False))
    kinds = np.asarray(XML_FAULT_KINDS)[rng.integers(0, len(XML_FAULT_KINDS), n)]
    marks, entries = {}, []
    for k, (r, kind) in enumerate(zip(rows, kinds, strict=True)):
        row = plans.iloc[r]
        if kind == "impossible_date":
            col = "CPPendDate"
            start = pd.Timestamp(row["CPPstartDate"])
            value = (start - pd.Timedelta(days=int(rng.integers(1, 60)))).strftime("%Y-%m-%d")
            plans.iloc[r, plans.columns.get_loc("CPPendDate_text")] = value
        else:
            col = "LatestCategoryOfAbuse" if kind != "lower_case_code" else "InitialCategoryOfAbuse"
            v = row[col]
            value = {"unknown_code": "ABU", "lower_case_code": v.lower(), "whitespace": f" {v} "}[
                kind
            ]
            plans.iloc[r, plans.columns.get_loc(col)] = value
        marks[int(row["plan_id"])] = k
        entries.append(
            {
                "element": "ChildProtectionPlans",
                "column": col,
                "kind": kind,
                "value": value,
                "plan_id": int(row["plan_id"]),
                "child": int(row["child"]),
            }
        )
    return plans, marks, entries


def _occurrence_keys(d: pd.DataFrame, cols: list[str]) -> list[tuple]:
    """Each row's values and how many identical rows come before it (from 1)."""
    seen: dict[tuple, int] = {}
    out = []
    for r in d[cols].astype(str).itertuples(index=False, name=None):
        seen[r] = seen.get(r, 0) + 1
        out.append((r, seen[r]))
    return out


def _xml_fault_lines(path: Path, written: dict[str, tuple[pd.DataFrame, list[dict]]]) -> list[dict]:
    """Manifest entries of faults in 903 tables written as XML: the file is the XML and the
    line is that of the record's start tag. Rows are matched on their values (the k-th of
    identical rows of a table is the k-th such record: the writer keeps their order)."""
    from iro_analysis.ingest.bookkeeping import LINE
    from iro_analysis.ingest.ssda903_xml import read_903_xml

    if not any(entries for _, entries in written.values()):
        return []
    back = read_903_xml(path)
    out = []
    for table, (df, entries) in written.items():
        if not entries:
            continue
        frame = back[table].frame
        cols = list(df.columns)
        line_of = dict(zip(_occurrence_keys(frame, cols), frame[LINE].astype(int), strict=True))
        csv_keys = _occurrence_keys(df, cols)
        for e in entries:
            line = int(line_of[csv_keys[e["line"] - 2]])
            out.append({**e, "file": SSDA903_XML_FILE, "line": line})
    return sorted(out, key=lambda e: e["line"])


def write_year(
    sim: Simulation,
    year: int,
    out: Path,
    seed: int,
    orphans: faults.OrphanIds,
    ssda903_format: str = "csv",
    iro_format: str = "native",
) -> Path:
    """Write one year's folder and its fault manifest; returns the folder. The 903 is four
    CSVs, or with `ssda903_format="xml"` one XML file (SSDA903_XML_FILE). With
    `iro_format="ssd"` the meetings are SSD tables (`demo.ssd`), written without faults;
    every other file is the same as with "native"."""
    if ssda903_format not in SSDA903_FORMATS:
        raise ValueError(f"ssda903_format must be one of {SSDA903_FORMATS}, got {ssda903_format!r}")
    if iro_format not in IRO_FORMATS:
        raise ValueError(f"iro_format must be one of {IRO_FORMATS}, got {iro_format!r}")
    p, people = sim.params, sim.people
    rng = np.random.default_rng([seed, year])
    ydir = Path(out) / str(year)
    (ydir / R.SSDA903_DIR).mkdir(parents=True, exist_ok=True)
    (ydir / R.IRO_DIR).mkdir(parents=True, exist_ok=True)
    episodes = writers.episodes_table(sim.episodes, people, year)
    in_year = sim.episodes.loc[writers._in_year(sim.episodes["DECOM"], sim.episodes["DEC"], year)]
    in_file = in_year["child"].values
    looked_after = in_year.loc[~in_year["LS"].isin(C.LS_SHORT_BREAKS), "child"].values
    tables = {
        "header": writers.header_table(people, in_file, year, looked_after),
        "episodes": episodes,
        "reviews": writers.reviews_table(sim.reviews, people, year),
        "oc2": writers.oc2_table(oc2_rows(rng, p, sim.periods, year), people),
        "meetings": writers.meetings_table(sim.meetings, year),
        "disputes": writers.disputes_table(
            sim.disputes, year, lambda raised, at: iro.stage_at(sim.workdays, p, raised, at)
        ),
        "workforce": writers.workforce_table(sim.workforce, year),
        "pep": writers.pep_table(sim.peps, people, year),
        "footprints": writers.footprints_table(sim.footprints, year),
        "feedback": writers.feedback_table(sim.feedback, year),
        "establishment": writers.establishment_table(sim.establishment, year),
        "independent_visitors": writers.visitors_table(sim.visitors, people, year),
    }
    manifest: list[dict] = []
    as_xml: dict[str, tuple[pd.DataFrame, list[dict]]] = {}
    for name, df in tables.items():
        spec = R.RAW_CSVS[name]
        if ssda903_format == "xml" and name in SSDA903_TABLES:
            # no orphan rows: the XML writer would give them a stub header
            as_xml[name] = faults.inject(
                rng, name, df, p.fault_rate, orphans, spec.relpath, exclude=("orphan_child",)
            )
            continue
        clean = df
        df, entries = faults.inject(rng, name, df, p.fault_rate, orphans, spec.relpath)
        if name == "meetings" and iro_format == "ssd":
            # the same random draws as "native" (every other file alike), no faults here
            write_ssd(clean, tables["episodes"], ydir)
            continue
        manifest += entries
        encoding = "cp1252" if spec.relpath == CP1252_FILE else "utf-8"
        df.to_csv(ydir / spec.relpath, index=False, lineterminator="\n", encoding=encoding)
        if encoding == "cp1252":
            non_ascii = [v for v in df["iro_id"] if not v.isascii()]
            manifest.append(
                {
                    "file": spec.relpath,
                    "line": 1,
                    "column": None,
                    "kind": "cp1252_encoding",
                    "value": non_ascii[0] if non_ascii else None,
                    "child_id": None,
                }
            )
    if as_xml:
        from iro_analysis.ingest.ssda903_xml import write_903_xml

        path = ydir / SSDA903_XML_FILE
        write_903_xml({t: df for t, (df, _) in as_xml.items()}, path)
        manifest = _xml_fault_lines(path, as_xml) + manifest
    cin = writers.cin_tables(sim.cp, year)
    cin["plans"], marks, xml_entries = _xml_faults(rng, cin["plans"], p.fault_rate)
    text, lines = writers.cin_xml(year, cin, people, marks)
    (ydir / R.CIN_FILE).write_text(text, encoding="utf-8", newline="\n")
    for k, e in enumerate(xml_entries):
        child = e.pop("child")
        e.pop("plan_id")
        manifest.append(
            {
                "file": R.CIN_FILE,
                "line": lines[k],
                "child_id": people["CHILD"].values[child],
                **e,
            }
        )
    doc = {"year": year, "seed": seed, "fault_rate": p.fault_rate, "faults": manifest}
    (ydir / Q.FAULT_MANIFEST).write_text(
        json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )
    return ydir


def generate(
    out: Path,
    years: list[int],
    seed: int = 42,
    size: str = "medium",
    scale: int | None = None,
    fault_rate: float = 0.01,
    progress: bool = False,
    params: DemoParams | None = None,
    ssda903_format: str = "csv",
    iro_format: str = "native",
) -> list[Path]:
    """Write `out/<YEAR>/` for each year (files of the data contract + fault manifest).

    `scale` is the number of children looked after at 31 March (overrides `size`).
    `ssda903_format` "xml" writes each year's 903 as one XML file (ssda903/ssda903.xml)
    instead of the four CSVs; `iro_format` "ssd" the meetings as SSD tables (`demo.ssd`).
    Returns the year folders written."""
    if ssda903_format not in SSDA903_FORMATS:
        raise ValueError(f"ssda903_format must be one of {SSDA903_FORMATS}, got {ssda903_format!r}")
    from tqdm.auto import tqdm

    p = resolve_params(size, scale, fault_rate, params)
    years = sorted(set(int(y) for y in years))
    with tqdm(total=len(years) + 1, desc="demo council", unit="step", disable=not progress) as bar:
        bar.set_postfix_str("simulating")
        sim = simulate(seed, years, p)
        bar.update(1)
        orphans = faults.OrphanIds(ORPHAN_START)
        written = []
        for year in years:
            bar.set_postfix_str(str(year))
            written.append(
                write_year(sim, year, Path(out), seed, orphans, ssda903_format, iro_format)
            )
            bar.update(1)
    return written


def cli_main(args) -> int:
    """`iro-analysis demo-data`: options left unset come from config/settings.yaml."""
    from iro_analysis.core.errors import InputError
    from iro_analysis.core.settings import load_settings
    from iro_analysis.core.years import parse_year_range

    settings = load_settings(getattr(args, "settings", None))
    demo = settings.demo
    try:
        years = parse_year_range(args.years) if args.years else demo.year_list
        seed = demo.seed if args.seed is None else args.seed
        size = demo.size if args.size is None else args.size
        rate = demo.fault_rate if args.fault_rate is None else args.fault_rate
        params = resolve_params(size, args.scale, rate)
    except ValueError as exc:
        raise InputError(f"demo-data: {exc}") from None
    out = Path(args.out) if args.out else settings.paths.raw
    written = generate(
        out,
        years,
        seed=seed,
        size=size,
        scale=args.scale,
        fault_rate=params.fault_rate,
        progress=not args.no_progress,
        ssda903_format=getattr(args, "ssda903_format", None) or "csv",
        iro_format=getattr(args, "iro_format", None) or "native",
    )
    what = (
        f"{len(written)} year(s) {years[0]}-{years[-1]}" if len(years) > 1 else f"year {years[0]}"
    )
    print(
        f"Demo council ({params.cla_target} children looked after, seed {seed}): wrote {what} to {out}"
    )
    return 0
