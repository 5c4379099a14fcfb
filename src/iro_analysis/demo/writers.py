"""One year's files, exactly per the data contract: the 903 CSVs, the CIN census XML and
the IRO extracts, as strings (dates DD/MM/YYYY in the CSVs, ISO in the XML)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from iro_analysis import __version__
from iro_analysis.contract import raw_files as R
from iro_analysis.demo import codes
from iro_analysis.demo.dates import completed_years
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.population import LA_CODE


def dmy(values) -> np.ndarray:
    """Dates as DD/MM/YYYY strings; missing as ""."""
    idx = pd.DatetimeIndex(np.asarray(values, dtype="datetime64[D]"))
    return np.asarray(idx.strftime("%d/%m/%Y").fillna(""), dtype=object)


def iso(values) -> np.ndarray:
    """Dates as YYYY-MM-DD strings; missing as ""."""
    idx = pd.DatetimeIndex(np.asarray(values, dtype="datetime64[D]"))
    return np.asarray(idx.strftime("%Y-%m-%d").fillna(""), dtype=object)


def _text(values) -> np.ndarray:
    """Values as a numpy object array of Python strings, missing as ""."""
    v = np.asarray(values, dtype=object)
    return np.where(pd.isna(v), "", v.astype(str)).astype(object)


def _frame(table: str, data: dict) -> pd.DataFrame:
    """The table's columns in contract order, every value a string (object dtype)."""
    cols = R.RAW_CSVS[table].columns
    return pd.DataFrame({c: _text(data[c]) for c in cols}, dtype=object)


def _in_year(start, end, year: int) -> np.ndarray:
    y0, y1 = Horizon.year_bounds(year)
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    return (s <= y1) & (np.isnat(e) | (e >= y0))


def _on_or_before(values, when: np.datetime64) -> np.ndarray:
    v = np.asarray(values, dtype="datetime64[D]")
    return np.where(~np.isnat(v) & (v <= when), v, np.datetime64("NaT"))


def episodes_table(episodes: pd.DataFrame, people: pd.DataFrame, year: int) -> pd.DataFrame:
    """Episodes open at any time in the year; DEC, REC and REASON_PLACE_CHANGE blank when
    open at 31 March; codes as DfE named them that year (demo.codes)."""
    _, y1 = Horizon.year_bounds(year)
    e = episodes.loc[_in_year(episodes["DECOM"], episodes["DEC"], year)]
    e = e.assign(CHILD=people["CHILD"].values[e["child"].values])
    e = e.sort_values(["CHILD", "DECOM"], kind="stable")
    open_ = e["DEC"].values.astype("datetime64[D]") > y1
    data = {c: e[c].values for c in R.EPISODES.columns}
    data["DECOM"] = dmy(e["DECOM"].values)
    data["DEC"] = np.where(open_, "", dmy(e["DEC"].values))
    data["REC"] = codes.in_year_codes(year, "REC", np.where(open_, "", e["REC"].values))
    data["REASON_PLACE_CHANGE"] = codes.in_year_codes(
        year, "REASON_PLACE_CHANGE", np.where(open_, "", e["REASON_PLACE_CHANGE"].values)
    )
    data["PLACE"] = codes.places_as_named(year, data["PLACE"])
    return _frame("episodes", data)


