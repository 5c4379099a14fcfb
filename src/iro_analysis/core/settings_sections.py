"""The settings file's sections that stand alone, each a frozen dataclass and its parser
(`core.settings` assembles them): the plausibility gates, accepted anomalies, the committee
front sheet and the Standard Safeguarding Dataset; and what every parser shares (the error,
the type check, the key check, a read-only mapping).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from iro_analysis.core.errors import IroAnalysisError, excerpt


class FrozenMap(Mapping):
    """A read-only, hashable mapping (so `Settings` stays a frozen, hashable value)."""

    def __init__(self, items: Mapping | None = None) -> None:
        self._d = dict(items or {})

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        return hash(tuple(self._d.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"


class SettingsError(IroAnalysisError, ValueError):
    """A settings file that is missing, malformed, or has an unknown or invalid key.

    A user error (the CLI prints its message, naming the file and key, without a
    traceback); still a ValueError for code that catches that.
    """


@dataclass(frozen=True)
class GateLimits:
    """Settings `gates`: how far a file may go before it stops the build
    (the plausibility gates, `validate.gates`)."""

    max_quarantined_share: float = 0.05  # of a file's rows
    max_month_first_share: float = 0.05  # of a file's date values that parse only MM/DD/YYYY
    max_change_share: float = 0.40  # rows or children against the previous year, either way
    min_rows_for_change: int = 100  # smaller tables vary too much year to year to compare
    min_rows_for_share: int = 20  # in a smaller file one bad row is already 5%
    # ... but this many quarantined rows make the share count however small the file
    # (issue #25: 5 of a 7-row disputes.csv unreadable passed silently)
    min_quarantined_for_share: int = 3


@dataclass(frozen=True)
class AcceptedAnomaly:
    """A failed plausibility gate an analyst checked and accepts for one year's file."""

    year: int
    check: str  # a gate: rows_read, quarantined_share, month_first_share, row_change, ...
    file: str  # as the data-quality section names it, e.g. "iro/disputes.csv"
    reason: str  # printed in the report's data-quality annex


@dataclass(frozen=True)
class CommitteeSettings:
    """The committee front sheet: the meeting the report goes to, who wrote it and its
    classification; the meeting date by reporting year. A field left unset is shown as
    "To be confirmed" on the front sheet (never an invented value)."""

    meeting: str | None = None  # e.g. "Corporate Parenting Panel"
    author: str | None = None  # e.g. "Jo Smith"
    role: str | None = None  # e.g. "IRO Service Manager"
    classification: str | None = None  # e.g. "OFFICIAL", "Public"
    meeting_dates: Mapping[int, dt.date] = field(default_factory=FrozenMap)

    def meeting_date(self, year: int) -> dt.date | None:
        """The date of the meeting that receives reporting year `year`'s report, if set."""
        return self.meeting_dates.get(int(year))


@dataclass(frozen=True)
class SsdSettings:
    """Settings `ssd`: the Standard Safeguarding Dataset (docs/ssd.md). `database_url` (a
    SQLAlchemy URL, or "env:NAME" to take it from the environment variable NAME so that no
    password is written in the file) and `schema` name a database holding the SSD, which a
    build reads into each year folder's ssd/ once (`ingest.ssd_db`); `chair_roles` are the
    council's ssd_involvements role codes of the IRO who chairs a child's meetings."""

    database_url: str | None = None
    schema: str = "ssd_development"
    chair_roles: tuple[str, ...] = ("IRO",)


NOT_KEYS = ("source",)  # fields of Settings that are not keys of the file


def check_keys(where: str, data: dict[str, Any], cls: type) -> None:
    allowed = [f.name for f in fields(cls) if f.name not in NOT_KEYS]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise SettingsError(
            f"{where}: unknown key(s) {', '.join(excerpt(k) for k in unknown[:5])}"
            f"{f' and {len(unknown) - 5} more' if len(unknown) > 5 else ''}; "
            f"allowed: {', '.join(allowed)}"
        )


