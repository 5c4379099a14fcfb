"""The demo-data generator: formats, determinism, statutory cadence, consistency between
files, calibration and the fault manifest. Everything is checked from the written files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from argparse import Namespace
from collections import Counter
from dataclasses import replace
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest

from iro_analysis.contract import codes as C
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.demo import DemoParams, cli_main, generate
from iro_analysis.demo.faults import FAULT_SPEC
from iro_analysis.demo.population import ORPHAN_START

YEARS = [2020, 2021, 2022]
# meeting_details.csv is written with the SSD's meetings only (--iro-format ssd, tests/test_ssd.py)
CSV_TABLES = [t for t in R.RAW_CSVS if t != "meeting_details"]


# ----------------------------------------------------------------------------------------
# Fixtures: small clean, small with faults, medium for calibration (generated once)
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_clean")
    generate(out, YEARS, seed=3, size="small", fault_rate=0.0)
    return out


@pytest.fixture(scope="session")
def faulty_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_faults")
    generate(out, YEARS, seed=5, size="small", fault_rate=0.03)
    return out


@pytest.fixture(scope="session")
def medium_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_medium")
    generate(out, list(range(2018, 2025)), seed=42, size="medium", fault_rate=0.0)
    return out


def read_csv(root: Path, year: int, table: str) -> pd.DataFrame:
    spec = R.RAW_CSVS[table]
    enc = "cp1252" if table == "workforce" else "utf-8"
    return pd.read_csv(
        root / str(year) / spec.relpath, dtype=str, keep_default_na=False, encoding=enc
    )


def dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != ""), format="%d/%m/%Y")


def all_years(root: Path, table: str, years=YEARS) -> pd.DataFrame:
    return pd.concat([read_csv(root, y, table).assign(year=y) for y in years], ignore_index=True)


HOLS = np.array(
    sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2000, 2030))),
    dtype="datetime64[D]",
)


def wd(a, b) -> np.ndarray:
    """Working days after a up to and including b (kpis.md), independent of the package."""
    a = np.asarray(a, dtype="datetime64[D]") + 1
    b = np.asarray(b, dtype="datetime64[D]") + 1
    return np.busday_count(a, b, holidays=HOLS)


def add_wd(a, n) -> np.ndarray:
    return np.busday_offset(np.asarray(a, dtype="datetime64[D]"), n, roll="backward", holidays=HOLS)


def year_bounds(y: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(y - 1, 4, 1), pd.Timestamp(y, 3, 31)


def cin_xml(root: Path, year: int) -> ET.Element:
    return ET.parse(root / str(year) / R.CIN_FILE).getroot()


def cin_frames(root: Path, years=YEARS) -> dict[str, pd.DataFrame]:
    """S47s, plans and plan reviews of every year's census (deduplicated across years)."""
    s47, plans, reviews = [], [], []
    for y in years:
        for child in cin_xml(root, y).iter("Child"):
            cid = child.findtext("ChildIdentifiers/LAchildID")
            for det in child.iter("CINdetails"):
                for s in det.iter("Section47"):
                    s47.append(
                        {"child": cid, "year": y, **{f: s.findtext(f) or "" for f in R.S47_FIELDS}}
                    )
                for p in det.iter("ChildProtectionPlans"):
                    plans.append(
                        {"child": cid, "year": y, **{f: p.findtext(f) or "" for f in R.CPP_FIELDS}}
                    )
                    for r in p.iter(R.CPP_REVIEW_FIELD):
                        reviews.append(
                            {
                                "child": cid,
                                "CPPstartDate": p.findtext("CPPstartDate"),
                                "date": r.text,
                            }
                        )
    s47 = pd.DataFrame(s47).drop_duplicates(["child", "S47ActualStartDate"], keep="last")
    plans = pd.DataFrame(plans).drop_duplicates(["child", "CPPstartDate"], keep="last")
    reviews = pd.DataFrame(reviews).drop_duplicates()
    return {"s47": s47, "plans": plans, "reviews": reviews}


# ----------------------------------------------------------------------------------------
# Formats
# ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_contract_file_is_written_with_exact_columns(clean_dir):
    for y in YEARS:
        ydir = clean_dir / str(y)
        assert (ydir / R.CIN_FILE).is_file() and (ydir / Q.FAULT_MANIFEST).is_file()
        for table in CSV_TABLES:
            spec = R.RAW_CSVS[table]
            first = (ydir / spec.relpath).read_bytes().split(b"\n", 1)[0].decode("ascii")
            assert first.split(",") == list(spec.columns), spec.relpath
            assert len(read_csv(clean_dir, y, table)) > 0, spec.relpath


def test_generate_returns_year_folders(tmp_path):
    out = generate(tmp_path, [2022, 2021], seed=1, scale=60, fault_rate=0)
    assert out == [tmp_path / "2021", tmp_path / "2022"]


