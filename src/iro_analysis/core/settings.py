"""Typed loader for `config/settings.yaml`, the single settings file: parse and type-check.

Unknown keys and invalid values raise `SettingsError` naming the file and key, so a typo
is never silently ignored. This loader checks what the ground floor can know (types,
ranges, dates, paths). A value naming something a stage defines is checked by that stage,
naming the file (`Settings.source`): `not_supplied` by `contract.tables.check_not_supplied`,
`accepted_anomalies` by `validate.gates.check_accepted_anomalies`, `targets` by
`kpis.registry.check_targets`, `code_map` by `ingest.code_map.check_code_map`. The build's
door (`pipeline.door.open_run`) runs all four
before any step; each stage also runs its own when it uses the settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iro_analysis.core import paths
from iro_analysis.core.errors import excerpt
from iro_analysis.core.setting_maps import text_maps
from iro_analysis.core.settings_sections import (
    AcceptedAnomaly,
    CommitteeSettings,
    FrozenMap,
    GateLimits,
    SettingsError,
    SsdSettings,
    check_keys,
    expect,
    parse_anomalies,
    parse_committee,
    parse_gates,
    parse_ssd,
)
from iro_analysis.core.strict_yaml import StrictYamlError, read_strict
from iro_analysis.core.years import parse_year_range

DEMO_SIZES = ("small", "medium")
MAX_SETTINGS_BYTES = 1_000_000  # the project's settings file is about 3 KB


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
    ssd: SsdSettings = field(default_factory=SsdSettings)
    # The council's own values of the IRO extracts' coded columns, table -> column ->
    # {its value: the project's code}, applied when an extract is read (`ingest.code_map`).
    code_map: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=FrozenMap)
    # Where these settings came from, for the stages' messages (not a settings key).
    source: str = field(default="settings", compare=False)

    def population(self, year: int) -> int | None:
        """The child population of reporting year `year`, or None if the settings have none."""
        return self.child_population.get(int(year))

    def target(self, kpi_id: str) -> float | None:
        """The council's target for `kpi_id`, or None if it has set none."""
        return self.targets.get(kpi_id)


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
    check_keys(where, data, Settings)
    kw: dict[str, Any] = {}
    for key in ("council_name", "report_title"):
        if key in data:
            kw[key] = expect(where, key, data[key], str).strip()
            if not kw[key]:
                raise SettingsError(f"{where}: {excerpt(key)} must not be empty")
    if "suppression_threshold" in data:
        v = expect(where, "suppression_threshold", data["suppression_threshold"], int)
        if not 0 <= v <= 100:
            raise SettingsError(
                f"{where}: 'suppression_threshold' must be between 0 and 100, got {v}"
            )
        kw["suppression_threshold"] = v
    if "pn4_counts_as_participation" in data:
        kw["pn4_counts_as_participation"] = expect(
            where, "pn4_counts_as_participation", data["pn4_counts_as_participation"], bool
        )
    if "paths" in data:
        p = data["paths"] or {}
        expect(where, "paths", p, dict)
        check_keys(f"{where}: paths", p, PathSettings)
        kw["paths"] = PathSettings(
            **{k: _resolve(expect(f"{where}: paths", k, v, str), root) for k, v in p.items()}
        )
    if "demo" in data:
        d = data["demo"] or {}
        expect(where, "demo", d, dict)
        check_keys(f"{where}: demo", d, DemoSettings)
        dkw: dict[str, Any] = {}
        if "seed" in d:
            dkw["seed"] = expect(f"{where}: demo", "seed", d["seed"], int)
        if "size" in d:
            size = expect(f"{where}: demo", "size", d["size"], str)
            if size not in DEMO_SIZES:
                raise SettingsError(
                    f"{where}: demo: 'size' must be one of {DEMO_SIZES}, got {excerpt(size)}"
                )
            dkw["size"] = size
        if "years" in d:
            years = str(expect(f"{where}: demo", "years", d["years"], (str, int)))
            try:
                parse_year_range(years)
            except ValueError as exc:
                raise SettingsError(f"{where}: demo: 'years': {exc}") from None
            dkw["years"] = years
        if "fault_rate" in d:
            rate = expect(f"{where}: demo", "fault_rate", d["fault_rate"], (int, float))
            if isinstance(rate, bool) or not 0 <= rate <= 0.5:
                raise SettingsError(
                    f"{where}: demo: 'fault_rate' must be between 0 and 0.5, got {excerpt(rate)}"
                )
            dkw["fault_rate"] = float(rate)
        kw["demo"] = DemoSettings(**dkw)
    if "gates" in data:
        kw["gates"] = parse_gates(f"{where}: gates", data["gates"] or {})
    if "accepted_anomalies" in data:
        kw["accepted_anomalies"] = parse_anomalies(where, data["accepted_anomalies"] or [])
    if "child_population" in data:
        kw["child_population"] = _child_population(where, data["child_population"])
    if "targets" in data:
        kw["targets"] = _targets(where, data["targets"])
    if "committee" in data:
        kw["committee"] = parse_committee(f"{where}: committee", data["committee"] or {})
    if "not_supplied" in data:
        kw["not_supplied"] = _not_supplied(where, data["not_supplied"])
    if "ssd" in data:
        kw["ssd"] = parse_ssd(f"{where}: ssd", data["ssd"] or {})
    if "code_map" in data:
        maps = text_maps(f"{where}: code_map", data["code_map"], SettingsError)
        kw["code_map"] = FrozenMap(
            {t: FrozenMap({c: FrozenMap(m) for c, m in cols.items()}) for t, cols in maps.items()}
        )
    return Settings(**kw, source=where)


