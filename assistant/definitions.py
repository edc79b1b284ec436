""" "What does X stand for?": answered from the glossary entries parsed at ingest, quoting the
expansion and citing the passage that defines it; an acronym the papers never define gets
"the papers don't define it", with where it is used."""

from __future__ import annotations

import re

from assistant.answer import Answer
from assistant.retrieval import Passage, Retrieval
from ingest.store import Index, Row

RELATED_USES = 3
NOT_DEFINED = "The papers do not define {term}."
USED_IN = "It is used in the passages listed as related reading."


class Glossary:
    """All glossary entries of the index, by upper-cased term (loaded once, reloaded on demand)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.entries: dict[str, list[Row]] = {}
        self.reload()

    def reload(self) -> None:
        entries: dict[str, list[Row]] = {}
        for row in self.index.records("glossary"):
            entries.setdefault(row.metadata["term"].upper(), []).append(row)
        # Glossary pages before inline definitions; then in page order.
        for rows in entries.values():
            rows.sort(key=lambda r: (r.metadata.get("source") != "glossary", r.metadata.get("page", 0)))
        self.entries = entries

    def lookup(self, term: str) -> list[Row]:
        return self.entries.get(term.upper().rstrip("S"), []) or self.entries.get(term.upper(), [])

    def expand(self, text: str) -> str:
        """The text with the expansion of each defined acronym added after it, for retrieval."""
        additions = []
        for token in set(re.findall(r"\b[A-Z][A-Za-z0-9&]*[A-Z][A-Za-z0-9&]*\b", text)):
            rows = self.lookup(token)
            if rows:
                additions.append(rows[0].metadata["expansion"])
        return f"{text} ({'; '.join(sorted(additions))})" if additions else text


def answer_definition(index: Index, glossary: Glossary, term: str, question: str, retrieval: Retrieval) -> Answer:
    rows = glossary.lookup(term)
    if not rows:
        uses = [p for p in retrieval.passages if re.search(rf"\b{re.escape(term)}\b", p.text)]
        text = NOT_DEFINED.format(term=term) + (f" {USED_IN}" if uses else "")
        return Answer(
            question, text, True, [], retrieval.passages, related=uses[:RELATED_USES] or retrieval.passages[:1]
        )
    citations: list[Passage] = []
    parts: list[str] = []
    quotes: list[tuple[str, int]] = []
    seen: set[str] = set()
    for row in rows:
        expansion = row.metadata["expansion"]
        if expansion.lower() in seen:
            continue
        seen.add(expansion.lower())
        passage = _defining_passage(index, row, term)
        if passage is None:
            continue
        if passage.chunk_id not in {c.chunk_id for c in citations}:
            citations.append(passage)
        n = next(i for i, c in enumerate(citations, start=1) if c.chunk_id == passage.chunk_id)
        parts.append(f"{row.metadata['term']}: “{expansion}” [{n}]")
        quotes.append((expansion, n))
    if not parts:
        return Answer(
            question,
            NOT_DEFINED.format(term=term),
            True,
            [],
            retrieval.passages,
            related=retrieval.passages[:RELATED_USES],
        )
    return Answer(question, "; ".join(parts), False, citations, retrieval.passages, quotes=quotes)


def _defining_passage(index: Index, row: Row, term: str) -> Passage | None:
    """The stored chunk, on the entry's page, that holds both the term and its expansion."""
    page = int(row.metadata.get("page", 0))
    chunks = index.get("chunks", where={"doc_id": row.metadata["doc_id"]})
    on_page = [c for c in chunks if int(c.metadata.get("page_start", 0)) <= page <= int(c.metadata.get("page_end", 0))]
    expansion = " ".join(row.metadata["expansion"].split()[:4]).lower()
    for chunk in on_page or chunks:
        flat = " ".join(chunk.text.split()).lower()
        if term.lower() in flat and expansion in flat:
            return Passage.from_row(chunk, 1.0)
    return None
