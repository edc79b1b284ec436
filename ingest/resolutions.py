"""Sections → resolutions: what a meeting decided, verbatim, and what a report asked it to decide.

Decisions are read from minutes: "RESOLVED that …" paragraphs, "The Committee …
resolved to approve the following recommendations: 1. … 2. …" lists (one record
per entry), sentences saying a meeting agreed or decided something, minutes
confirmed as correct, and vote blocks ("RESULT: APPROVED …"). Proposals are the
recommendations a report puts to a meeting ("The Committee is asked to note …").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.models import Document, Line, Resolution, Section
from ingest.text import join_lines, split_sentences, typical_width

_LIST_INTRO = re.compile(r"\b(resolved|agreed|decided|recommended|approved?)\b.*:\s*$", re.I)
_LIST_ENTRY = re.compile(r"^\s*(?P<num>\d{1,2}|\(?[ivx]{1,4}\)|[a-z]\)|\([a-z]\))[.)]?\s+(?P<text>\S.*)$")
_RESOLVED_PARA = re.compile(r"^\s*(?:\d{1,2}\.\s+)?(?:It was\s+)?(?:unanimously\s+)?RESOLVED\b")
_DECISION_SENTENCE = re.compile(
    r"\b(?:resolved|agreed|decided)\s+(?:that|to|unanimously|the following|:)"
    r"|\bwere confirmed as (?:a )?correct\b|\bwas confirmed as (?:a )?correct\b",
    re.I,
)
_SUBPOINT = re.compile(r"^\s*(?:[A-Za-z]\)|\([a-z]{1,4}\)|[ivx]{1,4}\)|[a-z]\.)\s")
_VOTE_START = re.compile(r"^\s*RESULT:\s*\S")
_VOTE_LINE = re.compile(r"^\s*(MOTION BY|SECOND(?:ER)?|AYES|NAYS|ABSTAIN|ABSENT|RECUSED)\s*:", re.I)
PARAGRAPH_END_RATIO = 0.8
"""A line ending a sentence and shorter than this share of the widest line ends its paragraph."""


def extract_resolutions(doc: Document, sections: Sequence[Section]) -> list[Resolution]:
    """Decisions in minutes; proposals in a report's recommendations section."""
    found: list[Resolution] = []
    width = typical_width([ln.text for ln in doc.lines])
    # Minutes that record decisions as "RESOLVED …" use that form for all of them: a sentence
    # such as "Members agreed to refer it to Council" is then a report of another meeting.
    formal = any(_RESOLVED_PARA.match(ln.text) for ln in doc.lines)
    for section in sections:
        if doc.doc_type == "minutes" and section.kind == "item":
            texts = _decisions(section.lines, int(section.extra.get("heading_lines", "1")), width, formal)
            kind = "decision"
        elif (
            doc.doc_type == "report"
            and section.kind == "section"
            and section.number is None  # the cover sheet's "Recommendation(s)", not a report's own findings
            and section.title.lower().startswith("recommendation")
        ):
            body = section.lines[1:] if len(section.lines) > 1 else section.lines
            texts = [(None, body)] if body else []
            kind = "proposal"
        else:
            continue
        for k, (number, lines) in enumerate(texts, start=1):
            found.append(
                Resolution(
                    resolution_id=f"{section.section_id}/r{k}",
                    doc_id=doc.doc_id,
                    section_id=section.section_id,
                    kind=kind,
                    text=_join(lines),
                    number=number,
                    organisation=doc.organisation,
                    committee=doc.committee,
                    meeting_date=doc.meeting_date,
                    minute_item=section.number if section.kind == "item" else None,
                    page=lines[0].page,
                    locator=section.locator,
                )
            )
    return found


def _join(lines: Sequence[Line]) -> str:
    return " ".join(ln.text.strip() for ln in lines).strip()


def _ends_paragraph(line: Line, nxt: Line | None, width: int) -> bool:
    text = line.text.rstrip()
    if nxt is None:
        return True
    if nxt.text.lstrip().startswith("(") and not _SUBPOINT.match(nxt.text):
        return True
    return text.endswith((".", ";")) and len(text) < PARAGRAPH_END_RATIO * width


def _decisions(
    lines: Sequence[Line], heading_lines: int, width: int, formal: bool
) -> list[tuple[str | None, list[Line]]]:
    out: list[tuple[str | None, list[Line]]] = []
    i = heading_lines
    while i < len(lines):
        text = lines[i].text
        if _RESOLVED_PARA.match(text):
            para = [lines[i]]
            i += 1
            intro_has_points = para[0].text.rstrip().endswith(":")
            while i < len(lines):
                nxt = lines[i]
                if intro_has_points and _SUBPOINT.match(nxt.text):
                    para.append(nxt)
                elif (
                    _RESOLVED_PARA.match(nxt.text)
                    or re.match(r"^\s*\d{1,2}\.\s", nxt.text)
                    or (_ends_paragraph(para[-1], nxt, width) and not intro_has_points)
                    or (intro_has_points and not _SUBPOINT.match(nxt.text) and _ends_paragraph(para[-1], nxt, width))
                ):
                    break
                else:
                    para.append(nxt)
                i += 1
            out.append((None, para))
            continue
        if _LIST_INTRO.search(text) and i + 1 < len(lines) and _LIST_ENTRY.match(lines[i + 1].text):
            i += 1
            while i < len(lines) and (m := _LIST_ENTRY.match(lines[i].text)):
                entry = [lines[i]]
                i += 1
                while i < len(lines) and not _LIST_ENTRY.match(lines[i].text):
                    if lines[i].text.lstrip().startswith("("):
                        break
                    entry.append(lines[i])
                    i += 1
                    if (
                        i < len(lines)
                        and _ends_paragraph(entry[-1], lines[i], width)
                        and not _LIST_ENTRY.match(lines[i].text)
                    ):
                        break
                out.append((m.group("num").strip("()."), entry))
            continue
        if _VOTE_START.match(text):
            block = [lines[i]]
            i += 1
            while i < len(lines) and _VOTE_LINE.match(lines[i].text):
                block.append(lines[i])
                i += 1
            out.append((None, block))
            continue
        i += 1
    if out or formal:
        return out
    return _decision_sentences(lines, heading_lines, width)


def _decision_sentences(lines: Sequence[Line], heading_lines: int, width: int) -> list[tuple[str | None, list[Line]]]:
    """Sentences that record a decision in prose ("It was … agreed that …", "confirmed as correct")."""
    body = list(lines[heading_lines:])
    text, offsets = join_lines([ln.text for ln in body], width)
    out: list[tuple[str | None, list[Line]]] = []
    for s, e in split_sentences(text):
        sentence = text[s:e]
        if _DECISION_SENTENCE.search(sentence) and not re.search(r"\bwould\b|\bif\b", sentence[:40], re.I):
            first = max(i for i, off in enumerate(offsets) if off <= s)
            out.append((None, [Line(body[first].page, sentence)]))
    return out
