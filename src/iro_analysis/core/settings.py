"""Typed loader for `config/settings.yaml`, the single settings file: parse and type-check.

Unknown keys and invalid values raise `SettingsError` naming the file and key, so a typo
is never silently ignored. This loader checks what the ground floor can know (types,
ranges, dates, paths). A value naming something a stage defines is checked by that stage,
naming the file (`Settings.source`): `not_supplied` by `contract.tables.check_not_supplied`,
`accepted_anomalies` by `validate.gates.check_accepted_anomalies`, `targets` by
`kpis.registry.check_targets`. The build's door (`pipeline.door.open_run`) runs all three
before any step; each stage also runs its own when it uses the settings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from iro_analysis.core import paths
from iro_analysis.core.errors import IroAnalysisError, excerpt
from iro_analysis.core.strict_yaml import StrictYamlError, read_strict
from iro_analysis.core.years import parse_year_range

DEMO_SIZES = ("small", "medium")
MAX_SETTINGS_BYTES = 1_000_000  # the project's settings file is about 3 KB


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
class PathSettings:
    raw: Path = paths.RAW_DIR
    processed: Path = paths.PROCESSED_DIR
    reports: Path = paths.REPORTS_DIR
    restricted: Path = paths.RESTRICTED_DIR


@dataclass(frozen=True)
class DemoSettings:
    seed: int = 42
    size: str = "medium"
    years: str = "2018-2024"
    fault_rate: float = 0.01

    @property
    def year_list(self) -> list[int]:
        """The years as a list: "2018-2024" gives 2018, ..., 2024."""
        return parse_year_range(self.years)


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
class Settings:
    council_name: str = "Demo County Council"
    report_title: str = "Independent Reviewing Officer Service Annual Report"
    suppression_threshold: int = 5
    pn4_counts_as_participation: bool = True
    paths: PathSettings = field(default_factory=PathSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    gates: GateLimits = field(default_factory=GateLimits)
    accepted_anomalies: tuple[AcceptedAnomaly, ...] = ()
    # The council's mid-year population aged 0-17 by reporting year (YEAR: children), for
    # the rates per 10,000 children; a year without one has no rate.
    child_population: Mapping[int, int] = field(default_factory=FrozenMap)
    # The council's own targets, kpi_id -> number, used first when rating a KPI.
    targets: Mapping[str, float] = field(default_factory=FrozenMap)
    committee: CommitteeSettings = field(default_factory=CommitteeSettings)
    # Core returns (contract.tables.CORE_INPUTS) the council does not supply; any other
    # missing stops a build.
    not_supplied: tuple[str, ...] = ()
    # Where these settings came from, for the stages' messages (not a settings key).
    source: str = field(default="settings", compare=False)

    def population(self, year: int) -> int | None:
        """The child population of reporting year `year`, or None if the settings have none."""
        return self.child_population.get(int(year))

    def target(self, kpi_id: str) -> float | None:
        """The council's target for `kpi_id`, or None if it has set none."""
        return self.targets.get(kpi_id)


_NOT_KEYS = ("source",)  # fields of Settings that are not keys of the file


def _check_keys(where: str, data: dict[str, Any], cls: type) -> None:
    allowed = [f.name for f in fields(cls) if f.name not in _NOT_KEYS]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise SettingsError(
            f"{where}: unknown key(s) {', '.join(excerpt(k) for k in unknown[:5])}"
            f"{f' and {len(unknown) - 5} more' if len(unknown) > 5 else ''}; "
            f"allowed: {', '.join(allowed)}"
        )


