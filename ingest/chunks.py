"""Sections → chunks (the embedded, cited unit) and their sentences (the quoted unit).

A chunk never crosses a section; it is cut at sentence ends to stay under the
embedding model's window. What is embedded carries the document and section title
so a passage about "the fund" still knows it belongs to the budget strategy; what
is stored and cited is the document's own text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.models import Chunk, Document, Section
from ingest.text import join_lines, split_sentences, typical_width

EMBED_TEMPLATE_ID = "ctx-v1"
"""Names the embedding templates below; part of every content hash, so changing them re-embeds."""
CHUNK_TEMPLATE = "{doc_title} — {section_title}\n{text}"
SENTENCE_TEMPLATE = "{section_title}: {text}"
RENDERED_KINDS = ("action",)
"""Sections whose text is rendered from table cells, one field a line."""
MIN_SENTENCE_WORDS = 3
"""Shorter "sentences" (a bare heading, "December 2023") are not stored as answer candidates."""
COPY_MIN_WORDS = 12
"""Passages shorter than this ("RESOLVED that the report be noted.") are kept wherever they are
printed, even when another document prints the same words: short stock phrases say different
things in different meetings."""


@dataclass
class SentenceUnit:
    """One sentence of a chunk, embedded on its own so answers can quote the best sentences."""

    sentence_id: str
    chunk_id: str
    doc_id: str
    text: str
    embed_text: str
    page: int
    ordinal: int
    """Position of the sentence within its chunk, from 0."""
    content_hash: str


def content_hash(model_id: str, embed_text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{EMBED_TEMPLATE_ID}\0{embed_text}".encode()).hexdigest()


def passage_hash(text: str) -> str:
    """Identity of a passage as cited: its words, white space folded, whatever the titles of its
    document and section (a pack and the standalone file title the same report differently).
    ``""`` for a passage shorter than :data:`COPY_MIN_WORDS`, which is never treated as a copy."""
    folded = " ".join(text.split())
    if len(folded.split()) < COPY_MIN_WORDS:
        return ""
    return hashlib.sha256(folded.encode()).hexdigest()


def chunk_document(
    doc: Document, sections: Sequence[Section], model_id: str, max_words: int, overlap_words: int
) -> tuple[list[Chunk], list[SentenceUnit]]:
    """All chunks and sentences of one document, in reading order."""
    chunks: list[Chunk] = []
    sentences: list[SentenceUnit] = []
    width = typical_width([ln.text for ln in doc.lines])
    for section in sections:
        if not section.lines:
            continue
        # Rendered table rows are one logical line each: measure them against their own width.
        section_width = max(width, typical_width([ln.text for ln in section.lines]))
        text, offsets = join_lines(
            [ln.text for ln in section.lines], section_width, hard_breaks=section.kind in RENDERED_KINDS
        )

        def page_at(pos: int, _offsets: list[int] = offsets, _section: Section = section) -> int:
            idx = max(i for i, off in enumerate(_offsets) if off <= pos)
            return _section.lines[idx].page

        heading_end = offsets[min(len(offsets) - 1, int(section.extra.get("heading_lines", "1")))]
        for k, (start, end, spans) in enumerate(_pack(text, split_sentences(text), max_words, overlap_words)):
            chunk_text = text[start:end].strip()
            embed = CHUNK_TEMPLATE.format(doc_title=doc.title, section_title=section.title, text=chunk_text)
            chunk = Chunk(
                chunk_id=f"{section.section_id}/c{k}",
                doc_id=doc.doc_id,
                section_id=section.section_id,
                text=chunk_text,
                embed_text=embed,
                page_start=page_at(start),
                page_end=page_at(max(start, end - 1)),
                locator=section.locator,
                content_hash=content_hash(model_id, embed),
                ordinal=len(chunks),
            )
            chunks.append(chunk)
            for j, (s, e) in enumerate(_sentence_spans(text, spans, heading_end, section.kind == "action")):
                sentence = " ".join(text[s:e].split())
                s_embed = SENTENCE_TEMPLATE.format(section_title=section.title, text=sentence)
                sentences.append(
                    SentenceUnit(
                        sentence_id=f"{chunk.chunk_id}/s{j}",
                        chunk_id=chunk.chunk_id,
                        doc_id=doc.doc_id,
                        text=sentence,
                        embed_text=s_embed,
                        page=page_at(s),
                        ordinal=j,
                        content_hash=content_hash(model_id, s_embed),
                    )
                )
    return chunks, sentences


def _sentence_spans(
    text: str, spans: list[tuple[int, int]], heading_end: int, keep_heading: bool
) -> list[tuple[int, int]]:
    """The spans worth quoting: headings left out, and runs of short fragments ("Fiona Taylor" /
    "Chief Executive") joined until they make a unit of ``MIN_SENTENCE_WORDS``; a short fragment
    before a full sentence is dropped."""
    out: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for s, e in spans:
        if e <= heading_end and not keep_heading:
            continue
        if len(text[s:e].split()) >= MIN_SENTENCE_WORDS:
            pending = None
            out.append((s, e))
            continue
        pending = (pending[0], e) if pending else (s, e)
        if len(text[pending[0] : pending[1]].split()) >= MIN_SENTENCE_WORDS:
            out.append(pending)
            pending = None
    return out


def _pack(
    text: str, spans: list[tuple[int, int]], max_words: int, overlap_words: int
) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Group sentence spans into chunks of at most ``max_words``; a longer sentence is cut by words.
    Each chunk after the first repeats the previous chunk's last sentences up to ``overlap_words``."""
    pieces: list[tuple[int, int]] = []
    for s, e in spans:
        pieces.extend(_cut_long(text, s, e, max_words))
    out: list[tuple[int, int, list[tuple[int, int]]]] = []
    current: list[tuple[int, int]] = []
    count = 0
    for s, e in pieces:
        n = len(text[s:e].split())
        if current and count + n > max_words:
            out.append((current[0][0], current[-1][1], current))
            carry: list[tuple[int, int]] = []
            carried = 0
            for cs, ce in reversed(current):
                m = len(text[cs:ce].split())
                if carried + m > overlap_words:
                    break
                carry.insert(0, (cs, ce))
                carried += m
            current, count = carry, carried
        current.append((s, e))
        count += n
    if current:
        out.append((current[0][0], current[-1][1], current))
    return out


def _cut_long(text: str, s: int, e: int, max_words: int) -> list[tuple[int, int]]:
    """Split a span longer than ``max_words`` at word boundaries (tables, run-on lists)."""
    if len(text[s:e].split()) <= max_words:
        return [(s, e)]
    pieces: list[tuple[int, int]] = []
    start, n, pos = s, 0, s
    while pos < e:
        while pos < e and text[pos].isspace():
            pos += 1
        word_end = pos
        while word_end < e and not text[word_end].isspace():
            word_end += 1
        n += 1
        if n > max_words:
            pieces.append((start, pos))
            start, n = pos, 1
        pos = word_end
    pieces.append((start, e))
    return [(a, b) for a, b in pieces if text[a:b].strip()]