def expect(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    # bool is a subclass of int: reject True for an int setting and 1 for a bool one.
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SettingsError(f"{where}: {excerpt(key)} must be {names}, got {excerpt(value)}")
    return value


def parse_ssd(where: str, s: Any) -> SsdSettings:
    """`ssd`: database_url and schema (non-empty text; a schema a plain SQL identifier) and
    chair_roles (a non-empty list of distinct codes)."""
    expect(where.rsplit(": ", 1)[0], "ssd", s, dict)
    check_keys(where, s, SsdSettings)
    kw: dict[str, Any] = {}
    for key in ("database_url", "schema"):
        if key in s and s[key] is not None:
            kw[key] = expect(where, key, s[key], str).strip()
            if not kw[key]:
                raise SettingsError(f"{where}: {excerpt(key)} must not be empty (leave it out)")
    if "schema" in kw and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", kw["schema"]):
        raise SettingsError(
            f"{where}: 'schema' must be a plain SQL name (letters, digits, _), "
            f"got {excerpt(kw['schema'])}"
        )
    if "chair_roles" in s:
        roles = expect(where, "chair_roles", s["chair_roles"], list)
        for r in roles:
            expect(f"{where}: chair_roles", "item", r, str)
        clean = [r.strip() for r in roles]
        if not clean or "" in clean or len({r.upper() for r in clean}) < len(clean):
            raise SettingsError(
                f"{where}: 'chair_roles' must list distinct, non-empty role codes, "
                f"got {excerpt(roles)}"
            )
        kw["chair_roles"] = tuple(clean)
    return SsdSettings(**kw)


def parse_committee(where: str, c: Any) -> CommitteeSettings:
    """`committee`: meeting, author, role and classification (non-empty text) and
    `meeting_dates`, reporting year (YYYY) -> the meeting's date (YYYY-MM-DD), which must
    fall after the year's 31 March."""
    expect(where.rsplit(": ", 1)[0], "committee", c, dict)
    check_keys(where, c, CommitteeSettings)
    kw: dict[str, Any] = {}
    for key in ("meeting", "author", "role", "classification"):
        if key in c and c[key] is not None:
            kw[key] = expect(where, key, c[key], str).strip()
            if not kw[key]:
                raise SettingsError(
                    f"{where}: {excerpt(key)} must not be empty (leave it out instead)"
                )
    dates = {} if c.get("meeting_dates") is None else c["meeting_dates"]
    expect(where, "meeting_dates", dates, dict)
    at = f"{where}: meeting_dates"
    out: dict[int, dt.date] = {}
    for year, when in dates.items():
        if isinstance(year, bool) or not re.fullmatch(r"\d{4}", str(year).strip()):
            raise SettingsError(
                f"{at}: {excerpt(year)} is not a year (YYYY, the year ending 31 March)"
            )
        y = int(str(year).strip())
        if isinstance(when, dt.datetime) or not isinstance(when, dt.date):
            raise SettingsError(f"{at}: {y} must be a date (YYYY-MM-DD), got {excerpt(when)}")
        if when <= dt.date(y, 3, 31):
            raise SettingsError(
                f"{at}: {y} is {when.isoformat()}, on or before the end of the reporting year "
                f"(31 March {y}); the meeting that receives the report comes after it"
            )
        out[y] = when
    kw["meeting_dates"] = FrozenMap(sorted(out.items()))
    return CommitteeSettings(**kw)


def parse_gates(where: str, g: Any) -> GateLimits:
    expect(where.rsplit(": ", 1)[0], "gates", g, dict)
    check_keys(where, g, GateLimits)
    kw: dict[str, Any] = {}
    for key, value in g.items():
        if key.startswith("min_"):
            kw[key] = expect(where, key, value, int)
            ok = kw[key] >= 0
        else:
            kw[key] = float(expect(where, key, value, (int, float)))
            ok = 0 <= kw[key] <= 10
        if not ok:
            raise SettingsError(f"{where}: {excerpt(key)} is out of range: {excerpt(value)}")
    return GateLimits(**kw)


def parse_anomalies(where: str, items: Any) -> tuple[AcceptedAnomaly, ...]:
    expect(where, "accepted_anomalies", items, list)
    out = []
    for i, item in enumerate(items):
        at = f"{where}: accepted_anomalies[{i}]"
        expect(at.rsplit(": ", 1)[0], f"accepted_anomalies[{i}]", item, dict)
        check_keys(at, item, AcceptedAnomaly)
        missing = [k for k in ("year", "check", "file", "reason") if k not in item]
        if missing:
            raise SettingsError(f"{at}: missing {', '.join(missing)}")
        # that `check` names a gate is the gates' check (validate.gates.check_accepted_anomalies)
        check = expect(at, "check", item["check"], str)
        reason = expect(at, "reason", item["reason"], str).strip()
        if not reason:
            raise SettingsError(f"{at}: 'reason' must say why the anomaly is accepted")
        out.append(
            AcceptedAnomaly(
                year=expect(at, "year", item["year"], int),
                check=check,
                file=expect(at, "file", item["file"], str).strip(),
                reason=reason,
            )
        )
    return tuple(out)