def test_cin_census_parses_and_follows_the_contract_structure(clean_dir):
    root = cin_xml(clean_dir, 2022)
    assert root.tag == "Message"
    assert root.findtext("Header/CollectionDetails/Collection") == "CIN"
    assert root.findtext("Header/CollectionDetails/Year") == "2022"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2022-03-31"
    children = root.findall("Children/Child")
    assert len(children) > 100
    ids = [c.findtext("ChildIdentifiers/LAchildID") for c in children]
    assert len(ids) == len(set(ids))
    n_plans = 0
    for c in children:
        ident = c.find("ChildIdentifiers")
        # CIN GenderCurrent 1/2 up to 2023/24 (Sex M/F from 2024/25)
        assert [e.tag for e in ident] == ["LAchildID", "UPN", "PersonBirthDate", "GenderCurrent"]
        assert c.findtext("ChildCharacteristics/Ethnicity") in C.ETHNIC_CODES
        assert c.findtext("ChildIdentifiers/GenderCurrent") in ("1", "2")
        dob = pd.Timestamp(c.findtext("ChildIdentifiers/PersonBirthDate"))
        for det in c.findall("CINdetails"):
            tags = [e.tag for e in det]
            assert tags[0] == "CINreferralDate"
            assert set(tags) <= {*R.CIN_DETAILS_FIELDS, "Section47", "ChildProtectionPlans"}
            referral = pd.Timestamp(det.findtext("CINreferralDate"))
            closure = det.findtext("CINclosureDate")
            assert closure is None or pd.Timestamp(closure) >= referral
            assert (closure is None) == (det.findtext("ReasonForClosure") is None)
            for s in det.findall("Section47"):
                start = pd.Timestamp(s.findtext("S47ActualStartDate"))
                assert start >= dob and start >= referral
                assert s.findtext("ICPCnotRequired") in ("true", "false")
                icpc = s.findtext("DateOfInitialCPC")
                if icpc:
                    assert s.findtext("ICPCnotRequired") == "false"
                    assert pd.Timestamp(icpc) >= start
                    assert det.findtext("DateOfInitialCPC") == icpc
            for p in det.findall("ChildProtectionPlans"):
                n_plans += 1
                tags = [e.tag for e in p]
                assert tags[:2] == ["CPPstartDate", "CPPendDate"] or tags[0] == "CPPstartDate"
                assert p.findtext("InitialCategoryOfAbuse") in C.CP_CATEGORIES
                assert p.findtext("LatestCategoryOfAbuse") in C.CP_CATEGORIES
                assert int(p.findtext("NumberOfPreviousCPP")) >= 0
                start = pd.Timestamp(p.findtext("CPPstartDate"))
                end = p.findtext("CPPendDate")
                assert end is None or pd.Timestamp(end) > start
                assert end is None or pd.Timestamp(end) <= pd.Timestamp("2022-03-31")
                revs = [pd.Timestamp(r.text) for r in p.findall("Reviews/CPPreviewDate")]
                assert revs == sorted(revs) and all(start < r for r in revs)
                assert all(r <= pd.Timestamp(end) for r in revs) if end else True
    assert n_plans > 100


# ----------------------------------------------------------------------------------------
# Determinism and options
# ----------------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, [2021, 2022], seed=11, scale=150, fault_rate=0.02)
    generate(b, [2021, 2022], seed=11, scale=150, fault_rate=0.02)
    generate(c, [2021, 2022], seed=12, scale=150, fault_rate=0.02)
    ta, tb, tc = _tree(a), _tree(b), _tree(c)
    assert len(ta) == 2 * 14  # 4 903 CSVs, the census, 8 IRO extracts, the fault manifest
    assert ta == tb
    assert ta["2022/ssda903/episodes.csv"] != tc["2022/ssda903/episodes.csv"]


def test_fault_rate_zero_writes_no_row_faults(clean_dir):
    for y in YEARS:
        doc = json.loads((clean_dir / str(y) / Q.FAULT_MANIFEST).read_text(encoding="utf-8"))
        assert doc["year"] == y and doc["seed"] == 3 and doc["fault_rate"] == 0
        assert {e["kind"] for e in doc["faults"]} == {"cp1252_encoding"}


def test_cli_uses_settings_for_unset_options(tmp_path, capsys):
    args = Namespace(
        out=tmp_path,
        years="2022",
        seed=None,
        size=None,
        scale=80.0,
        fault_rate=0.0,
        no_progress=True,
        settings=None,
    )
    assert cli_main(args) == 0
    assert (tmp_path / "2022" / R.CIN_FILE).is_file()
    assert not (tmp_path / "2021").exists()
    assert str(tmp_path) in capsys.readouterr().out
    doc = json.loads((tmp_path / "2022" / Q.FAULT_MANIFEST).read_text(encoding="utf-8"))
    assert doc["seed"] == 42  # config/settings.yaml demo.seed


@pytest.mark.slow
def test_903_format_xml_writes_one_xml_and_no_903_csvs(tmp_path):
    from iro_analysis.cli import main
    from iro_analysis.ingest.ssda903_xml import read_903_xml

    common = ["--years", "2022", "--seed", "3", "--size", "small", "--fault-rate", "0"]
    xml_out, csv_out = tmp_path / "xml", tmp_path / "csv"
    argv = ["demo-data", "--out", str(xml_out), *common, "--no-progress", "--903-format", "xml"]
    assert main(argv) == 0
    assert main(["demo-data", "--out", str(csv_out), *common, "--no-progress"]) == 0
    assert sorted(p.name for p in (xml_out / "2022" / "ssda903").iterdir()) == ["ssda903.xml"]
    assert (xml_out / "2022" / R.MEETINGS.relpath).is_file()  # the IRO extracts stay CSV
    back = read_903_xml(xml_out / "2022" / "ssda903" / "ssda903.xml")
    for table in ("header", "episodes", "reviews", "oc2"):
        cols = list(R.RAW_CSVS[table].columns)
        got = back[table].frame[cols].sort_values(cols).reset_index(drop=True)
        want = read_csv(csv_out, 2022, table).sort_values(cols).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # the other files are the same bytes
    for rel in ("cin_census.xml", R.MEETINGS.relpath, R.WORKFORCE.relpath):
        assert (xml_out / "2022" / rel).read_bytes() == (csv_out / "2022" / rel).read_bytes()


def own_fields(block: list[str]) -> list[str]:
    """A 903 XML record's own element lines, without the reviews and OC2 nested in HEADER."""
    out, inside = [], None
    for x in block:
        t = x.strip()
        if inside:
            inside = None if t == f"</{inside}>" else inside
        elif t in ("<AREVIEW>", "<OC2>"):
            inside = t[1:-1]
        else:
            out.append(t)
    return out


def test_903_xml_faults_are_listed_at_their_records(tmp_path):
    generate(tmp_path, [2022], seed=5, size="small", fault_rate=0.03, ssda903_format="xml")
    doc = json.loads((tmp_path / "2022" / Q.FAULT_MANIFEST).read_text(encoding="utf-8"))
    lines = (tmp_path / "2022" / "ssda903" / "ssda903.xml").read_text(encoding="utf-8").split("\n")
    faults = [e for e in doc["faults"] if e["file"] == "ssda903/ssda903.xml"]
    assert len(faults) > 30
    assert not any(
        e["file"].startswith("ssda903/")
        and e["file"] != Q.FAULT_MANIFEST
        and e["file"].endswith(".csv")
        for e in doc["faults"]
    )
    assert "orphan_child" not in {e["kind"] for e in faults}
    records = ("<HEADER>", "<EPISODE>", "<AREVIEW>", "<OC2>")
    element = {"CHILD": "CHILDID", "PLACE": "PL"}
    for e in faults:
        start = lines[e["line"] - 1].strip()
        assert start in records, e
        end = start.replace("<", "</")
        stop = next(i for i in range(e["line"], len(lines)) if lines[i].strip() == end)
        block = lines[e["line"] : stop]
        if e["kind"] == "exact_duplicate":  # a copy of the record before it
            before = max(i for i in range(e["line"] - 1) if lines[i].strip() == start)
            stop = next(i for i in range(before + 1, len(lines)) if lines[i].strip() == end)
            assert own_fields(lines[before + 1 : stop]) == own_fields(block), e
            continue
        tag = element.get(e["column"], e["column"])
        if e["value"]:
            assert any(x.strip() == f"<{tag}>{e['value']}</{tag}>" for x in block), e
        else:
            assert not any(x.strip().startswith(f"<{tag}>") for x in block), e


