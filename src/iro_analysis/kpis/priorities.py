"""Progress against last year's priorities, read from this year's narrative.

The narrative (reports/narrative/<YEAR>.md, see reports/narrative/README.md) may hold a
section headed "Progress against last year's priorities" (any heading level, case and
apostrophe style free). Each list item in it states one of last year's priorities and
starts with its status, one of:

    - Met: <the priority and what was done>
    - Partly met: <...>
    - Not met: <...>

(the status may be bold, e.g. `- **Met:** ...`; bullets `-`, `*`, `+` or numbers `1.`).
An item's continuation lines (indented, or straight after it) belong to it; prose before,
between or after the items is allowed; the section ends at the next heading of the same or
a higher level. A list item without one of the three statuses is an error
(`PrioritiesError`), never silently left out. `parse_progress` reads the items (the report
uses it too); `priorities_met` counts the Met ones.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.text import read_narrative
from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import FAMILY_PROGRESS, area_frame, kpi

PROGRESS_HEADING = "Progress against last year's priorities"
STATUSES = ("Met", "Partly met", "Not met")
SOURCE_PROGRESS = (
    "The IRO service's annual report narrative (reports/narrative/<YEAR>.md), section "
    "'Progress against last year's priorities'"
)

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^( {0,3})(?:[-*+]|\d{1,9}[.)])\s+(.*)$")
_STATUS = re.compile(
    r"^(?:\*\*|__)?(met|partly met|not met)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


class PrioritiesError(IroAnalysisError, ValueError):
    """A list item in the progress section that does not start with a status."""


def _norm(title: str) -> str:
    t = title.replace("\u2019", "'").replace("\u2018", "'").rstrip(":").strip()
    return " ".join(t.split()).lower()


def progress_section(markdown_text: str) -> list[str] | None:
    """The lines of the "Progress against last year's priorities" section (without its
    heading), or None when the narrative has no such section."""
    lines = markdown_text.splitlines()
    level = None
    out: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if level is None:
            if m and _norm(m.group(2)) == _norm(PROGRESS_HEADING):
                level = len(m.group(1))
            continue
        if m and len(m.group(1)) <= level:
            break
        out.append(line)
    return None if level is None else out


def parse_progress(markdown_text: str) -> list[tuple[str, str]]:
    """(status, text) of each list item of the narrative's "Progress against last year's
    priorities" section, in order; status is "Met", "Partly met" or "Not met" and text the
    rest of the item (continuation lines joined with spaces). [] when the section is absent
    or has no items. Raises PrioritiesError for an item without a status."""
    lines = progress_section(markdown_text)
    if not lines:
        return []
    items: list[list[str]] = []
    current: list[str] | None = None
    blank = False
    for line in lines:
        if not line.strip():
            blank = True
            continue
        m = _ITEM.match(line)
        if m:
            current = [m.group(2).strip()]
            items.append(current)
        elif current is not None and (line.startswith((" ", "\t")) or not blank):
            current.append(line.strip())  # continuation of the item
        else:
            current = None  # prose between or after the items
        blank = False
    out: list[tuple[str, str]] = []
    for parts in items:
        text = " ".join(parts)
        s = _STATUS.match(text)
        if not s:
            raise PrioritiesError(
                f"the narrative's {PROGRESS_HEADING!r} section has an item that does not "
                f"start with 'Met:', 'Partly met:' or 'Not met:': {text[:80]!r}"
            )
        status = next(x for x in STATUSES if x.lower() == s.group(1).lower())
        out.append((status, s.group(2).strip()))
    return out


@kpi(
    "priorities_met",
    title="Last year's priorities met",
    family=FAMILY_PROGRESS,
    section="progress",
    direction=True,
    unit="count",
    source=SOURCE_PROGRESS,
    inputs=("narrative",),
)
def priorities_met(ctx: KpiContext) -> int | None:
    """Of last year's priorities, those marked met in this year's narrative: the list
    items of its section "Progress against last year's priorities" that start with "Met:"
    (an item starts with "Met:", "Partly met:" or "Not met:"; partly met is not met).
    The narrative is reports/narrative/<YEAR>.md unless another is given. Not produced when
    the narrative or the section is absent; 0 when the section lists no item met."""
    text = read_narrative(ctx.narrative_path)
    if progress_section(text) is None:
        return None
    return sum(1 for status, _ in parse_progress(text) if status == "Met")


def narrative_read(path: Path) -> str:
    """Everything the KPIs read of a year's narrative, as text: whether the file exists
    (`KpiContext.has("narrative")`) and the lines of its progress section (`priorities_met`,
    the only KPI that reads it). The KPI cache keys a year's KPIs on this, not on the whole
    file, so an edit of the prose elsewhere does not compute them again (issue #31). A KPI
    that reads more of the narrative must add it here."""
    path = Path(path)
    if not path.is_file():
        return "no narrative"
    lines = progress_section(read_narrative(path))
    return "no progress section" if lines is None else "progress section\n" + "\n".join(lines)


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
