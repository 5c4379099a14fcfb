"""Find a year folder's returns by what they hold, not by what they are called.

Councils' systems name files their own way (`Reviews.csv`, `SSDA903_2020_episodes.csv`,
`2021-header.csv`). As DfE's 903 validator does, a CSV in `ssda903/` (or `iro/`) is matched
to its table by its columns: it is that table when its header holds every column the
year's contract requires (`iro_analysis.contract`). The SSDA903 may instead arrive as one
XML file (root `EXPSSDA903`) in `ssda903/`; the CIN census is the XML file at the top of
the folder whose root is `Message`.

- A file that matches no table is "present but not read" (listed, never an error), unless
  its name or most of its distinctive columns say which table it was meant to be: then it
  is that table and the reader refuses it naming the missing columns.
- Two files for one table, or the 903 as XML and as CSVs, is an error naming both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iro_analysis.contract import load_contract
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.contract import ssd as S
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.read import read_csv_header
from iro_analysis.ingest.xml_root import root_element

SSDA903_XML = "ssda903_xml"
CIN_CENSUS = "cin_census"
SSDA903_XML_ROOT = "EXPSSDA903"
CIN_ROOT = "Message"
# Columns every 903 table carries; they say nothing about which table a file is.
IDENTIFYING = frozenset({"child", "dob", "child_id"})
# Files the project itself puts in a year folder (never data to read).
IGNORED = frozenset({Q.FAULT_MANIFEST, "readme.md", "readme.txt"})


@dataclass
class YearFiles:
    """What one year folder holds: the file for each table, and what was not read."""

    year_dir: Path
    csvs: dict[str, Path] = field(default_factory=dict)  # RAW_CSVS name -> file
    ssd: dict[str, Path] = field(default_factory=dict)  # SSD table name -> file (ssd/)
    ssda903_xml: Path | None = None
    cin_census: Path | None = None
    unread: list[tuple[str, str]] = field(default_factory=list)  # (path in folder, why)

    def relpath(self, path: Path) -> str:
        return path.relative_to(self.year_dir).as_posix()

    def path_of(self, input_name: str) -> Path | None:
        """The file that supplied `input_name` (a `schema.SUPPLIED_INPUTS` name), or None."""
        if input_name == CIN_CENSUS:
            return self.cin_census
        if input_name in R.SSDA903_TABLES and self.ssda903_xml is not None:
            return self.ssda903_xml
        if input_name == "meetings" and S.CLA_REVIEWS.name in self.ssd:
            return self.ssd[S.CLA_REVIEWS.name]  # with the other SSD meeting tables
        if input_name == "meeting_details" and "meetings" in self.csvs:
            return self.csvs["meetings"]  # native meetings carry their details
        return self.csvs.get(input_name)


def required_columns(table: str, year: int) -> tuple[str, ...]:
    """Columns a file must have to be read as `table` in collection year `year`."""
    if table in R.SSDA903_TABLES:
        return load_contract(year).tables[table].required_columns
    return R.RAW_CSVS[table].columns


def match_csv(path: Path, folder: str, year: int) -> str | None:
    """The table a CSV in `folder` ("ssda903" or "iro") holds, or None if it is none of them."""
    names = {n.lower() for n in read_csv_header(path)}
    tables = [t for t, spec in R.RAW_CSVS.items() if spec.source == folder]
    full = [t for t in tables if {c.lower() for c in required_columns(t, year)} <= names]
    if len(full) > 1:
        overlap = {t: len(names & {c.lower() for c in R.RAW_CSVS[t].columns}) for t in full}
        best = max(overlap.values())
        full = [t for t in full if overlap[t] == best]
        if len(full) > 1:
            raise InputError(f"{path}: its columns fit the tables {' and '.join(full)} equally")
    if full:
        return full[0]
    stem = path.stem.lower()
    for t in tables:
        distinctive = {c.lower() for c in required_columns(t, year)} - IDENTIFYING
        if t in stem or (distinctive and len(names & distinctive) * 2 > len(distinctive)):
            return t  # meant as this table: the reader names its missing columns
    return None


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` but hidden and project files. A symbolic link (the folder,
    a folder in it or a file, wherever it points) is refused before any file is opened,
    never skipped (`paths.raw_files`): raw data is copied in, so what was read is what is
    hashed and kept, and nothing outside the raw folder is ever read."""
    return [
        p
        for p in paths.raw_files(folder)
        if not p.name.startswith(".") and p.name.lower() not in IGNORED
    ]


def _xml_root(path: Path) -> str:
    """The root element's local name; an XML file that cannot be read at all is an error."""
    return root_element(path, "an SSDA903 <EXPSSDA903> or CIN census <Message> XML file")[0]