@pytest.mark.slow
def test_903_xml_faults_are_what_the_cleaner_finds(tmp_path):
    from iro_analysis.ingest.clean import build_dataset

    generate(tmp_path, YEARS, seed=7, size="small", fault_rate=0.03, ssda903_format="xml")
    manifest = []
    for y in YEARS:
        doc = json.loads((tmp_path / str(y) / Q.FAULT_MANIFEST).read_text(encoding="utf-8"))
        manifest += [{**e, "year": y} for e in doc["faults"]]
    ds = build_dataset(tmp_path)
    q = ds.quarantine.assign(base=ds.quarantine["file"].str.split("#").str[0])
    for kind, what in Q.FAULT_KINDS.items():
        if what != "quarantined":
            continue
        hit = q.loc[q["rule"] == kind]
        found = set(zip(hit["year"], hit["base"], hit["line"], strict=True))
        assert found == {(e["year"], e["file"], e["line"]) for e in manifest if e["kind"] == kind}
    assert any(e["file"] == "ssda903/ssda903.xml" for e in manifest)
    acc = ds.accounting.assign(base=ds.accounting["file"].str.split("#").str[0])
    removed = acc.groupby(["year", "base"])["duplicates_removed"].sum()
    expected = Counter((e["year"], e["file"]) for e in manifest if e["kind"] == "exact_duplicate")
    assert Counter({k: int(v) for k, v in removed.items() if v}) == expected


def test_cli_rejects_bad_options(tmp_path):
    from iro_analysis.core.errors import InputError

    args = Namespace(
        out=tmp_path,
        years="2022",
        seed=1,
        size="small",
        scale=None,
        fault_rate=0.9,
        no_progress=True,
        settings=None,
    )
    with pytest.raises(InputError, match="fault_rate"):
        cli_main(args)


# ----------------------------------------------------------------------------------------
# The 903 rules and the population moving through time
# ----------------------------------------------------------------------------------------


def test_episodes_follow_903_rules(clean_dir):
    header = all_years(clean_dir, "header")
    dob = header.drop_duplicates("CHILD", keep="last").set_index("CHILD")["DOB"].pipe(dates)
    for y in YEARS:
        start, end = year_bounds(y)
        e = read_csv(clean_dir, y, "episodes")
        assert set(e["CHILD"]) == set(read_csv(clean_dir, y, "header")["CHILD"])
        assert e["LS"].isin(C.LS_CODES).all() and e["RNE"].isin(C.RNE_CODES).all()
        assert e["PLACE"].isin(C.PLACE_CODES).all() and e["CIN"].isin(C.CIN_CODES).all()
        # no provider for 'other placements' (903 rules 178, 213)
        none = e["PLACE"].isin(["Z1", "Z11", "Z12", "Z13", "Z14"])
        assert e.loc[~none, "PLACE_PROVIDER"].isin(C.PLACE_PROVIDER_CODES).all()
        assert (e.loc[none, "PLACE_PROVIDER"] == "").all()
        assert e["REC"].isin((*C.REC_CODES, "")).all()
        assert ((e["DEC"] == "") == (e["REC"] == "")).all()
        decom, dec = dates(e["DECOM"]), dates(e["DEC"])
        assert (decom <= end).all() and (dec.isna() | (dec >= start)).all()
        assert (dec.isna() | (dec > decom)).all()
        assert (dec.isna() | (dec <= end)).all()
        assert (decom >= e["CHILD"].map(dob)).all()  # care may start on the day of birth
        # chains: within a child, each episode starts on the previous DEC unless RNE = S
        e = e.assign(decom=decom, dec=dec).sort_values(["CHILD", "decom"])
        prev_dec = e.groupby("CHILD")["dec"].shift()
        prev_rec = e.groupby("CHILD")["REC"].shift()
        cont = (e["RNE"] != "S") & prev_dec.notna()  # the first row may continue from last year
        assert (prev_dec[cont] == e.loc[cont, "decom"]).all()
        assert (prev_rec[cont] == "X1").all()
        new = e["RNE"].eq("S") & prev_dec.notna()
        assert (prev_dec[new] < e.loc[new, "decom"]).all()  # a gap before a new period
        assert (prev_rec[new] != "X1").all()
        # only the last episode of a child may be open
        assert e.groupby("CHILD")["dec"].apply(lambda s: s.iloc[:-1].notna().all()).all()
        # H5 and P2 only at 16+
        age = (e["decom"] - e["CHILD"].map(dob)).dt.days / 365.25
        assert (age[e["PLACE"].isin(["H5", "P2"])] >= 16).all()


