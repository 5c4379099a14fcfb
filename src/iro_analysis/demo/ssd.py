"""The demo council's meetings as Standard Safeguarding Dataset tables (`contract.ssd`):
what a council that keeps the SSD would export, from the same meetings as iro/meetings.csv.

- looked-after reviews in ssd_cla_reviews, naming the period of care (clar_cla_id), whose
  child ssd_cla_episodes gives (written from the year's 903 episodes, a period starting at
  each episode with RNE S);
- initial and review child protection conferences in ssd_initial_cp_conference and
  ssd_cp_reviews;
- each meeting's chair as an IRO involvement (ssd_involvements, role "IRO"): a child's run
  of meetings with one chair is one involvement, from its first meeting to the day before
  the next chair's first meeting (open after the last run);
- dates as a database exports datetimes ("2021-05-04 00:00:00.000");
- what the SSD lacks in iro/meeting_details.csv, by meeting type and SSD id.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.contract import raw_files as R
from iro_analysis.contract import ssd as S

SQL_DATETIME = "%Y-%m-%d 00:00:00.000"


def _sql_text(d: pd.Series) -> pd.Series:
    """Datetimes as a database exports them; missing as ""."""
    return d.dt.strftime(SQL_DATETIME).fillna("")


def _sql_dates(dmy: pd.Series) -> pd.Series:
    d = pd.to_datetime(dmy.replace("", None), format="%d/%m/%Y")
    return pd.Series(_sql_text(d), index=dmy.index)


def _frame(spec, data: dict) -> pd.DataFrame:
    """Every column of the SSD table, those not given blank."""
    n = len(next(iter(data.values())))
    return pd.DataFrame(
        {c: np.asarray(data[c], dtype=object) if c in data else [""] * n for c in spec.columns},
        dtype=object,
    )


def _periods(episodes: pd.DataFrame) -> pd.DataFrame:
    """The year's 903 episodes with a period-of-care id each (a new period at RNE S)."""
    e = episodes.assign(
        _start=pd.to_datetime(episodes["DECOM"], format="%d/%m/%Y", errors="coerce")
    )
    e = e.loc[e["_start"].notna()].sort_values(["CHILD", "_start"], kind="mergesort")
    k = e["RNE"].eq("S").groupby(e["CHILD"]).cumsum()
    return e.assign(clae_cla_id="CLA-" + e["CHILD"] + "-" + k.astype("str"))


def _cla_ids(reviews: pd.DataFrame, periods: pd.DataFrame) -> pd.Series:
    """Each review's period of care: the child's latest period started on or before it."""
    starts = (
        periods.groupby("clae_cla_id", sort=False)
        .agg(child=("CHILD", "first"), start=("_start", "min"))
        .reset_index()
        .sort_values("start", kind="mergesort")
    )
    r = reviews.assign(
        _held=pd.to_datetime(reviews["held_date"], format="%d/%m/%Y"), _row=np.arange(len(reviews))
    ).sort_values("_held", kind="mergesort")
    got = pd.merge_asof(
        r, starts, left_on="_held", right_on="start", left_by="child_id", right_by="child"
    )
    return got.sort_values("_row")["clae_cla_id"].fillna("").set_axis(reviews.index)


