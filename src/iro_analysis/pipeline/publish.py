"""Publishing a staged build: the allow-list, atomic swaps, stale staging."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from iro_analysis.core.errors import BuildError
from iro_analysis.core.paths import document_filenames

# What `reports/<YEAR>/` may hold: the report, aggregates and metadata, nothing about a
# child. Patterns (fnmatch, "*" within one folder) of paths relative to the year folder;
# `publish_folder` refuses a staged file, link or folder that matches none. Child-level and
# analyst-only outputs (executed notebooks, exact KPIs, full validation results, Data
# Docs) go to `restricted/<YEAR>/` instead.
PUBLISHED = (
    "iro-annual-report-[0-9][0-9][0-9][0-9]-[0-9][0-9].html",
    "iro-annual-report-[0-9][0-9][0-9][0-9]-[0-9][0-9].pdf",
    "iro-technical-annex-[0-9][0-9][0-9][0-9]-[0-9][0-9].html",
    "iro-technical-annex-[0-9][0-9][0-9][0-9]-[0-9][0-9].pdf",
    "kpis.csv",  # per-code KPIs the report shows as c are c (exact: restricted/<YEAR>/)
    "kpis.xlsx",  # the same; its "All years" sheet leaves per-code KPIs out
    "manifest.json",
    "validation.json",
    "data-quality.html",
    "screenshots/*.png",  # `iro-analysis check`: pictures of the published report
)
# What `reports/trends/` may hold (its executed notebook goes to `restricted/trends/`).
PUBLISHED_TRENDS = ("iro-trends.html",)


def _on_list(rel: str, allowed: tuple[str, ...]) -> bool:
    return any(
        rel.count("/") == pat.count("/") and fnmatch.fnmatchcase(rel, pat) for pat in allowed
    )


def unpublishable(folder: Path, allowed: tuple[str, ...]) -> list[str]:
    """Paths under `folder` (relative, "/"-separated) that `allowed` does not let through:
    files matching no pattern, folders no pattern lies in, and every link or special file."""
    bad = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            bad.append(rel)
        elif path.is_dir():
            if not any(pat.startswith(rel + "/") for pat in allowed):
                bad.append(rel + "/")
        elif not _on_list(rel, allowed):
            bad.append(rel)
    return bad


def publish_folder(staging: Path, final: Path, allowed: tuple[str, ...] | None) -> None:
    """Swap the staging folder into place; the old report is removed only after the swap.

    `allowed` is the allow-list of a public folder (`PUBLISHED`): anything staged that is
    not on it is refused, naming it, before anything changes. None for a restricted folder.
    """
    if allowed is not None:
        bad = unpublishable(staging, allowed)
        if bad:
            raise BuildError(
                f"refused to publish {final}: {', '.join(bad)} "
                f"{'is' if len(bad) == 1 else 'are'} not on the list of what may be published "
                f"({', '.join(allowed)}); child-level or analyst-only outputs belong in the "
                "restricted folder"
            )
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        final.rename(old)
    try:
        staging.rename(final)
    except BaseException:
        if old.exists() and not final.exists():
            old.rename(final)  # put the previous report back
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


# Folders a build leaves in reports/ and restricted/ while it runs, each named with its
# process id: `.build-<YEAR>-<pid>` and `.build-trends-<pid>` (staging), `.old-<name>-<pid>`
# (the previous folder during the swap in `publish_folder`).
_STAGING_NAME = re.compile(r"^\.(?:build-.+|old-(?P<old>.+))-(?P<pid>\d+)$")


def _owner_alive(pid: int, folder: Path) -> bool:
    """Whether the process that made `folder` may still be running (when unsure: yes).

    A process with that id which started after the folder was last changed is not its
    owner: the id has been reused. (Two minutes' grace allows for a file server's clock.)
    """
    import psutil

    if pid == os.getpid():
        return True
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except (psutil.Error, OSError):
        return True
    try:
        changed = folder.stat().st_mtime
    except OSError:
        return True
    return started <= changed + 120.0


def clean_stale_staging(reports_dir: Path, log=print) -> list[Path]:
    """Remove the staging folders of builds that are no longer running (killed or crashed).

    Folders of running builds are left alone. A `.old-<name>-<pid>` folder whose build
    died between the two renames of `publish_folder` is the only copy of the previous report:
    it is put back when `<name>` is missing. Returns the folders removed or restored.
    """
    done: list[Path] = []
    if not reports_dir.is_dir():
        return done
    for folder in sorted(reports_dir.iterdir()):
        m = _STAGING_NAME.match(folder.name)
        if not m or not folder.is_dir() or _owner_alive(int(m["pid"]), folder):
            continue
        target = reports_dir / m["old"] if m["old"] else None
        try:
            if target is not None and not target.exists():
                folder.rename(target)
                log(f"restored {target} from an interrupted build's {folder.name}")
            else:
                shutil.rmtree(folder)
                log(f"removed {folder}, left by a build that is no longer running")
        except OSError as exc:  # another build got there first, or it cannot be removed
            if folder.exists():
                log(f"could not remove {folder}: {exc.strerror or exc}")
                continue
        done.append(folder)
    return done


def _link_or_copy(src: Path | str, dst: Path | str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def carry_over(
    final: Path, staging: Path, owned: Mapping[str, Callable[[str], bool]] | None = None
) -> list[str]:
    """Hard-link into `staging` whatever `final` holds at its top level that the build did
    not make (an analyst's own files), so that publishing a restricted folder replaces only
    the build's own outputs. A folder named in `owned` is merged, file by file:
    its files the build did not make anew and does not own (`owned[name](file name)` is
    False: the exception lists taken at another date than the build's) are carried into
    the build's folder. Returns the names carried over (`folder/file` for a merged folder)."""
    kept: list[str] = []
    if not final.is_dir():
        return kept
    owned = owned or {}
    for item in sorted(final.iterdir()):
        target = staging / item.name
        if item.name in owned and item.is_dir() and not item.is_symlink():
            built = owned[item.name]
            for sub in sorted(item.iterdir()):
                dst = target / sub.name
                if (
                    sub.is_file()
                    and not sub.is_symlink()
                    and not dst.exists()
                    and not built(sub.name)
                ):
                    target.mkdir(exist_ok=True)
                    _link_or_copy(sub, dst)
                    kept.append(f"{item.name}/{sub.name}")
            continue
        if target.exists() or target.is_symlink():
            continue  # the build made it anew
        if item.is_symlink():
            os.symlink(os.readlink(item), target)
        elif item.is_dir():
            shutil.copytree(item, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(item, target)
        kept.append(item.name)
    return kept


def keep_pdf_if_current(final: Path, staging: Path, year: int, log) -> None:
    """A build without --pdf: keep each published PDF (the report's, the annex's) only if
    it still matches its HTML.

    A PDF is printed from its HTML alone (images are embedded), so it is current exactly
    when the new HTML is byte-identical to the HTML it was printed from. Otherwise it is
    not carried over (publishing then removes it) and the log says so: a plain build does
    not need Chromium, so it does not print a new one.
    """
    for name, what, doc in zip(
        document_filenames(year),
        ("the PDF", "the annex's PDF"),
        ("the report", "the annex"),
        strict=True,
    ):
        old_pdf = (final / name).with_suffix(".pdf")
        if not old_pdf.is_file():
            continue
        old_html, new_html = final / name, staging / name
        if (
            new_html.is_file()
            and old_html.is_file()
            and old_html.read_bytes() == new_html.read_bytes()
        ):
            try:
                os.link(old_pdf, staging / old_pdf.name)
            except OSError:
                shutil.copy2(old_pdf, staging / old_pdf.name)
            log(f"[{year}] {what} is still current ({doc} did not change) and was kept")
        else:
            log(
                f"[{year}] {what} was out of date and was removed; rebuild with FORMAT=pdf "
                f"(make report YEAR={year} FORMAT=pdf, or iro-analysis report --year {year} --pdf)"
            )
