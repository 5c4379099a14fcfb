"""The IRO Handbook's annual-report contents (2010, chapter 7) that only the service can
write: training and registration of IROs, quality assurance of their practice, inspection
findings, how children shaped the service, the service's other work and its priorities
for next year. The catalogue marks them (`Section.narrative`); the report always lays them
out, each filled by the narrative's section of the same title.

A section the year's narrative does not fill shows a neutral line (never an instruction or
a file name); the build log names it (`UnwrittenSectionWarning`, printed by the build as
the front sheet's warnings are) and the technical annex lists it ("Narrative sections not
written this year"). A year with no narrative at all is a draft (`ReportContext.draft`).
"""

from __future__ import annotations

import warnings

from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.catalogue import NARRATIVE_SECTIONS, Section
from iro_analysis.report.context import ReportContext


class UnwrittenSectionWarning(UserWarning):
    """A narrative section of the report that the year's narrative does not fill."""


def not_written_line(ctx: ReportContext) -> str:
    """What the report shows in a narrative section the year's narrative does not fill."""
    return f"The IRO service has not reported on this for {ctx.year.label}."


def unwritten_sections(ctx: ReportContext) -> list[Section]:
    """The narrative sections (catalogue order) the year's narrative leaves empty."""
    return [s for s in NARRATIVE_SECTIONS if not (ctx.narrative.get(s.title) or "").strip()]


def warn_unwritten(ctx: ReportContext) -> None:
    """One UnwrittenSectionWarning naming every narrative section not written (none: none)."""
    missing = unwritten_sections(ctx)
    if missing:
        titles = "; ".join(f"'{s.title}'" for s in missing)
        warnings.warn(
            f"{ctx.year.label}: narrative sections not written: {titles}",
            UnwrittenSectionWarning,
            stacklevel=2,
        )


def unwritten_note(ctx: ReportContext) -> Markup:
    """The technical annex's short list of the narrative sections not written this year."""
    missing = unwritten_sections(ctx)
    parts = [html.subheading("Narrative sections not written this year")]
    if not missing:
        parts.append(html.paragraph(f"Every narrative section was written for {ctx.year.label}."))
    else:
        parts.append(
            html.paragraph(
                f"These sections of the report have no commentary from the IRO service for "
                f"{ctx.year.label}; the report says so in each."
            )
        )
        parts.append(html.bullet_list([s.title for s in missing]))
    return html.join(parts)


def narrative_body(ctx: ReportContext, section: Section) -> Markup:
    """A narrative section's own body: nothing when written (the commentary is its text),
    else the neutral line."""
    if (ctx.narrative.get(section.title) or "").strip():
        return Markup()
    return html.paragraph(not_written_line(ctx))