def test_episodes_follow_dfe_rules_on_changes_and_short_breaks(clean_dir):
    """DfE's 903 rules on new episodes, emergency orders, placement details and short
    breaks (tests/test_demo_dfe_rules.py runs DfE's validator itself)."""
    for y in YEARS:
        e = read_csv(clean_dir, y, "episodes")
        e = e.assign(decom=dates(e["DECOM"]), dec=dates(e["DEC"])).sort_values(["CHILD", "decom"])
        prev = e.groupby("CHILD").shift()
        nxt = e.groupby("CHILD").shift(-1)
        cont = e["RNE"] != "S"
        cont &= prev["dec"].eq(e["decom"])  # the previous episode is in the file
        details = ["PLACE", "PLACE_PROVIDER", "PL_POST", "URN"]
        same_ls = e["LS"] == prev["LS"]
        same_place = (e[details] == prev[details]).all(axis=1)
        rne = e["RNE"]
        assert (same_place & ~same_ls)[cont & (rne == "L")].all()  # 434
        assert (~same_place & same_ls)[cont & rne.isin(["P", "T"])].all()  # 435
        assert (~same_place & ~same_ls)[cont & rne.isin(["B", "U"])].all()  # 436
        # the reason for a placement change is on the episode that ended (225, 233)
        moved = e["dec"].notna() & (e["REC"] == "X1") & nxt["RNE"].isin(["P", "B", "T", "U"])
        moved &= nxt["decom"].eq(e["dec"])
        assert ((e["REASON_PLACE_CHANGE"] != "") == moved).all()
        assert e.loc[moved, "REASON_PLACE_CHANGE"].isin(C.REASON_PLACE_CHANGE_CODES).all()
        # police protection at most 72 hours, an EPO at most 15 days (361, 362)
        for ls, most in (("L1", 3), ("L2", 15)):
            m = (e["LS"] == ls) & e["dec"].notna()
            assert ((e.loc[m, "dec"] - e.loc[m, "decom"]).dt.days <= most).all()
        assert not ((e["PLACE"] == "P1") & (e["LS"] == "V2")).any()  # 378
        assert e.loc[e["PLACE"].isin(["A3", "A5"]), "RNE"].isin(["S", "T", "U"]).all()  # 217
        # short breaks: no postcodes or URN, not a long-term foster placement (214, 384, 398)
        sb = e["LS"].isin(C.LS_SHORT_BREAKS)
        assert (e.loc[sb, ["HOME_POST", "PL_POST", "URN"]] == "").all().all()
        assert not e.loc[sb, "PLACE"].isin(["U1", "U4"]).any()
        # MOTHER for every girl looked after (393), blank for short breaks only (399)
        h = read_csv(clean_dir, y, "header")
        cla = set(e.loc[~sb, "CHILD"])
        girls = h["SEX"] == "2"
        assert h.loc[girls & h["CHILD"].isin(cla), "MOTHER"].isin(["0", "1"]).all()
        assert (h.loc[~girls | ~h["CHILD"].isin(cla), "MOTHER"] == "").all()
    # nobody returns to care after an adoption (199)
    e = all_years(clean_dir, "episodes").drop_duplicates(["CHILD", "DECOM"], keep="last")
    e = e.assign(decom=dates(e["DECOM"])).sort_values(["CHILD", "decom"])
    adopted = e["REC"].isin(["E11", "E12"]).groupby(e["CHILD"]).cumsum()
    assert not (adopted.groupby(e["CHILD"]).shift().fillna(0) > 0).any()


def test_open_episodes_repeat_across_years_with_blank_dec(clean_dir):
    e21, e22 = read_csv(clean_dir, 2021, "episodes"), read_csv(clean_dir, 2022, "episodes")
    open21 = e21.loc[e21["DEC"] == ""]
    both = open21.merge(e22, on=["CHILD", "DECOM"], suffixes=("", "_22"))
    assert len(both) == len(open21)  # every open episode is in the next file
    assert (both["LS"] == both["LS_22"]).all()
    assert (both["DEC_22"] != "").any() and (both["DEC_22"] == "").any()


def test_some_children_return_to_care(clean_dir):
    e = all_years(clean_dir, "episodes").drop_duplicates(["CHILD", "DECOM"])
    periods = e.loc[e["RNE"] == "S"].groupby("CHILD").size()
    assert (periods >= 2).sum() >= 5


def test_reviews_follow_903_rules(clean_dir):
    for y in YEARS:
        start, end = year_bounds(y)
        r = read_csv(clean_dir, y, "reviews")
        rd, dob = dates(r["REVIEW"]), dates(r["DOB"])
        assert rd.between(start, end).all() and (rd > dob).all()
        assert r["REVIEW_CODE"].isin(C.REVIEW_CODES).all()
        age = pd.Series(
            [
                d.year - b.year - ((d.month, d.day) < (b.month, b.day))
                for d, b in zip(rd, dob, strict=True)
            ]
        )
        assert ((r["REVIEW_CODE"] == "PN0") == (age < 4)).all()  # DfE rules 440/441
        # no review falls in a short-break episode or outside care
        e = read_csv(clean_dir, y, "episodes")
        sb = set(e.loc[e["LS"].isin(C.LS_SHORT_BREAKS), "CHILD"])
        assert not sb & set(r["CHILD"])
        assert set(r["CHILD"]) <= set(e["CHILD"])


def test_oc2_lists_children_looked_after_for_a_year(clean_dir):
    y = 2022
    o = read_csv(clean_dir, y, "oc2")
    e = all_years(clean_dir, "episodes").drop_duplicates(["CHILD", "DECOM"], keep="last")
    e = e.assign(decom=dates(e["DECOM"]), dec=dates(e["DEC"]))
    e = e.loc[~e["LS"].isin(C.LS_SHORT_BREAKS)].sort_values(["CHILD", "decom"])
    new_child = e["CHILD"].ne(e["CHILD"].shift())
    e["period"] = (new_child | (e["RNE"] == "S")).cumsum()
    per = (
        e.assign(is_open=e["dec"].isna())
        .groupby("period")
        .agg(
            CHILD=("CHILD", "first"),
            rne=("RNE", "first"),
            start=("decom", "min"),
            last=("dec", "max"),
            is_open=("is_open", "max"),
        )
    )
    start, end = year_bounds(y)
    # DfE: not ceased before 31 March (a period ending on 31 March counts)
    open_ = per.loc[(per["start"] <= end) & (per["is_open"] | (per["last"] >= end))]
    # a period whose RNE=S episode is not in the files started before them: over a year ago
    cohort = open_.loc[(open_["rne"] != "S") | (open_["start"] <= start), "CHILD"]
    assert len(cohort) > 50
    assert set(o["CHILD"]) == set(cohort)
    for col in ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE"):
        assert o[col].isin(["0", "1"]).all()
    # the items each age calls for (903 rules 188, 189, 197B, 542, 543, 545, 546, 158, 159)
    dob = dates(o["DOB"])
    bday = {k: dob + pd.DateOffset(years=k) for k in (4, 5, 10, 16, 17)}
    under5 = bday[5] > end
    assert o.loc[under5, "HEALTH_CHECK"].isin(["0", "1"]).all()
    assert (o.loc[~under5, "HEALTH_CHECK"] == "").all()
    sdq_age = (bday[4] <= end) & (bday[17] >= start)
    has_sdq = (o["SDQ_SCORE"] != "") | (o["SDQ_REASON"] != "")
    assert (has_sdq == sdq_age).all()
    assert ((o["SDQ_SCORE"] != "") & (o["SDQ_REASON"] != "")).sum() == 0
    core = (bday[4] <= start) & (bday[16] >= end)
    assert (o.loc[core, "SDQ_REASON"] != "SDQ1").all()
    assert ((o["CONVICTED"] != "") == (bday[10] <= end)).all()
    misuse = o["SUBSTANCE_MISUSE"] == "1"
    assert o.loc[misuse, "INTERVENTION_RECEIVED"].isin(["0", "1"]).all()
    assert (o.loc[~misuse, ["INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"]] == "").all().all()
    offered = o["INTERVENTION_OFFERED"] != ""
    assert (offered == (misuse & (o["INTERVENTION_RECEIVED"] == "0"))).all()


