"""The glossary entries the index holds (glossary pages and inline "Long Name (LN)" definitions),
used to expand the acronyms of a question before the search, so "what is the MTFS?" also
searches for "Medium Term Financial Strategy"."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.question import read_question
from ingest.store import Index


@dataclass(frozen=True)
class GlossaryRecord:
    term: str
    expansion: str
    doc_id: str
    page: int
    source: str
    """``glossary`` (a glossary page) or ``inline``."""


class Glossary:
    """All glossary entries of the index, by upper-cased term (loaded once)."""

    def __init__(self, index: Index) -> None:
        entries: dict[str, list[GlossaryRecord]] = {}
        for row in index.records("glossary"):
            m = row.metadata
            record = GlossaryRecord(
                str(m["term"]), str(m["expansion"]), str(m.get("doc_id", "")), int(m.get("page", 0)),
                str(m.get("source", "")),
            )  # fmt: skip
            entries.setdefault(record.term.upper(), []).append(record)
        for records in entries.values():  # glossary pages before inline definitions; then in page order
            records.sort(key=lambda r: (r.source != "glossary", r.page))
        self.entries = entries

    def lookup(self, term: str) -> list[GlossaryRecord]:
        return self.entries.get(term.upper().rstrip("S"), []) or self.entries.get(term.upper(), [])

    def expand(self, text: str) -> str:
        """The text with the expansion of each defined acronym added, for retrieval."""
        additions = sorted({rows[0].expansion for a in read_question(text).acronyms if (rows := self.lookup(a))})
        return f"{text} ({'; '.join(additions)})" if additions else text