def header_table(
    people: pd.DataFrame, children: np.ndarray, year: int, looked_after: np.ndarray | None = None
) -> pd.DataFrame:
    """903 header of the children in the year's episodes. SEX in the year's coding (1/2,
    M/F from 2024/25); MOTHER 0/1 for every girl looked after in the year other than on
    short breaks only (903 rules 393, 399, 607), with MC_DOB when she is a mother."""
    _, y1 = Horizon.year_bounds(year)
    p = people.iloc[np.unique(children)].sort_values("CHILD", kind="stable")
    dob = p["DOB"].values.astype("datetime64[D]")
    age = completed_years(dob, np.full(len(p), y1))
    cla = np.ones(len(p), dtype=bool) if looked_after is None else np.isin(p.index, looked_after)
    girl = (p["SEX"].values == "2") & cla
    mc = p["mc_dob"].values.astype("datetime64[D]")
    is_mother = girl & ~np.isnat(mc) & (mc <= y1)
    upn = np.where(age < 5, "UN1", p["UPN"].values)
    male, female = codes.sex_codes(year)
    return _frame(
        "header",
        {
            "CHILD": p["CHILD"].values,
            "SEX": np.where(p["SEX"].values == "1", male, female),
            "DOB": dmy(dob),
            "ETHNIC": p["ETHNIC"].values,
            "UPN": upn,
            "MOTHER": np.where(girl, np.where(is_mother, "1", "0"), ""),
            "MC_DOB": np.where(is_mother, dmy(mc), ""),
        },
    )


def reviews_table(reviews: pd.DataFrame, people: pd.DataFrame, year: int) -> pd.DataFrame:
    y0, y1 = Horizon.year_bounds(year)
    d = reviews["REVIEW"].values.astype("datetime64[D]")
    r = reviews.loc[(d >= y0) & (d <= y1)]
    r = r.assign(CHILD=people["CHILD"].values[r["child"].values]).sort_values(["CHILD", "REVIEW"])
    return _frame(
        "reviews",
        {
            "CHILD": r["CHILD"].values,
            "DOB": dmy(r["DOB"].values),
            "REVIEW": dmy(r["REVIEW"].values),
            "REVIEW_CODE": r["REVIEW_CODE"].values,
        },
    )