# ----------------------------------------------------------------------------------------
# Statutory cadence (reg. 33 and Working Together)
# ----------------------------------------------------------------------------------------


def review_timeliness(root: Path, years) -> pd.DataFrame:
    """Each 903 review of a period whose start is in the data, with its due date."""
    e = all_years(root, "episodes", years).drop_duplicates(["CHILD", "DECOM"], keep="last")
    e = e.loc[~e["LS"].isin(C.LS_SHORT_BREAKS)].assign(decom=dates(e["DECOM"]))
    e = e.sort_values(["CHILD", "decom"])
    starts = e.loc[e["RNE"] == "S", ["CHILD", "decom"]].rename(columns={"decom": "start"})
    r = all_years(root, "reviews", years).drop_duplicates(["CHILD", "REVIEW"], keep="last")
    r = r.assign(review=dates(r["REVIEW"])).sort_values("review")
    r = pd.merge_asof(
        r, starts.sort_values("start"), left_on="review", right_on="start", by="CHILD"
    ).sort_values(["CHILD", "review"])
    first_start = year_bounds(min(years))[0]  # every review of these periods is supplied
    r = r.loc[r["start"] >= first_start].copy()
    r["ordinal"] = r.groupby(["CHILD", "start"]).cumcount() + 1
    prev = r.groupby(["CHILD", "start"])["review"].shift()
    due = pd.Series(add_wd(r["start"].values, 20), index=r.index).astype("datetime64[ns]")
    due = due.where(r["ordinal"] == 1, prev + pd.DateOffset(months=3))
    due = due.where(r["ordinal"] <= 2, prev + pd.DateOffset(months=6))
    return r.assign(due=due, on_time=r["review"] <= due)


@pytest.mark.slow
def test_reviews_follow_reg33_cadence_exactly_without_lateness(tmp_path):
    p = replace(DemoParams(), review_late_prob=0.0, rcpc_late_prob=0.0)
    generate(tmp_path, [2021, 2022], seed=9, scale=300, fault_rate=0, params=p)
    t = review_timeliness(tmp_path, [2021, 2022])
    assert len(t) > 300 and (t["ordinal"] >= 3).sum() > 50
    assert t["on_time"].all()
    # reviews are not held absurdly early either: within 15 working days of the due date
    assert (wd(t["review"].values, t["due"].values) <= 15).all()
    cp = cin_frames(tmp_path, [2021, 2022])
    rev = cp["reviews"].assign(date=pd.to_datetime(cp["reviews"]["date"]))
    rev = rev.assign(start=pd.to_datetime(rev["CPPstartDate"])).sort_values(
        ["child", "start", "date"]
    )
    rev = rev.loc[rev["start"] >= pd.Timestamp("2020-04-01")]
    prev = rev.groupby(["child", "start"])["date"].shift()
    due = (prev + pd.DateOffset(months=6)).fillna(rev["start"] + pd.DateOffset(months=3))
    assert len(rev) > 100 and (rev["date"] <= due).all()


@pytest.mark.slow
def test_review_lateness_matches_the_parameter(medium_dir):
    t = review_timeliness(medium_dir, list(range(2019, 2025)))
    assert len(t) > 5000
    late = 1 - t["on_time"].mean()
    assert abs(late - DemoParams().review_late_prob) < 0.02
    assert wd(t.loc[~t["on_time"], "due"].values, t.loc[~t["on_time"], "review"].values).max() <= (
        DemoParams().review_late_max_wd
    )
    # review conferences: first within 3 months of the plan's start, then 6-monthly
    cp = cin_frames(medium_dir, list(range(2019, 2025)))
    rev = cp["reviews"].assign(
        date=pd.to_datetime(cp["reviews"]["date"]),
        start=pd.to_datetime(cp["reviews"]["CPPstartDate"]),
    )
    rev = rev.loc[rev["start"] >= pd.Timestamp("2018-04-01")].sort_values(
        ["child", "start", "date"]
    )
    prev = rev.groupby(["child", "start"])["date"].shift()
    due = (prev + pd.DateOffset(months=6)).fillna(rev["start"] + pd.DateOffset(months=3))
    assert len(rev) > 3000
    assert abs((rev["date"] > due).mean() - DemoParams().rcpc_late_prob) < 0.02


# ----------------------------------------------------------------------------------------
# Consistency between files
# ----------------------------------------------------------------------------------------


def test_meetings_log_matches_reviews_and_conferences(clean_dir):
    cp = cin_frames(clean_dir)
    for y in YEARS:
        start, end = year_bounds(y)
        m = read_csv(clean_dir, y, "meetings")
        assert m["meeting_type"].isin(C.MEETING_TYPES).all() and m["meeting_id"].is_unique
        held = dates(m["held_date"])
        assert held.between(start, end).all()
        assert (dates(m["first_scheduled_date"]) <= held).all()
        rearr = m["times_rearranged"].astype(int)
        assert ((rearr > 0) == (m["rearranged_reason"] != "")).all()
        assert m.loc[rearr > 0, "rearranged_reason"].isin(C.REARRANGED_REASONS).all()
        assert ((rearr == 0) == (m["first_scheduled_date"] == m["held_date"])).all()

        def pairs(kind, m=m):
            sub = m.loc[m["meeting_type"] == kind]
            return set(zip(sub["child_id"], dates(sub["held_date"]), strict=True))

        r = read_csv(clean_dir, y, "reviews")
        assert pairs("CLA_REVIEW") == set(zip(r["CHILD"], dates(r["REVIEW"]), strict=True))
        s47 = cp["s47"].loc[cp["s47"]["DateOfInitialCPC"] != ""]
        icpc = pd.to_datetime(s47["DateOfInitialCPC"])
        inyear = icpc.between(start, end)
        assert pairs("ICPC") == set(zip(s47.loc[inyear, "child"], icpc[inyear], strict=True))
        rv = cp["reviews"].assign(date=pd.to_datetime(cp["reviews"]["date"]))
        rv = rv.loc[rv["date"].between(start, end)]
        assert pairs("RCPC") == set(zip(rv["child"], rv["date"], strict=True))
        # the chair was in post on the day
        w = read_csv(clean_dir, y, "workforce")
        w = w.assign(s=dates(w["start_date"]), e=dates(w["end_date"]))
        chk = m.assign(held=held).merge(w, on="iro_id", how="left")
        assert ((chk["s"] <= chk["held"]) & (chk["e"].isna() | (chk["e"] >= chk["held"]))).all()


