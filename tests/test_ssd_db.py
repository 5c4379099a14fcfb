"""An SSD held in a database (ingest.ssd_db), read through SQLAlchemy from a real
PostgreSQL server that this module starts (Debian's postgresql, on a Unix socket in a
temporary folder: no network), loaded with the hand-made SSD of tests/fixtures/ssd.

The database holds what the fixture's CSVs hold, as a database would: dates as
timestamps, so R6's "15/13/2021" is NULL there (and R6, with neither date nor due date, is
in no year); plus a review dated in May 2022, of the next year, which 2022 must not take.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.contract import ssd as S
from iro_analysis.core.errors import InputError
from iro_analysis.core.settings import Settings
from iro_analysis.core.settings_sections import SsdSettings
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.ingest.ssd_db import snapshot_year
from iro_analysis.pipeline.door import take_ssd_snapshots

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "ssd" / "raw"
PORT = 54329  # names the socket file only: the server listens on no TCP address
SCHEMA = S.SSD_DEFAULT_SCHEMA


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def server():
    pg = _pg_bin()
    if pg is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (scripts/system-deps.sh installs it)")
        pytest.skip("PostgreSQL is not installed: sudo apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="iro-pg-"))
    data = base / "data"
    os.chmod(base, 0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    run = lambda cmd: subprocess.run(_as_postgres(cmd), check=True, capture_output=True)  # noqa: E731
    run(
        [
            str(pg / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ]
    )
    opts = f"-k {base} -p {PORT} -c listen_addresses='' -F"
    run([str(pg / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://postgres:s3cret@/postgres?host={base}&port={PORT}"
    finally:
        subprocess.run(
            _as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def _column_type(sa, name: str):
    dated = name.endswith(("_date", "_due")) or name == "icpc_icpc_date"
    return sa.DateTime() if dated else sa.Text()


@pytest.fixture(scope="module")
def url(server):
    """The fixture's SSD tables in schema ssd_development, typed as the SSD types them."""
    import sqlalchemy as sa

    engine = sa.create_engine(server)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        meta = sa.MetaData(schema=SCHEMA)
        for spec in S.SSD_TABLES.values():
            table = sa.Table(
                spec.name, meta, *(sa.Column(c, _column_type(sa, c)) for c in spec.columns)
            )
            table.create(conn)
            rows = pd.read_csv(FIXTURE / "2022" / spec.relpath, dtype="str", keep_default_na=False)
            if spec is S.CLA_REVIEWS:  # a review of the next year
                rows.loc[len(rows)] = ["R7", "CLA-1", "", "2022-05-01 00:00:00.000", "N", "PN1"]
            records = []
            for r in rows.to_dict("records"):
                for c, v in r.items():
                    if isinstance(table.c[c].type, sa.DateTime):
                        d = pd.to_datetime(v, errors="coerce", format="ISO8601")
                        r[c] = None if pd.isna(d) else d.to_pydatetime()
                    elif v == "":
                        r[c] = None
                records.append(r)
            conn.execute(table.insert(), records)
    engine.dispose()
    return server


def _year_without_ssd(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE, raw)
    shutil.rmtree(raw / "2022" / "ssd")
    return raw


def test_the_database_is_read_into_the_year_folder(url, tmp_path):
    raw = _year_without_ssd(tmp_path)
    out = snapshot_year(url, SCHEMA, 2022, raw / "2022")
    assert out == raw / "2022" / "ssd"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.csv" for n in S.SSD_TABLES] + ["README.md"]
    )
    readme = (out / "README.md").read_text()
    assert "s3cret" not in readme and "***" in readme and SCHEMA in readme
    reviews = pd.read_csv(out / "ssd_cla_reviews.csv", dtype="str", keep_default_na=False)
    # in the year only: not R7 (May 2022), not R6 (no date in the database)
    assert reviews["clar_cla_review_id"].tolist() == ["R1", "R2", "R3", "R4", "R5"]
    assert reviews["clar_cla_review_date"].tolist()[:2] == ["2021-06-10", "2021-12-01 10:30:00"]


def test_the_database_route_gives_the_csv_routes_meetings(url, tmp_path):
    raw = _year_without_ssd(tmp_path)
    snapshot_year(url, SCHEMA, 2022, raw / "2022")
    from_db = build_dataset(raw)
    from_csv = build_dataset(FIXTURE)
    pd.testing.assert_frame_equal(from_db.tables["meetings"], from_csv.tables["meetings"])
    q = from_db.quarantine
    # R6 is in no year in the database: its details are of no meeting
    assert sorted(q["rule"]) == [
        "no_such_meeting",
        "no_such_meeting",
        "ssd_unknown_period",
        "ssd_unknown_period",
    ]


def test_an_existing_ssd_folder_is_never_written_over(url, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE, raw)
    before = {p.name: p.read_bytes() for p in (raw / "2022" / "ssd").iterdir()}
    assert snapshot_year(url, SCHEMA, 2022, raw / "2022") is None
    assert {p.name: p.read_bytes() for p in (raw / "2022" / "ssd").iterdir()} == before


def test_a_missing_table_is_named_and_nothing_is_left(url, tmp_path):
    raw = _year_without_ssd(tmp_path)
    with pytest.raises(InputError, match=r"has no table public\.ssd_cla_reviews") as err:
        snapshot_year(url, "public", 2022, raw / "2022")
    assert "s3cret" not in str(err.value)
    assert not (raw / "2022" / "ssd").exists()
    assert not list((raw / "2022").glob(".ssd*"))


def test_the_build_reads_each_year_that_has_no_meetings(url, tmp_path, monkeypatch):
    raw = _year_without_ssd(tmp_path)
    (raw / "2021" / "iro").mkdir(parents=True)
    shutil.copy(
        FIXTURE.parent.parent / "kpis" / "raw" / "2022" / "iro" / "meetings.csv",
        raw / "2021" / "iro",
    )
    monkeypatch.setenv("IRO_TEST_SSD_URL", url)
    settings = Settings(ssd=SsdSettings(database_url="env:IRO_TEST_SSD_URL", schema=SCHEMA))
    written = take_ssd_snapshots(settings, raw, 2022)
    assert written == [raw / "2022" / "ssd"]  # 2021 has iro/meetings.csv
    assert not (raw / "2021" / "ssd").exists()
    assert take_ssd_snapshots(settings, raw, 2022) == []  # taken once


def test_an_unset_environment_variable_is_one_line(tmp_path, monkeypatch):
    raw = _year_without_ssd(tmp_path)
    monkeypatch.delenv("IRO_NO_SUCH_URL", raising=False)
    settings = Settings(ssd=SsdSettings(database_url="env:IRO_NO_SUCH_URL"))
    with pytest.raises(InputError, match="IRO_NO_SUCH_URL', which is not set"):
        take_ssd_snapshots(settings, raw, 2022)