def oc2_table(oc2: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    o = oc2.assign(CHILD=people["CHILD"].values[oc2["child"].values]).sort_values("CHILD")
    data = {c: o[c].values for c in R.OC2.columns if c not in ("CHILD", "DOB")}
    return _frame("oc2", {"CHILD": o["CHILD"].values, "DOB": dmy(o["DOB"].values), **data})


def meetings_table(meetings: pd.DataFrame, year: int) -> pd.DataFrame:
    y0, y1 = Horizon.year_bounds(year)
    h = meetings["held_date"].values.astype("datetime64[D]")
    m = meetings.loc[(h >= y0) & (h <= y1)]
    data = {c: m[c].values for c in R.MEETINGS.columns}
    data["first_scheduled_date"] = dmy(m["first_scheduled_date"].values)
    data["held_date"] = dmy(m["held_date"].values)
    return _frame("meetings", data)


def disputes_table(disputes: pd.DataFrame, year: int, stage_at) -> pd.DataFrame:
    """Disputes raised in the year plus those raised earlier and still open on 1 April;
    the state shown is the state at 31 March (open: no resolved date or outcome)."""
    y0, y1 = Horizon.year_bounds(year)
    raised = disputes["raised_date"].values.astype("datetime64[D]")
    resolved = disputes["resolved_date"].values.astype("datetime64[D]")
    keep = ((raised >= y0) & (raised <= y1)) | ((raised < y0) & (resolved >= y0))
    d = disputes.loc[keep]
    raised, resolved = raised[keep], resolved[keep]
    still_open = resolved > y1
    stage = np.where(still_open, stage_at(raised, y1), d["final_stage"].values)
    return _frame(
        "disputes",
        {
            "dispute_id": d["dispute_id"].values,
            "child_id": d["child_id"].values,
            "cohort": d["cohort"].values,
            "iro_id": d["iro_id"].values,
            "raised_date": dmy(raised),
            "theme": d["theme"].values,
            "highest_stage": stage.astype(int).astype(str),
            "resolved_date": np.where(still_open, "", dmy(resolved)),
            "outcome": np.where(still_open, "", d["outcome"].values),
        },
    )


def workforce_table(workforce: pd.DataFrame, year: int) -> pd.DataFrame:
    _, y1 = Horizon.year_bounds(year)
    w = workforce.loc[_in_year(workforce["start_date"], workforce["end_date"], year)]
    end = w["end_date"].values.astype("datetime64[D]")
    return _frame(
        "workforce",
        {
            "iro_id": w["iro_id"].values,
            "fte": np.char.mod("%.1f", w["fte"].values.astype(float)),
            "start_date": dmy(w["start_date"].values),
            "end_date": np.where(~np.isnat(end) & (end <= y1), dmy(end), ""),
            "agency": w["agency"].values,
        },
    )


def pep_table(peps: pd.DataFrame, people: pd.DataFrame, year: int) -> pd.DataFrame:
    y0, y1 = Horizon.year_bounds(year)
    d = peps["pep_date"].values.astype("datetime64[D]")
    p = peps.loc[(d >= y0) & (d <= y1)]
    p = p.assign(child_id=people["CHILD"].values[p["child"].values]).sort_values(
        ["child_id", "pep_date"]
    )
    return _frame("pep", {"child_id": p["child_id"].values, "pep_date": dmy(p["pep_date"].values)})


def footprints_table(footprints: pd.DataFrame, year: int) -> pd.DataFrame:
    y0, y1 = Horizon.year_bounds(year)
    d = footprints["footprint_date"].values.astype("datetime64[D]")
    f = footprints.loc[(d >= y0) & (d <= y1)]
    data = {c: f[c].values for c in R.FOOTPRINTS.columns}
    data["footprint_date"] = dmy(f["footprint_date"].values)
    return _frame("footprints", data)


def feedback_table(feedback: pd.DataFrame, year: int) -> pd.DataFrame:
    y0, y1 = Horizon.year_bounds(year)
    d = feedback["response_date"].values.astype("datetime64[D]")
    f = feedback.loc[(d >= y0) & (d <= y1)]
    data = {c: f[c].values for c in R.FEEDBACK.columns}
    data["response_date"] = dmy(f["response_date"].values)
    return _frame("feedback", data)


def establishment_table(establishment: pd.DataFrame, year: int) -> pd.DataFrame:
    y0, y1 = Horizon.year_bounds(year)
    d = establishment["as_at_date"].values.astype("datetime64[D]")
    e = establishment.loc[(d >= y0) & (d <= y1)]
    return _frame(
        "establishment",
        {
            "as_at_date": dmy(e["as_at_date"].values),
            "establishment_fte": np.char.mod("%.1f", e["establishment_fte"].values.astype(float)),
        },
    )


def visitors_table(visitors: pd.DataFrame, people: pd.DataFrame, year: int) -> pd.DataFrame:
    """Matches open at any time in the year; the end date blank while open at 31 March."""
    _, y1 = Horizon.year_bounds(year)
    v = visitors.loc[_in_year(visitors["match_start_date"], visitors["match_end_date"], year)]
    v = v.assign(child_id=people["CHILD"].values[v["child"].values])
    v = v.sort_values(["child_id", "match_start_date"], kind="stable")
    end = v["match_end_date"].values.astype("datetime64[D]")
    return _frame(
        "independent_visitors",
        {
            "child_id": v["child_id"].values,
            "match_start_date": dmy(v["match_start_date"].values),
            "match_end_date": np.where(~np.isnat(end) & (end <= y1), dmy(end), ""),
        },
    )


# ---------------------------------------------------------------------------------------
# CIN census XML
# ---------------------------------------------------------------------------------------

_MARK = re.compile("\x00(\\d+)\x00")


def _el(name: str, values: np.ndarray, indent: int) -> pd.Series:
    """`<name>value</name>` lines (empty string where the value is blank: element omitted)."""
    v = _text(values)
    if any(c in x for x in set(v) for c in "&<>"):
        v = np.array([escape(x) for x in v], dtype=object)
    text = (" " * indent + f"<{name}>") + v + f"</{name}>\n"
    return pd.Series(np.where(v != "", text, ""), dtype=object)


def _join_by(keys: np.ndarray, texts: pd.Series, index) -> pd.Series:
    """Concatenate texts per key (keeping their order within a key), aligned to `index`."""
    keys = np.asarray(keys)
    if len(keys) == 0:
        return pd.Series("", index=index, dtype=object)
    t = np.asarray(texts, dtype=object)
    order = np.argsort(keys, kind="stable")
    k, t = keys[order], t[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    joined = np.add.reduceat(t, starts)
    return pd.Series(joined, index=k[starts]).reindex(index).fillna("")


def cin_tables(cp: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    """The CIN census content of the year: CIN episodes open at any time in the year, with
    the S47s, plans and reviews known by 31 March."""
    _, y1 = Horizon.year_bounds(year)
    cin = (
        cp["cin"]
        .loc[_in_year(cp["cin"]["CINreferralDate"], cp["cin"]["CINclosureDate"], year)]
        .copy()
    )
    ids = cin["cin_id"].values
    s47 = cp["s47"].loc[np.isin(cp["s47"]["cin_id"].values, ids)].copy()
    s47 = s47.loc[s47["S47ActualStartDate"].values.astype("datetime64[D]") <= y1]
    icpc = _on_or_before(s47["DateOfInitialCPC"], y1)
    decided = s47["decided"].values.astype("datetime64[D]") <= y1
    s47["DateOfInitialCPC"] = icpc
    s47["ICPCnotRequired"] = np.where(s47["ICPCnotRequired"].values & decided, "true", "false")
    plans = cp["plans"].loc[np.isin(cp["plans"]["cin_id"].values, ids)].copy()
    plans = plans.loc[plans["CPPstartDate"].values.astype("datetime64[D]") <= y1]
    plans["CPPendDate"] = _on_or_before(plans["CPPendDate"], y1)
    rev = cp["reviews"].loc[np.isin(cp["reviews"]["plan_id"].values, plans["plan_id"].values)]
    rev = rev.loc[rev["CPPreviewDate"].values.astype("datetime64[D]") <= y1]
    cin["CINclosureDate"] = _on_or_before(cin["CINclosureDate"], y1)
    cin["ReasonForClosure"] = np.where(
        np.isnat(cin["CINclosureDate"].values.astype("datetime64[D]")),
        "",
        cin["ReasonForClosure"].values,
    )
    cin["DateOfInitialCPC"] = cin["cin_id"].map(s47.set_index("cin_id")["DateOfInitialCPC"])
    return {"cin": cin, "s47": s47, "plans": plans, "reviews": rev}


def cin_xml(
    year: int, t: dict[str, pd.DataFrame], people: pd.DataFrame, marks: dict[int, int] | None = None
) -> tuple[str, dict[int, int]]:
    """The census as XML text, one element per line. `marks` maps plan_id -> fault number;
    returns the text and fault number -> line of that plan's start tag."""
    marks = marks or {}
    plans, rev, s47, cin = t["plans"], t["reviews"], t["s47"], t["cin"]
    rev = rev.sort_values(["plan_id", "CPPreviewDate"])
    rev_text = _el("CPPreviewDate", iso(rev["CPPreviewDate"].values), 12)
    rev_block = _join_by(rev["plan_id"].values, rev_text, plans["plan_id"].values)
    rev_block = np.where(
        rev_block.values != "",
        "          <Reviews>\n" + rev_block.values + "          </Reviews>\n",
        "",
    )
    plans = plans.sort_values(["cin_id", "CPPstartDate"])
    rev_block = pd.Series(rev_block, index=t["plans"]["plan_id"].values).reindex(
        plans["plan_id"].values
    )
    mark = plans["plan_id"].map(lambda pid: f"\x00{marks[pid]}\x00" if pid in marks else "").values
    plan_text = (
        "        <ChildProtectionPlans>"
        + pd.Series(mark, dtype=object)
        + "\n"
        + _el(
            "CPPstartDate",
            plans["CPPstartDate_text"].values
            if "CPPstartDate_text" in plans
            else iso(plans["CPPstartDate"].values),
            10,
        ).values
        + _el(
            "CPPendDate",
            plans["CPPendDate_text"].values
            if "CPPendDate_text" in plans
            else iso(plans["CPPendDate"].values),
            10,
        ).values
        + _el("InitialCategoryOfAbuse", plans["InitialCategoryOfAbuse"].values, 10).values
        + _el("LatestCategoryOfAbuse", plans["LatestCategoryOfAbuse"].values, 10).values
        + _el("NumberOfPreviousCPP", plans["NumberOfPreviousCPP"].astype(str).values, 10).values
        + rev_block.values
        + "        </ChildProtectionPlans>\n"
    )
    s47 = s47.sort_values(["cin_id", "S47ActualStartDate"])
    s47_text = (
        "        <Section47>\n"
        + _el("S47ActualStartDate", iso(s47["S47ActualStartDate"].values), 10).values
        + _el("InitialCPCtarget", iso(s47["InitialCPCtarget"].values), 10).values
        + _el("DateOfInitialCPC", iso(s47["DateOfInitialCPC"].values), 10).values
        + _el("ICPCnotRequired", s47["ICPCnotRequired"].values, 10).values
        + "        </Section47>\n"
    )
    cin = cin.assign(CHILD=people["CHILD"].values[cin["child"].values]).sort_values(
        ["CHILD", "CINreferralDate"]
    )
    s47_block = _join_by(s47["cin_id"].values, pd.Series(s47_text), cin["cin_id"].values)
    plan_block = _join_by(plans["cin_id"].values, pd.Series(plan_text), cin["cin_id"].values)
    cin_text = (
        "      <CINdetails>\n"
        + _el("CINreferralDate", iso(cin["CINreferralDate"].values), 8).values
        + _el("ReferralSource", cin["ReferralSource"].values, 8).values
        + _el("PrimaryNeedCode", cin["PrimaryNeedCode"].values, 8).values
        + _el("CINclosureDate", iso(cin["CINclosureDate"].values), 8).values
        + _el("ReasonForClosure", cin["ReasonForClosure"].values, 8).values
        + _el("DateOfInitialCPC", iso(cin["DateOfInitialCPC"].values), 8).values
        + s47_block.values
        + plan_block.values
        + "      </CINdetails>\n"
    )
    kids = people.iloc[np.unique(cin["child"].values)].sort_values("CHILD")
    cin_block = _join_by(cin["child"].values, pd.Series(cin_text), kids.index.values)
    sex_element, male, female = codes.cin_sex(year)
    sex = np.where(kids["SEX"].values == "1", male, female)
    child_text = (
        "    <Child>\n      <ChildIdentifiers>\n"
        + _el("LAchildID", kids["CHILD"].values, 8).values
        + _el("UPN", kids["UPN"].values, 8).values
        + _el("PersonBirthDate", iso(kids["DOB"].values), 8).values
        + _el(sex_element, sex, 8).values
        + "      </ChildIdentifiers>\n      <ChildCharacteristics>\n"
        + _el("Ethnicity", kids["ETHNIC"].values, 8).values
        + "      </ChildCharacteristics>\n"
        + cin_block.values
        + "    </Child>\n"
    )
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
        f"      <Collection>CIN</Collection>\n      <Year>{year}</Year>\n"
        f"      <ReferenceDate>{year}-03-31</ReferenceDate>\n    </CollectionDetails>\n"
        f"    <Source>\n      <SourceLevel>L</SourceLevel>\n      <LEA>{LA_CODE}</LEA>\n"
        f"      <SoftwareCode>iro-analysis demo</SoftwareCode>\n      <Release>{__version__}</Release>\n"
        f"      <SerialNo>1</SerialNo>\n      <DateTime>{year}-05-01T09:00:00</DateTime>\n"
        "    </Source>\n  </Header>\n  <Children>\n"
    )
    text = head + "".join(child_text) + "  </Children>\n</Message>\n"
    lines: dict[int, int] = {}
    if marks:
        pos, line = 0, 1
        for m in _MARK.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            lines[int(m.group(1))] = line
        text = _MARK.sub("", text)
    return text, lines
