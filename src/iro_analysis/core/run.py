"""The Run: one build's year, folders, settings and inputs, fixed once at the door.

`Run.create` checks the year, the raw folder and the settings file (parsed and
type-checked, `core.settings`) and hashes the inputs. The build's door,
`pipeline.door.open_run`, creates the Run and then runs the checks that need the stages
(each stage's settings check and the narrative's placeholders), once. The build writes the Run as JSON into its restricted staging folder (`run.write`) and passes
each notebook one papermill parameter, `run_path`. Every later step reads the Run
(`Run.load`) and checks nothing again. A notebook run by hand has `run_path = None`
and uses `Run.for_analyst(year, ...)`: the year (default the latest), the folders given
(default from the settings file), and scratch folders for what it writes, so only a build
writes into `reports/<YEAR>/`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.hashing import raw_file_hashes, sha256_file
from iro_analysis.core.settings import Settings, SettingsError, load_settings
from iro_analysis.core.years import check_year

RUN_FILE = "run.json"  # in the restricted staging root; the notebooks run there
_PATH_FIELDS = (
    "raw_dir",
    "processed_dir",
    "reports_dir",
    "restricted_dir",
    "staging_dir",
    "restricted_staging_dir",
    "narrative_path",
    "settings_path",
)


@dataclass(frozen=True)
class Run:
    """Everything a build's steps need, fixed before the first step runs."""

    year: int
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    restricted_dir: Path
    staging_dir: Path  # mirrors reports/<YEAR>/: what may be published
    restricted_staging_dir: Path  # mirrors restricted/<YEAR>/: never published
    narrative_path: Path
    settings_path: Path
    settings_sha256: str
    # (file under raw_dir, sha256) of the year folders up to the year (what its clean data
    # read; a later year's files are not its inputs), sorted
    inputs: tuple[tuple[str, str], ...] = ()
    validate_years: tuple[int, ...] = ()  # years the validate step checks; () is (year,)
    prepared: bool = False  # cleaned and validated already (`make reports`): reuse them
    analyst: bool = False  # a notebook opened by hand: scratch folders

    @property
    def staging_root(self) -> Path:
        """The folder holding `<YEAR>/` staging folders (steps that write to `<root>/<YEAR>/`)."""
        return self.staging_dir.parent

    @property
    def restricted_staging_root(self) -> Path:
        return self.restricted_staging_dir.parent

    @property
    def years_to_validate(self) -> tuple[int, ...]:
        return self.validate_years or (self.year,)

    def settings(self) -> Settings:
        """The settings the Run was created with; SettingsError if the file has changed since."""
        return _settings(self.settings_path, self.settings_sha256)

    @classmethod
    def create(
        cls,
        year: object,
        *,
        settings_path: Path | None = None,
        raw_dir: Path | None = None,
        processed_dir: Path | None = None,
        reports_dir: Path | None = None,
        restricted_dir: Path | None = None,
        narrative_path: Path | None = None,
        tag: str | None = None,
        inputs: tuple[tuple[str, str], ...] | None = None,
        validate_years: tuple[int, ...] = (),
        prepared: bool = False,
    ) -> Run:
        """Check the year, its raw folder and the settings file, and fix every folder:
        staging in `reports/.build-<tag>/` and `restricted/.build-<tag>/` (tag:
        `<YEAR>-<pid>`). Folders not given come from the settings file. A build opens its
        Run through `pipeline.door.open_run`, which adds the stages' checks.

        Raises IroAnalysisError (no raw data for the year, listing the years there are) or
        SettingsError, each naming what to fix.
        """
        year = check_year(year)
        settings_path = Path(settings_path or paths.SETTINGS_FILE).resolve()
        s = load_settings(settings_path)
        raw, processed, reports, restricted = _folders(
            s, raw_dir, processed_dir, reports_dir, restricted_dir
        )
        if not paths.raw_year_dir(year, raw).is_dir():
            years = paths.available_years(raw)
            raise IroAnalysisError(
                f"no raw data for {year}: expected the folder {paths.raw_year_dir(year, raw)}; "
                + (
                    f"years available: {', '.join(map(str, years))}"
                    if years
                    else "run `make data` for the demo council"
                )
            )
        narrative = Path(narrative_path or paths.NARRATIVE_DIR / f"{year}.md")
        tag = tag or f"{year}-{os.getpid()}"
        return cls(
            year=year,
            raw_dir=raw,
            processed_dir=processed,
            reports_dir=reports,
            restricted_dir=restricted,
            staging_dir=reports / f".build-{tag}" / str(year),
            restricted_staging_dir=restricted / f".build-{tag}" / str(year),
            narrative_path=narrative,
            settings_path=settings_path,
            settings_sha256=_sha256(settings_path),
            inputs=raw_file_hashes(raw, up_to=year) if inputs is None else tuple(inputs),
            validate_years=tuple(check_year(y) for y in validate_years),
            prepared=prepared,
        )

    @classmethod
    def for_analyst(
        cls,
        year: object = None,
        settings_path: Path | None = None,
        *,
        raw_dir: Path | None = None,
        processed_dir: Path | None = None,
        reports_dir: Path | None = None,
        restricted_dir: Path | None = None,
    ) -> Run:
        """A Run for a notebook run by hand: the folders given, the others from the settings
        file, the latest year with raw data (unless `year`), and what it writes in the
        scratch folders (`<reports>/_scratch/<YEAR>/`, `<restricted>/_scratch/<YEAR>/`), so
        a run by hand never writes into a published `reports/<YEAR>/`. Inputs are not hashed."""
        settings_path = Path(settings_path or paths.SETTINGS_FILE).resolve()
        s = load_settings(settings_path)
        raw, processed, reports, restricted = _folders(
            s, raw_dir, processed_dir, reports_dir, restricted_dir
        )
        if year is None:
            years = paths.available_years(raw)
            if not years:
                raise IroAnalysisError(
                    f"no year folders in {raw}: run `make data` for the demo council, "
                    "or set `paths.raw` in the settings file"
                )
            year = years[-1]
        year = check_year(year)
        return cls(
            year=year,
            raw_dir=raw,
            processed_dir=processed,
            reports_dir=reports,
            restricted_dir=restricted,
            staging_dir=paths.scratch_dir(reports) / str(year),
            restricted_staging_dir=restricted / paths.SCRATCH / str(year),
            narrative_path=paths.NARRATIVE_DIR / f"{year}.md",
            settings_path=settings_path,
            settings_sha256=_sha256(settings_path),
            analyst=True,
        )

    def for_year(self, year: int, tag: str | None = None) -> Run:
        """The same build for another year (`make reports`): its own staging folders and
        narrative (`pipeline.door.run_for_year` checks it); the folders and settings are
        shared, and of the input hashes those of the year folders up to `year` (what its
        clean data read)."""
        year = check_year(year)
        if not paths.raw_year_dir(year, self.raw_dir).is_dir():
            raise IroAnalysisError(f"no raw data for {year} in {self.raw_dir}")
        narrative = self.narrative_path.with_name(f"{year}.md")
        tag = tag or f"{year}-{os.getpid()}"
        return dataclasses.replace(
            self,
            year=year,
            staging_dir=self.reports_dir / f".build-{tag}" / str(year),
            restricted_staging_dir=self.restricted_dir / f".build-{tag}" / str(year),
            narrative_path=narrative,
            validate_years=(),
            inputs=tuple(i for i in self.inputs if _folder_year(i[0]) <= year),
        )

    def to_dict(self) -> dict[str, object]:
        d = dataclasses.asdict(self)
        for k in _PATH_FIELDS:
            d[k] = str(d[k])
        d["inputs"] = [list(pair) for pair in self.inputs]
        d["validate_years"] = list(self.validate_years)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Run:
        names = {f.name for f in dataclasses.fields(cls)}
        if set(d) != names:
            raise IroAnalysisError(
                f"not a Run: fields {sorted(set(d) ^ names)} differ; rebuild with `make report`"
            )
        kw = dict(d)
        for k in _PATH_FIELDS:
            kw[k] = Path(str(kw[k]))
        kw["inputs"] = tuple((str(a), str(b)) for a, b in kw["inputs"])  # type: ignore[union-attr]
        kw["validate_years"] = tuple(int(y) for y in kw["validate_years"])  # type: ignore[union-attr]
        return cls(**kw)  # type: ignore[arg-type]

    def write(self, path: Path | None = None) -> Path:
        """Write the Run as sorted JSON (default `<restricted staging root>/run.json`)."""
        path = Path(path or self.restricted_staging_root / RUN_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, path: Path | str) -> Run:
        """Read a Run written by `write` (a relative path is taken from the working folder)."""
        path = Path(path)
        if not path.is_file():
            raise IroAnalysisError(
                f"no run file at {path.resolve()}: run the build, or set run_path = None"
            )
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _folders(s: Settings, *given: Path | None) -> tuple[Path, Path, Path, Path]:
    """The raw, processed, reports and restricted folders: each one given, else the
    settings file's."""
    defaults = (s.paths.raw, s.paths.processed, s.paths.reports, s.paths.restricted)
    return tuple(Path(g or d) for g, d in zip(given, defaults, strict=True))  # type: ignore[return-value]


def _sha256(path: Path) -> str:
    return sha256_file(path)


def _settings(path: Path, sha256: str) -> Settings:
    """The settings, read once per process; the file must still be the one the Run hashed."""
    if not path.is_file() or _sha256(path) != sha256:
        raise SettingsError(
            f"the settings file {path} changed (or went) during the build: build again"
        )
    return _load_settings(path, sha256)


@functools.lru_cache(maxsize=4)
def _load_settings(path: Path, sha256: str) -> Settings:
    return load_settings(path)


def _folder_year(path: str) -> int:
    """The year folder of an input's path under the raw folder ("2022/iro/a.csv" -> 2022)."""
    return int(path.split("/", 1)[0])