def _not_supplied(where: str, value: Any) -> tuple[str, ...]:
    """`not_supplied`: a list of distinct names (that each is a core return is the
    contract's check, `contract.tables.check_not_supplied`)."""
    items = expect(where, "not_supplied", [] if value is None else value, list)
    for name in items:
        expect(f"{where}: not_supplied", "item", name, str)
    if len(set(items)) < len(items):
        raise SettingsError(f"{where}: not_supplied: a return is listed twice: {excerpt(items)}")
    return tuple(items)


def _child_population(where: str, value: Any) -> Mapping[int, int]:
    """`child_population`: reporting year (YYYY) -> a positive whole number of children."""
    value = {} if value is None else value
    expect(where, "child_population", value, dict)
    at = f"{where}: child_population"
    out: dict[int, int] = {}
    for year, n in value.items():
        if isinstance(year, bool) or not re.fullmatch(r"\d{4}", str(year).strip()):
            raise SettingsError(
                f"{at}: {excerpt(year)} is not a year (YYYY, the year ending 31 March)"
            )
        expect(at, str(year), n, int)
        if n <= 0:
            raise SettingsError(f"{at}: {year} must be a positive number of children, got {n}")
        out[int(str(year).strip())] = n
    return FrozenMap(sorted(out.items()))


def _targets(where: str, value: Any) -> Mapping[str, float]:
    """`targets`: KPI id -> a number of 0 or more, the council's own target. That each id is
    a KPI that is rated is the registry's check (`kpis.registry.check_targets`)."""
    value = {} if value is None else value
    expect(where, "targets", value, dict)
    at = f"{where}: targets"
    out: dict[str, float] = {}
    for kpi_id, target in value.items():
        if not isinstance(kpi_id, str):
            raise SettingsError(
                f"{at}: {excerpt(kpi_id)} is not a KPI id (docs/kpis.md lists them)"
            )
        expect(at, kpi_id, target, (int, float))
        if isinstance(target, bool) or not 0 <= target < float("inf"):
            raise SettingsError(
                f"{at}: {excerpt(kpi_id)} must be a number of 0 or more, got {excerpt(target)}"
            )
        out[kpi_id] = float(target)
    return FrozenMap(out)


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