def discover_year(year_dir: Path, year: int) -> YearFiles:
    """Find every return in one year folder (see the module docstring for the rules)."""
    found = YearFiles(year_dir)
    sources = {"ssda903": "ssda903", "iro": "iro"}
    for path in _files(year_dir):
        rel = found.relpath(path)
        parts = rel.split("/")
        folder = sources.get(parts[0].lower()) if len(parts) == 2 else None
        suffix = path.suffix.lower()
        if len(parts) == 1 and suffix == ".xml" and _xml_root(path) == CIN_ROOT:
            if found.cin_census is not None:
                raise InputError(
                    f"two CIN census files in {year_dir}: {found.relpath(found.cin_census)} "
                    f"and {rel}; keep one"
                )
            found.cin_census = path
        elif folder == "ssda903" and suffix == ".xml" and _xml_root(path) == SSDA903_XML_ROOT:
            if found.ssda903_xml is not None:
                raise InputError(
                    f"two SSDA903 XML files in {year_dir}: "
                    f"{found.relpath(found.ssda903_xml)} and {rel}; keep one"
                )
            found.ssda903_xml = path
        elif len(parts) == 2 and parts[0].lower() == S.SSD_DIR:
            name = path.stem.lower()
            if suffix == ".csv" and name in S.SSD_TABLES:
                if name in found.ssd:
                    raise InputError(
                        f"two files hold the SSD table {name} in {year_dir}: "
                        f"{found.relpath(found.ssd[name])} and {rel}; keep one"
                    )
                found.ssd[name] = path
            else:
                found.unread.append(
                    (rel, f"not an SSD table the project reads ({', '.join(S.SSD_TABLES)})")
                )
        elif folder is not None and suffix == ".csv":
            table = match_csv(path, folder, year)
            if table is None:
                _refuse_misplaced(path, rel, year_dir, year)
                kind = "SSDA903" if folder == "ssda903" else "IRO extract"
                found.unread.append((rel, f"its columns match no {kind} table"))
            elif table in found.csvs:
                raise InputError(
                    f"two files hold the {table} table in {year_dir}: "
                    f"{found.relpath(found.csvs[table])} and {rel}; keep one"
                )
            else:
                found.csvs[table] = path
        else:
            _refuse_misplaced(path, rel, year_dir, year)
            found.unread.append((rel, _why_unread(parts, suffix)))
    if found.ssda903_xml is not None:
        both = [found.relpath(found.csvs[t]) for t in R.SSDA903_TABLES if t in found.csvs]
        if both:
            raise InputError(
                f"the SSDA903 return for {year} is in {year_dir} both as XML "
                f"({found.relpath(found.ssda903_xml)}) and as CSV ({', '.join(both)}); "
                "keep one form"
            )
    return found


def _refuse_misplaced(path: Path, rel: str, year_dir: Path, year: int) -> None:
    """A file not read where it lies, but which is a return the project reads elsewhere
    (its columns, name or XML root say so), stops the build saying where it belongs: a core
    return left at the top of the year folder must never read as "not supplied"."""
    suffix, where = path.suffix.lower(), None
    if suffix == ".xml":
        try:
            root = _xml_root(path)
        except InputError:
            return  # an XML file that cannot be read is listed as not read
        where = {SSDA903_XML_ROOT: "ssda903/", CIN_ROOT: "the top of the year folder"}.get(root)
        what = "the SSDA903 return" if root == SSDA903_XML_ROOT else "the CIN census"
    elif suffix == ".csv":
        for folder in ("ssda903", "iro"):
            table = match_csv(path, folder, year)
            if table is not None:
                where, what = f"{folder}/", f"the {table} table"
                break
    if where is None:
        return
    target = f"{year_dir.name}/{where}" if where.endswith("/") else where
    raise InputError(
        f"{year_dir / rel} holds {what} but lies where the project does not read it: "
        f"move it into {target}"
    )


def _why_unread(parts: list[str], suffix: str) -> str:
    if len(parts) == 1 and suffix == ".xml":
        return "an XML file that is not a CIN census (root element is not <Message>)"
    if len(parts) == 1:
        return "not a return the project reads (the CIN census is an XML file here)"
    if parts[0].lower() == "ssda903" and suffix == ".xml":
        return f"an XML file that is not an SSDA903 return (root is not <{SSDA903_XML_ROOT}>)"
    if len(parts) == 2 and parts[0].lower() in ("ssda903", "iro"):
        return "not a CSV file"
    return "not in a folder the project reads (ssda903/, iro/ or ssd/)"