def _involvements(meetings: pd.DataFrame) -> pd.DataFrame:
    """One IRO involvement per run of a child's meetings with one chair."""
    m = meetings.loc[meetings["held_date"].ne("")].assign(
        _held=lambda d: pd.to_datetime(d["held_date"], format="%d/%m/%Y")
    )
    m = m.sort_values(["child_id", "_held", "meeting_id"], kind="mergesort")
    new_run = m["child_id"].ne(m["child_id"].shift()) | m["iro_id"].ne(m["iro_id"].shift())
    m = m.assign(_run=new_run.cumsum())
    runs = m.groupby("_run", sort=True).agg(
        child=("child_id", "first"), iro=("iro_id", "first"), start=("_held", "min")
    )
    nxt = runs["start"].shift(-1).where(runs["child"].eq(runs["child"].shift(-1)))
    runs["end"] = nxt - pd.Timedelta(days=1)
    runs = runs.loc[runs["iro"].ne("")]
    return _frame(
        S.INVOLVEMENTS,
        {
            "invo_involvements_id": [f"INV{i:06d}" for i in range(1, len(runs) + 1)],
            "invo_professional_id": runs["iro"].to_numpy(),
            "invo_professional_role_id": ["IRO"] * len(runs),
            "invo_professional_team": ["IRO service"] * len(runs),
            "invo_involvement_start_date": _sql_text(runs["start"]).to_numpy(),
            "invo_involvement_end_date": _sql_text(runs["end"]).to_numpy(),
            "invo_person_id": runs["child"].to_numpy(),
        },
    )


def ssd_tables(meetings: pd.DataFrame, episodes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The SSD tables and iro/meeting_details.csv (relpath -> text frame) for one year, from
    the year's meetings and 903 episodes as the native writers give them (text, DD/MM/YYYY)."""
    periods = _periods(episodes)
    of = {t: meetings.loc[meetings["meeting_type"].eq(t)] for t in ("CLA_REVIEW", "ICPC", "RCPC")}
    cla = of["CLA_REVIEW"]
    out = {
        S.CLA_REVIEWS.relpath: _frame(
            S.CLA_REVIEWS,
            {
                "clar_cla_review_id": cla["meeting_id"].to_numpy(),
                "clar_cla_id": _cla_ids(cla, periods).to_numpy(),
                "clar_cla_review_date": _sql_dates(cla["held_date"]).to_numpy(),
                "clar_cla_review_cancelled": ["N"] * len(cla),
            },
        ),
        S.CLA_EPISODES.relpath: _frame(
            S.CLA_EPISODES,
            {
                "clae_cla_episode_id": [f"EP{i:07d}" for i in range(1, len(periods) + 1)],
                "clae_person_id": periods["CHILD"].to_numpy(),
                "clae_cla_episode_start_date": _sql_dates(periods["DECOM"]).to_numpy(),
                "clae_cla_episode_start_reason": periods["RNE"].to_numpy(),
                "clae_cla_episode_ceased_date": _sql_dates(periods["DEC"]).to_numpy(),
                "clae_cla_episode_ceased_reason": periods["REC"].to_numpy(),
                "clae_cla_id": periods["clae_cla_id"].to_numpy(),
            },
        ),
        S.INITIAL_CP_CONFERENCE.relpath: _frame(
            S.INITIAL_CP_CONFERENCE,
            {
                "icpc_icpc_id": of["ICPC"]["meeting_id"].to_numpy(),
                "icpc_person_id": of["ICPC"]["child_id"].to_numpy(),
                "icpc_icpc_date": _sql_dates(of["ICPC"]["held_date"]).to_numpy(),
            },
        ),
        S.CP_REVIEWS.relpath: _frame(
            S.CP_REVIEWS,
            {
                "cppr_cp_review_id": of["RCPC"]["meeting_id"].to_numpy(),
                "cppr_person_id": of["RCPC"]["child_id"].to_numpy(),
                "cppr_cp_review_date": _sql_dates(of["RCPC"]["held_date"]).to_numpy(),
            },
        ),
        S.INVOLVEMENTS.relpath: _involvements(meetings),
        R.MEETING_DETAILS.relpath: meetings[list(R.MEETING_DETAILS.columns)].reset_index(drop=True),
    }
    return out


def write_ssd(meetings: pd.DataFrame, episodes: pd.DataFrame, year_dir: Path) -> None:
    """Write `ssd_tables` into the year folder (UTF-8, LF)."""
    (Path(year_dir) / S.SSD_DIR).mkdir(parents=True, exist_ok=True)
    for rel, df in ssd_tables(meetings, episodes).items():
        df.to_csv(Path(year_dir) / rel, index=False, lineterminator="\n", encoding="utf-8")
