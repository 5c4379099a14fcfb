"""A database holding the Standard Safeguarding Dataset, read into a year folder's ssd/.

A report is rebuilt from files (`core.hashing`, the run manifest): a database changes
under it. So the SSD tables a year needs are read once, through SQLAlchemy, into
`<raw>/<YEAR>/ssd/` as the CSV files a council could export by hand, with a README naming
where they came from; from then on the year is read like any other (`ingest.ssd`). An
existing ssd/ folder is never written over: to read the database again, remove it.

What a year takes (the year runs 1 April to 31 March):
- the meeting tables' rows dated in the year (the date held, or for a meeting not held
  its due or target date), so that each year folder holds its own meetings;
- ssd_cla_episodes rows that started by 31 March (a review's period of care) and
  ssd_involvements rows that started by 31 March (a meeting's chair).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd

from iro_analysis.contract import ssd as S
from iro_analysis.core.errors import InputError, excerpt, one_line

# Per table: the date column that places a row in a year, and the one used when it is
# blank (a meeting not held: its due or target date). Lookups take rows started by 31 March.
_IN_YEAR = {
    S.CLA_REVIEWS.name: ("clar_cla_review_date", "clar_cla_review_due_date"),
    S.INITIAL_CP_CONFERENCE.name: ("icpc_icpc_date", "icpc_icpc_target_date"),
    S.CP_REVIEWS.name: ("cppr_cp_review_date", "cppr_cp_review_due"),
}
_STARTED = {
    S.CLA_EPISODES.name: "clae_cla_episode_start_date",
    S.INVOLVEMENTS.name: "invo_involvement_start_date",
}
README = "README.md"


def database_url(value: str) -> str:
    """The settings' database_url: as written, or from the environment for "env:NAME"."""
    if not value.startswith("env:"):
        return value
    name = value[4:].strip()
    got = os.environ.get(name, "").strip()
    if not got:
        raise InputError(
            f"ssd: database_url names the environment variable {excerpt(name)}, which is not set"
        )
    return got


def _safe(url) -> str:
    """The URL without its password, for messages and the README."""
    return url.render_as_string(hide_password=True)


def snapshot_year(url: str, schema: str, year: int, year_dir: Path) -> Path | None:
    """Read the SSD tables of `year` from the database at `url` (schema `schema`) into
    `year_dir/ssd/`; None, reading nothing, when that folder exists. Raises InputError
    naming the database (never its password) and the table when a table or column is
    missing or the database cannot be read."""
    out = Path(year_dir) / S.SSD_DIR
    if out.exists():
        return None
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(database_url(url))
    except sa.exc.ArgumentError:
        raise InputError("ssd: database_url is not a database URL (SQLAlchemy's form)") from None
    start, end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
    engine = sa.create_engine(parsed)
    tmp = out.with_name(f".{S.SSD_DIR}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    counts: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            for spec in S.SSD_TABLES.values():
                frame = _read_table(sa, conn, schema, spec, start, end, _safe(parsed))
                frame.to_csv(tmp / f"{spec.name}.csv", index=False, lineterminator="\n")
                counts[spec.name] = len(frame)
    except sa.exc.SQLAlchemyError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(
            f"ssd: could not read the SSD from {_safe(parsed)} (schema {schema}): "
            f"{one_line(str(exc.orig if getattr(exc, 'orig', None) else exc))[:300]}"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        engine.dispose()
    (tmp / README).write_text(_readme(_safe(parsed), schema, year, counts), encoding="utf-8")
    tmp.rename(out)
    return out


def _read_table(sa, conn, schema: str, spec, start, end, where: str) -> pd.DataFrame:
    """One SSD table's rows for the year, every column of the model the table has, in the
    order of its first column (its id)."""
    try:
        table = sa.Table(spec.name, sa.MetaData(schema=schema), autoload_with=conn)
    except sa.exc.NoSuchTableError:
        raise InputError(f"ssd: {where} has no table {schema}.{spec.name}") from None
    have = {c.name.lower(): c for c in table.columns}
    missing = [c for c in spec.required if c not in have]
    if missing:
        raise InputError(f"ssd: {where}: {schema}.{spec.name} has no column {', '.join(missing)}")
    cols = [have[c] for c in spec.columns if c in have]
    q = sa.select(*cols).order_by(cols[0])
    if spec.name in _IN_YEAR:
        held, due = (have.get(c) for c in _IN_YEAR[spec.name])
        in_year = sa.and_(sa.cast(held, sa.Date) >= start, sa.cast(held, sa.Date) <= end)
        if due is not None:
            not_held = sa.and_(
                held.is_(None), sa.cast(due, sa.Date) >= start, sa.cast(due, sa.Date) <= end
            )
            in_year = sa.or_(in_year, not_held)
        q = q.where(in_year)
    else:
        q = q.where(sa.cast(have[_STARTED[spec.name]], sa.Date) <= end)
    frame = pd.DataFrame(conn.execute(q).fetchall(), columns=[c.name.lower() for c in cols])
    return frame.astype("object").where(frame.notna(), None).map(_text)


def _text(v) -> str:
    """A value as the CSV holds it: dates and datetimes as YYYY-MM-DD (midnight) or
    YYYY-MM-DD HH:MM:SS; blank for NULL."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d") if v.time() == dt.time(0) else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _readme(where: str, schema: str, year: int, counts: dict[str, int]) -> str:
    rows = "\n".join(f"| {name} | {n} |" for name, n in counts.items())
    return (
        f"# SSD tables for {year - 1}/{str(year)[2:]}\n\n"
        f"Read from {where}, schema {schema}, by iro-analysis (`ingest.ssd_db`): meetings "
        f"dated 1 April {year - 1} to 31 March {year}, episodes and involvements started by "
        f"31 March {year}. Never written over: to read the database again, remove this "
        f"folder.\n\n| table | rows |\n|---|---|\n{rows}\n"
    )


__all__ = ["database_url", "snapshot_year"]