def test_advocate_involved_whenever_an_advocate_speaks(clean_dir):
    m = read_csv(clean_dir, 2022, "meetings")
    r = read_csv(clean_dir, 2022, "reviews")
    adv = r.loc[r["REVIEW_CODE"].isin(["PN2", "PN5"])]
    j = adv.merge(m, left_on=["CHILD", "REVIEW"], right_on=["child_id", "held_date"])
    assert len(j) == len(adv) and (j["advocate_involved"] == "Y").all()


@pytest.mark.slow
def test_disputes_carry_forward_while_open(clean_dir):
    d21, d22 = read_csv(clean_dir, 2021, "disputes"), read_csv(clean_dir, 2022, "disputes")
    for y, d in ((2021, d21), (2022, d22)):
        start, end = year_bounds(y)
        raised, resolved = dates(d["raised_date"]), dates(d["resolved_date"])
        assert d["theme"].isin(C.DISPUTE_THEMES).all() and d["cohort"].isin(C.DISPUTE_COHORTS).all()
        assert d["highest_stage"].astype(int).between(1, 4).all()
        assert (resolved.isna() | (resolved >= raised)).all()
        assert (resolved.isna() == (d["outcome"] == "")).all()
        assert (
            raised.between(start, end) | (raised < start) & (resolved.isna() | (resolved >= start))
        ).all()
    open21 = d21.loc[d21["resolved_date"] == ""]
    assert len(open21) > 0
    carried = d22.set_index("dispute_id").loc[open21["dispute_id"]]
    assert (carried["raised_date"].values == open21["raised_date"].values).all()
    assert (
        carried["highest_stage"].astype(int).values >= open21["highest_stage"].astype(int).values
    ).all()


def test_pep_rows_are_school_age_children_in_care(clean_dir):
    header = all_years(clean_dir, "header").drop_duplicates("CHILD").set_index("CHILD")
    for y in YEARS:
        p = read_csv(clean_dir, y, "pep")
        assert set(p["child_id"]) <= set(read_csv(clean_dir, y, "episodes")["CHILD"])
        age = (dates(p["pep_date"]) - dates(p["child_id"].map(header["DOB"]))).dt.days / 365.25
        assert age.between(5, 16).all()


def test_workforce_covers_the_year(clean_dir):
    for y in YEARS:
        start, end = year_bounds(y)
        w = read_csv(clean_dir, y, "workforce")
        s, e = dates(w["start_date"]), dates(w["end_date"])
        assert (s <= end).all() and (e.isna() | (e >= start)).all() and (e.isna() | (e >= s)).all()
        assert w["agency"].isin(C.YES_NO).all() and w["fte"].astype(float).between(0.1, 1).all()
        assert w["iro_id"].is_unique


def test_optional_iro_extracts_follow_the_contract(clean_dir):
    from iro_analysis.demo.oversight import (
        PUBLISHABLE_BY_RESPONDENT,
        QUOTES_NOT_PUBLISHABLE,
        QUOTES_PUBLISHABLE,
    )

    # each respondent group has its own approved quotes: no two groups share one
    assert len(QUOTES_PUBLISHABLE) == len(set(QUOTES_PUBLISHABLE))
    assert set(PUBLISHABLE_BY_RESPONDENT) == set(C.FEEDBACK_RESPONDENTS)

    known = set()
    for y in YEARS:
        known |= set(read_csv(clean_dir, y, "header")["CHILD"])
        known |= {c.text for c in cin_xml(clean_dir, y).iter("LAchildID")}
    meetings = all_years(clean_dir, "meetings")
    for y in YEARS:
        start, end = year_bounds(y)
        w = read_csv(clean_dir, y, "workforce")
        w = w.assign(s=dates(w["start_date"]), e=dates(w["end_date"]))
        f = read_csv(clean_dir, y, "footprints")
        assert len(f) and f["footprint_id"].is_unique
        assert f["footprint_type"].isin(C.FOOTPRINT_TYPES).all()
        assert dates(f["footprint_date"]).between(start, end).all()
        assert f["child_id"].isin(known).all()
        chk = f.assign(d=dates(f["footprint_date"])).merge(w, on="iro_id", how="left")
        assert ((chk["s"] <= chk["d"]) & (chk["e"].isna() | (chk["e"] >= chk["d"]))).all()
        fb = read_csv(clean_dir, y, "feedback")
        assert len(fb) and fb["response_id"].is_unique
        assert fb["respondent"].isin(C.FEEDBACK_RESPONDENTS).all()
        assert fb["rating"].isin(["", "1", "2", "3", "4", "5"]).all()
        assert dates(fb["response_date"]).between(start, end).all()
        assert fb["meeting_id"].eq("").any()
        assert fb.loc[fb["meeting_id"] != "", "meeting_id"].isin(meetings["meeting_id"]).all()
        assert fb["quote_publishable"].isin(C.YES_NO).all()
        pub = fb["quote_publishable"] == "Y"
        assert fb.loc[pub, "quote"].isin(QUOTES_PUBLISHABLE).all()
        for who, quote in zip(fb.loc[pub, "respondent"], fb.loc[pub, "quote"], strict=True):
            assert quote in PUBLISHABLE_BY_RESPONDENT[who]  # in the respondent's own voice
        assert fb.loc[~pub, "quote"].isin(("", *QUOTES_NOT_PUBLISHABLE)).all()
        e = read_csv(clean_dir, y, "establishment")
        assert e["as_at_date"].tolist() == [f"30/09/{y - 1}", f"31/03/{y}"]
        ftes = e["establishment_fte"].astype(float)
        for at, fte in zip(dates(e["as_at_date"]), ftes, strict=True):
            in_post = w.loc[(w["s"] <= at) & (w["e"].isna() | (w["e"] >= at)), "fte"]
            vacant = fte - in_post.astype(float).sum()
            assert 0 < vacant <= 2.5, (y, at, vacant)
        iv = read_csv(clean_dir, y, "independent_visitors")
        assert len(iv) and iv["child_id"].isin(set(read_csv(clean_dir, y, "header")["CHILD"])).all()
        s, t = dates(iv["match_start_date"]), dates(iv["match_end_date"])
        assert (s <= end).all() and (t.isna() | (t >= start)).all() and (t.isna() | (t >= s)).all()