def _expect(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    # bool is a subclass of int: reject True for an int setting and 1 for a bool one.
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SettingsError(f"{where}: {excerpt(key)} must be {names}, got {excerpt(value)}")
    return value


def _resolve(p: str, root: Path) -> Path:
    path = Path(p)
    return path if path.is_absolute() else (root / path).resolve()


def settings_from_dict(
    data: dict[str, Any], where: str = "settings", root: Path | None = None
) -> Settings:
    """Build `Settings` from a parsed mapping, checking every key and value."""
    root = root or paths.PROJECT_ROOT
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a mapping of keys to values")
    _check_keys(where, data, Settings)
    kw: dict[str, Any] = {}
    for key in ("council_name", "report_title"):
        if key in data:
            kw[key] = _expect(where, key, data[key], str).strip()
            if not kw[key]:
                raise SettingsError(f"{where}: {excerpt(key)} must not be empty")
    if "suppression_threshold" in data:
        v = _expect(where, "suppression_threshold", data["suppression_threshold"], int)
        if not 0 <= v <= 100:
            raise SettingsError(
                f"{where}: 'suppression_threshold' must be between 0 and 100, got {v}"
            )
        kw["suppression_threshold"] = v
    if "pn4_counts_as_participation" in data:
        kw["pn4_counts_as_participation"] = _expect(
            where, "pn4_counts_as_participation", data["pn4_counts_as_participation"], bool
        )
    if "paths" in data:
        p = data["paths"] or {}
        _expect(where, "paths", p, dict)
        _check_keys(f"{where}: paths", p, PathSettings)
        kw["paths"] = PathSettings(
            **{k: _resolve(_expect(f"{where}: paths", k, v, str), root) for k, v in p.items()}
        )
    if "demo" in data:
        d = data["demo"] or {}
        _expect(where, "demo", d, dict)
        _check_keys(f"{where}: demo", d, DemoSettings)
        dkw: dict[str, Any] = {}
        if "seed" in d:
            dkw["seed"] = _expect(f"{where}: demo", "seed", d["seed"], int)
        if "size" in d:
            size = _expect(f"{where}: demo", "size", d["size"], str)
            if size not in DEMO_SIZES:
                raise SettingsError(
                    f"{where}: demo: 'size' must be one of {DEMO_SIZES}, got {excerpt(size)}"
                )
            dkw["size"] = size
        if "years" in d:
            years = str(_expect(f"{where}: demo", "years", d["years"], (str, int)))
            try:
                parse_year_range(years)
            except ValueError as exc:
                raise SettingsError(f"{where}: demo: 'years': {exc}") from None
            dkw["years"] = years
        if "fault_rate" in d:
            rate = _expect(f"{where}: demo", "fault_rate", d["fault_rate"], (int, float))
            if isinstance(rate, bool) or not 0 <= rate <= 0.5:
                raise SettingsError(
                    f"{where}: demo: 'fault_rate' must be between 0 and 0.5, got {excerpt(rate)}"
                )
            dkw["fault_rate"] = float(rate)
        kw["demo"] = DemoSettings(**dkw)
    if "gates" in data:
        kw["gates"] = _gates(f"{where}: gates", data["gates"] or {})
    if "accepted_anomalies" in data:
        kw["accepted_anomalies"] = _anomalies(where, data["accepted_anomalies"] or [])
    if "child_population" in data:
        kw["child_population"] = _child_population(where, data["child_population"])
    if "targets" in data:
        kw["targets"] = _targets(where, data["targets"])
    if "committee" in data:
        kw["committee"] = _committee(f"{where}: committee", data["committee"] or {})
    if "not_supplied" in data:
        kw["not_supplied"] = _not_supplied(where, data["not_supplied"])
    return Settings(**kw, source=where)


def _not_supplied(where: str, value: Any) -> tuple[str, ...]:
    """`not_supplied`: a list of distinct names (that each is a core return is the
    contract's check, `contract.tables.check_not_supplied`)."""
    items = _expect(where, "not_supplied", [] if value is None else value, list)
    for name in items:
        _expect(f"{where}: not_supplied", "item", name, str)
    if len(set(items)) < len(items):
        raise SettingsError(f"{where}: not_supplied: a return is listed twice: {excerpt(items)}")
    return tuple(items)


def _committee(where: str, c: Any) -> CommitteeSettings:
    """`committee`: meeting, author, role and classification (non-empty text) and
    `meeting_dates`, reporting year (YYYY) -> the meeting's date (YYYY-MM-DD), which must
    fall after the year's 31 March."""
    _expect(where.rsplit(": ", 1)[0], "committee", c, dict)
    _check_keys(where, c, CommitteeSettings)
    kw: dict[str, Any] = {}
    for key in ("meeting", "author", "role", "classification"):
        if key in c and c[key] is not None:
            kw[key] = _expect(where, key, c[key], str).strip()
            if not kw[key]:
                raise SettingsError(
                    f"{where}: {excerpt(key)} must not be empty (leave it out instead)"
                )
    dates = {} if c.get("meeting_dates") is None else c["meeting_dates"]
    _expect(where, "meeting_dates", dates, dict)
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


def _child_population(where: str, value: Any) -> Mapping[int, int]:
    """`child_population`: reporting year (YYYY) -> a positive whole number of children."""
    value = {} if value is None else value
    _expect(where, "child_population", value, dict)
    at = f"{where}: child_population"
    out: dict[int, int] = {}
    for year, n in value.items():
        if isinstance(year, bool) or not re.fullmatch(r"\d{4}", str(year).strip()):
            raise SettingsError(
                f"{at}: {excerpt(year)} is not a year (YYYY, the year ending 31 March)"
            )
        _expect(at, str(year), n, int)
        if n <= 0:
            raise SettingsError(f"{at}: {year} must be a positive number of children, got {n}")
        out[int(str(year).strip())] = n
    return FrozenMap(sorted(out.items()))


def _targets(where: str, value: Any) -> Mapping[str, float]:
    """`targets`: KPI id -> a number of 0 or more, the council's own target. That each id is
    a KPI that is rated is the registry's check (`kpis.registry.check_targets`)."""
    value = {} if value is None else value
    _expect(where, "targets", value, dict)
    at = f"{where}: targets"
    out: dict[str, float] = {}
    for kpi_id, target in value.items():
        if not isinstance(kpi_id, str):
            raise SettingsError(
                f"{at}: {excerpt(kpi_id)} is not a KPI id (docs/kpis.md lists them)"
            )
        _expect(at, kpi_id, target, (int, float))
        if isinstance(target, bool) or not 0 <= target < float("inf"):
            raise SettingsError(
                f"{at}: {excerpt(kpi_id)} must be a number of 0 or more, got {excerpt(target)}"
            )
        out[kpi_id] = float(target)
    return FrozenMap(out)


def _gates(where: str, g: Any) -> GateLimits:
    _expect(where.rsplit(": ", 1)[0], "gates", g, dict)
    _check_keys(where, g, GateLimits)
    kw: dict[str, Any] = {}
    for key, value in g.items():
        if key.startswith("min_"):
            kw[key] = _expect(where, key, value, int)
            ok = kw[key] >= 0
        else:
            kw[key] = float(_expect(where, key, value, (int, float)))
            ok = 0 <= kw[key] <= 10
        if not ok:
            raise SettingsError(f"{where}: {excerpt(key)} is out of range: {excerpt(value)}")
    return GateLimits(**kw)


def _anomalies(where: str, items: Any) -> tuple[AcceptedAnomaly, ...]:
    _expect(where, "accepted_anomalies", items, list)
    out = []
    for i, item in enumerate(items):
        at = f"{where}: accepted_anomalies[{i}]"
        _expect(at.rsplit(": ", 1)[0], f"accepted_anomalies[{i}]", item, dict)
        _check_keys(at, item, AcceptedAnomaly)
        missing = [k for k in ("year", "check", "file", "reason") if k not in item]
        if missing:
            raise SettingsError(f"{at}: missing {', '.join(missing)}")
        # that `check` names a gate is the gates' check (validate.gates.check_accepted_anomalies)
        check = _expect(at, "check", item["check"], str)
        reason = _expect(at, "reason", item["reason"], str).strip()
        if not reason:
            raise SettingsError(f"{at}: 'reason' must say why the anomaly is accepted")
        out.append(
            AcceptedAnomaly(
                year=_expect(at, "year", item["year"], int),
                check=check,
                file=_expect(at, "file", item["file"], str).strip(),
                reason=reason,
            )
        )
    return tuple(out)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and check the settings file (default `config/settings.yaml`): UTF-8 text of a
    sane size, YAML with no key given twice and no anchors or aliases (`strict_yaml`)."""
    path = Path(path) if path else paths.SETTINGS_FILE
    if not path.is_file():
        raise SettingsError(f"settings file not found: {path}")
    try:
        data = read_strict(path, max_bytes=MAX_SETTINGS_BYTES) or {}
    except StrictYamlError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    return settings_from_dict(data, where=str(path))


def settings_or_defaults(path: Path | str | None = None) -> Settings:
    """The settings file named (an error if it is missing or wrong), else
    `config/settings.yaml` when there is one, else the defaults (a package installed
    without the project's folders)."""
    if path is not None:
        return load_settings(path)
    return load_settings() if paths.SETTINGS_FILE.is_file() else Settings()
