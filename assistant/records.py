"""The index's records as typed objects: the one adapter between Chroma metadata and the
assistant, so no raw metadata dict travels further."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.store import Row


@dataclass(frozen=True)
class ResolutionRecord:
    """A decision or proposal the index holds (see ``ingest.models.Resolution``)."""

    resolution_id: str
    doc_id: str
    section_id: str
    kind: str
    """``decision`` or ``proposal``."""
    text: str
    meeting_date: str | None
    minute_item: str | None
    page: int
    locator: str
    mover: str | None = None
    seconder: str | None = None
    vote: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> ResolutionRecord:
        m = row.metadata
        return cls(
            resolution_id=row.id,
            doc_id=str(m.get("doc_id", "")),
            section_id=str(m.get("section_id", "")),
            kind=str(m.get("kind", "decision")),
            text=row.text,
            meeting_date=m.get("meeting_date"),
            minute_item=m.get("minute_item"),
            page=int(m.get("page", 0)),
            locator=str(m.get("locator", "")),
            mover=m.get("mover"),
            seconder=m.get("seconder"),
            vote=m.get("vote"),
        )