def test_feedback_quotes_survive_csv_quoting(clean_dir):
    """Quotes with commas, double quotes and line breaks are written quoted and read back
    as one record each by the project's reader."""
    from iro_analysis.ingest.read import read_raw_csv

    for y in YEARS:
        path = clean_dir / str(y) / R.FEEDBACK.relpath
        fb = read_csv(clean_dir, y, "feedback")
        ours = read_raw_csv(path, R.FEEDBACK).frame
        assert (ours["_malformed"] == "").all()
        assert ours["quote"].tolist() == fb["quote"].tolist()
    quotes = pd.concat([read_csv(clean_dir, y, "feedback")["quote"] for y in YEARS])
    assert quotes.str.contains("\n").any() and quotes.str.contains('"').any()


# ----------------------------------------------------------------------------------------
# Calibration (medium)
# ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_medium_is_calibrated_to_national_figures(medium_dir):
    p = DemoParams()
    cp = cin_frames(medium_dir, list(range(2018, 2025)))
    plans = cp["plans"].assign(
        s=pd.to_datetime(cp["plans"]["CPPstartDate"]), e=pd.to_datetime(cp["plans"]["CPPendDate"])
    )
    s47 = cp["s47"]
    stats = []
    for y in range(2019, 2025):
        start, end = year_bounds(y)
        e = read_csv(medium_dir, y, "episodes")
        e = e.loc[~e["LS"].isin(C.LS_SHORT_BREAKS)]
        decom, dec = dates(e["DECOM"]), dates(e["DEC"])
        cla = set(e.loc[(decom <= end) & dec.isna(), "CHILD"])
        cla_during = e["CHILD"].nunique()
        on_plan = set(
            plans.loc[(plans["s"] <= end) & (plans["e"].isna() | (plans["e"] > end)), "child"]
        )
        ended = plans.loc[plans["e"].between(start, end)]
        r = read_csv(medium_dir, y, "reviews")
        part = (
            r["REVIEW_CODE"].isin([f"PN{i}" for i in range(1, 7)]).sum()
            / (r["REVIEW_CODE"] != "PN0").sum()
        )
        d = read_csv(medium_dir, y, "disputes")
        raised, resolved = dates(d["raised_date"]), dates(d["resolved_date"])
        new = d.loc[raised.between(start, end)]
        denom = raised.between(start, end) & (wd(raised.values, np.full(len(d), end)) >= 20)
        res20 = (
            resolved[denom].notna()
            & (wd(raised[denom].values, resolved[denom].fillna(end).values) <= 20)
        ).mean()
        i = s47.loc[s47["DateOfInitialCPC"] != ""]
        icpc = pd.to_datetime(i["DateOfInitialCPC"])
        i = i.loc[icpc.between(start, end)]
        w15 = (
            wd(
                pd.to_datetime(i["S47ActualStartDate"]).values,
                pd.to_datetime(i["DateOfInitialCPC"]).values,
            )
            <= 15
        ).mean()
        w = read_csv(medium_dir, y, "workforce")
        fte = (
            w.loc[dates(w["end_date"]).isna() | (dates(w["end_date"]) >= end), "fte"]
            .astype(float)
            .sum()
        )
        stats.append(
            {
                "cla": len(cla),
                "cp_ratio": len(on_plan) / len(cla),
                "long_plans": (ended["e"] >= ended["s"] + pd.DateOffset(years=2)).mean(),
                "participation": part,
                "drp_per_100": (new["cohort"] == "CLA").sum() / cla_during * 100,
                "res20": res20,
                "icpc15": w15,
                "caseload": len(cla | on_plan) / fte,
            }
        )
    s = pd.DataFrame(stats)
    assert abs(s["cla"].mean() - p.cla_target) / p.cla_target < 0.08
    assert s["cla"].iloc[-1] > s["cla"].iloc[0] * 0.97  # gentle upward trend
    assert 0.5 <= s["cp_ratio"].mean() <= 0.7
    assert 0.02 <= s["long_plans"].mean() <= 0.06
    assert s["participation"].min() > 0.9
    assert 9 <= s["drp_per_100"].mean() <= 13
    assert 0.4 <= s["res20"].mean() <= 0.6
    assert abs(s["icpc15"].mean() - p.icpc_within_15wd) < 0.04
    assert s["caseload"].min() >= 50 and s["caseload"].max() <= 75


# ----------------------------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------------------------


def manifests(root: Path) -> list[dict]:
    out = []
    for y in YEARS:
        doc = json.loads((root / str(y) / Q.FAULT_MANIFEST).read_text(encoding="utf-8"))
        out += [{**e, "year": y} for e in doc["faults"]]
    return out


@pytest.mark.slow
def test_every_fault_kind_is_injected(faulty_dir):
    kinds = {e["kind"] for e in manifests(faulty_dir)}
    assert kinds == set(Q.FAULT_KINDS)
    for e in manifests(faulty_dir):
        if e["file"] != R.CIN_FILE and e["kind"] != "cp1252_encoding":
            table = next(t for t in R.RAW_CSVS.values() if t.relpath == e["file"]).name
            assert e["kind"] in FAULT_SPEC[table]


@pytest.mark.slow
def test_every_manifest_fault_is_in_the_files(faulty_dir):
    known = set()
    for y in YEARS:
        known |= set(read_csv(faulty_dir, y, "header")["CHILD"])
        known |= {c.text for c in cin_xml(faulty_dir, y).iter("LAchildID")}
    faults = manifests(faulty_dir)
    assert len(faults) > 50
    seen = set()
    for e in faults:
        key = (e["year"], e["file"], e["line"])
        assert key not in seen, f"two faults on one line: {e}"
        seen.add(key)
        raw = (faulty_dir / str(e["year"]) / e["file"]).read_bytes()
        if e["kind"] == "cp1252_encoding":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert not raw.startswith(b"\xef\xbb\xbf") and e["line"] == 1
            assert e["value"] in raw.decode("cp1252")
            continue
        enc = "cp1252" if e["file"] == R.WORKFORCE.relpath else "utf-8"
        lines = raw.decode(enc).split("\n")
        line = lines[e["line"] - 1]
        if e["file"] == R.CIN_FILE:
            assert line.strip() == f"<{e['element']}>", e
            block = "\n".join(lines[e["line"] : e["line"] + 8])
            assert f"<{e['column']}>{e['value']}</{e['column']}>" in block, e
            continue
        cols = R.RAW_CSVS[next(t for t in R.RAW_CSVS if R.RAW_CSVS[t].relpath == e["file"])].columns
        fields = line.split(",")
        assert len(fields) == len(cols), e
        row = dict(zip(cols, fields, strict=True))
        if e["kind"] == "exact_duplicate":
            assert line == lines[e["line"] - 2], e
            continue
        assert row[e["column"]] == e["value"], e
        value = e["value"]
        if e["kind"] == "orphan_child":
            assert value not in known and int(value) >= ORPHAN_START
        elif e["kind"] == "whitespace":
            assert value != value.strip() and value.strip() == value.strip().upper()
        elif e["kind"] == "lower_case_code":
            assert value == value.lower() and value != value.upper()
        elif e["kind"] == "iso_date":
            assert pd.Timestamp(value).strftime("%Y-%m-%d") == value
        elif e["kind"] == "unparseable_date":
            with pytest.raises(ValueError):
                pd.to_datetime(value, format="%d/%m/%Y")
        elif e["kind"] == "impossible_date":
            other = {"DEC": "DECOM", "REVIEW": "DOB", "resolved_date": "raised_date"}[e["column"]]
            assert dates(pd.Series([value]))[0] < dates(pd.Series([row[other]]))[0]
        elif e["kind"] == "unknown_code":
            assert value.strip().upper() == value and value not in (
                *C.LS_CODES,
                *C.REVIEW_CODES,
                *C.MEETING_TYPES,
                *C.DISPUTE_THEMES,
            )
        elif e["kind"] == "missing_required":
            assert (
                value == ""
                and e["column"]
                in R.RAW_CSVS[
                    next(t for t in R.RAW_CSVS if R.RAW_CSVS[t].relpath == e["file"])
                ].required
            )


def test_no_unlisted_fault_in_the_files(faulty_dir):
    """Outside the manifest's lines, codes are valid and dates are DD/MM/YYYY."""
    faults = manifests(faulty_dir)
    for y in YEARS:
        flagged = {(e["file"], e["line"]) for e in faults if e["year"] == y}
        for table, codes in (
            ("episodes", ("LS", C.LS_CODES)),
            ("reviews", ("REVIEW_CODE", C.REVIEW_CODES)),
            ("meetings", ("meeting_type", C.MEETING_TYPES)),
            ("disputes", ("theme", C.DISPUTE_THEMES)),
        ):
            spec = R.RAW_CSVS[table]
            df = read_csv(faulty_dir, y, table)
            bad = {n for f, n in flagged if f == spec.relpath}
            clean = ~np.isin(np.arange(2, len(df) + 2), list(bad))
            col, valid = codes
            assert df.loc[clean, col].isin(valid).all(), table
            for dcol in spec.date_columns:
                v = df.loc[clean, dcol]
                v = v[v != ""]
                pd.to_datetime(v, format="%d/%m/%Y")  # raises on anything else


@pytest.mark.slow
def test_medium_optional_extracts_are_plausible(medium_dir):
    header = all_years(medium_dir, "header", list(range(2018, 2025)))
    assert len(header)
    fp = all_years(medium_dir, "footprints", list(range(2018, 2025)))
    fp = fp.assign(d=dates(fp["footprint_date"]))
    mid = fp.loc[fp["footprint_type"] == "MIDWAY_CHECK"]
    for y in range(2020, 2025):
        start, end = year_bounds(y)
        # reviews with an earlier review of the same child under 7 months before
        r = all_years(medium_dir, "reviews", [y - 1, y]).drop_duplicates(["CHILD", "REVIEW"])
        r = r.assign(d=dates(r["REVIEW"])).sort_values(["CHILD", "d"])
        r["prev"] = r.groupby("CHILD")["d"].shift()
        r = r.loc[r["d"].between(start, end) & (r["d"] - r["prev"] < pd.Timedelta(days=215))]
        j = r.reset_index().merge(mid, left_on="CHILD", right_on="child_id")
        hit = j.loc[(j["d_y"] > j["prev"]) & (j["d_y"] < j["d_x"]), "index"].nunique()
        assert 0.70 <= hit / len(r) <= 0.85, (y, hit / len(r))
        e = read_csv(medium_dir, y, "episodes")
        e = e.loc[~e["LS"].isin(C.LS_SHORT_BREAKS)]
        cla = set(e.loc[(dates(e["DECOM"]) <= end) & dates(e["DEC"]).isna(), "CHILD"])
        iv = read_csv(medium_dir, y, "independent_visitors")
        open_ = iv.loc[iv["match_end_date"] == "", "child_id"]
        assert 0.05 <= len(set(open_) & cla) / len(cla) <= 0.10, y
        m = read_csv(medium_dir, y, "meetings")
        fb = read_csv(medium_dir, y, "feedback")
        assert 0.05 <= len(fb) / len(m) <= 0.25
        rated = fb.loc[fb["rating"] != "", "rating"].astype(int)
        assert (rated >= 4).mean() > 0.6 and (fb["rating"] == "").any()
        quotes = fb.loc[fb["quote"] != ""]
        assert 0 < (quotes["quote_publishable"] == "Y").mean() < 0.5
        d = read_csv(medium_dir, y, "disputes")
        resolved = d.loc[d["resolved_date"] != "", "outcome"]
        assert resolved.isin(C.DISPUTE_OUTCOMES).all()
        assert resolved.isin(["PLAN_CHANGED", "RESOLVED_NO_CHANGE"]).mean() > 0.8
        w = read_csv(medium_dir, y, "workforce")
        in_post = w.loc[dates(w["start_date"]) <= end].loc[lambda x: x["end_date"] == ""]
        assert (in_post["agency"] == "Y").any()
