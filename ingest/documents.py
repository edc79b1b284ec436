"""Pages → documents: split a PDF (an agenda pack holds several papers) into its documents.

A new document starts on a page whose first lines are a document heading that
council papers share: a notice of meeting or agenda, ``MINUTES OF …``, a report
cover sheet with ``Title: …``, or a page headed with the title of an appendix
that an earlier report lists ("Appendix 1: …"). A PDF with no such heading is a
single document. Rules are about council papers in general, never one council.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.dates import find_dates, first_date, human_date
from ingest.models import Document, Line, Page
from ingest.text import slugify, words

log = logging.getLogger(__name__)

HEAD_LINES = 8
"""How many non-empty lines at the top of a page are read for a document heading."""
APPENDIX_MATCH = 0.75
"""Share of an appendix title's words that a page heading must contain to start that appendix."""
SLIDE_MAX_WORDS = 170
"""A document whose pages hold at most this many words (median) reads as a slide deck."""
BLANK_PAGE = re.compile(r"^\s*(this page (is|has been) (intentionally|deliberately) left blank\.?)?\s*$", re.I)

_MINUTES = re.compile(r"^\s*minutes\b(?:\s+of)?(?:\s+(?:a|the)\s+meeting\s+of)?(?:\s+the)?\s*(?P<body>.*)$", re.I)
_NOTICE = re.compile(r"^\s*(notice of (the )?meeting|agenda)\s*$", re.I)
_TITLE = re.compile(r"^\s*Title:\s*(?P<title>.+)$")
_APPENDIX_LIST = re.compile(r"^\s*Appendix\s+(?P<n>[0-9A-Z]{1,3})\s*[:\-–—.]\s*(?P<title>.+)$", re.I)
_ORG = re.compile(
    r"\b(?:London Borough of [A-Z][a-z]+(?: and [A-Z][a-z]+)?"
    # At most five more words before "County Council": unbounded, every capitalised word of a
    # long run of them was tried as the start of a name reaching to its end (quadratic).
    r"|(?:[A-Z][a-z]+(?:[ -](?:and|&|upon|on|under)?[ -]?[A-Z][a-z]+){0,5})"
    r" (?:County|City|District|Borough|Town|Parish|Community|Metropolitan Borough) Council"
    r"|City of [A-Z][a-z]+(?: [A-Z][a-z]+){0,2})\b"
)
# A first page that records the outcome of two or more motions ("Motion Carried 5-2", "Motion
# failed") is a record of a meeting, whatever its heading calls it ("Summary of … Meeting").
_MOTION_OUTCOME = re.compile(r"\bmotion\s+(?:was\s+)?(?:carried|passed|failed|adopted|approved)\b", re.I)
# "AGENDA", "AGENDA:", "Agenda - Final Revised": a line that heads a page's agenda, below a letterhead.
# [^\S\n]* rather than \s*: in multi-line mode \s* ran from every line start across all the blank lines below it.
_AGENDA_LINE = re.compile(r"^[^\S\n]*agenda\s*(?:[:\-–—].*)?$", re.I | re.M)
# "4. Public Health Peer Review (Pages 13 - 43)", "III. New Business": an agenda item, whose title
# may wrap onto the next lines until its page reference.
_AGENDA_ITEM = re.compile(r"^\s*(?:\d{1,3}|[IVXL]{1,5}|[A-Z])[.)]\s+(?P<title>\S.*)$")
_PAGE_REF = re.compile(r"\(\s*pages?\s+\d+(?:\s*[-–—]\s*\d+)?\s*\)\s*$", re.I)
_NUMBERED = re.compile(r"^\s*\(?(?:\d{1,3}(?:\.\d+)*|[IVXL]{1,5}|[A-Za-z])[.)]\s")
ITEM_TITLE_MIN_WORDS = 3
"""Agenda item titles with fewer words ("Apologies", "Minutes") are too common to open a document."""
_COMMITTEE_WORDS = re.compile(
    r"\b(committee|cabinet|council|panel|board|commission|sub-committee|forum|assembly)\b", re.I
)


@dataclass
class _Start:
    page: int
    doc_type: str
    title: str
    committee: str | None
    meeting_date: str | None
    document_date: str | None
    parent: int | None = None
    """Index of the report this appendix belongs to, whose meeting it shares."""
    by_words: bool = False
    """Opened by no recognised heading and typed by its first page's words: its pages may still
    read as a plan, a deck or a glossary, as the same paper would inside a pack."""


def segment_pack(pages: Sequence[Page], source_file: str) -> list[Document]:
    """Split a PDF's pages into documents, each with type, dates and page range."""
    if not pages:
        return []
    starts: list[_Start] = []
    appendices: list[tuple[int, str]] = []  # (index of listing report, appendix title)
    items: list[str] = []  # titles of the agenda's items not yet found opening a page
    listing = False  # still on the agenda's pages that list items
    for page in pages:
        head = _head(page)
        start = _document_start(head, page.number, starts, appendices)
        if start is None and listing:
            found = _agenda_items(page.text)  # the agenda's list of items may run on
            items += found
            listing = bool(found)
        if start is None and items and not listing:
            start = _item_start(head, page.number, items)
        if start is not None:
            starts.append(start)
            _consume(items, start.title)  # a report found by its cover sheet is its item's document
            if start.doc_type == "agenda":
                items, listing = _agenda_items(page.text), True
        if starts and starts[-1].doc_type == "report":
            for line in page.text.splitlines():
                m = _APPENDIX_LIST.match(line)
                if m:
                    appendices.append((len(starts) - 1, m.group("title").strip()))
    if not starts or starts[0].page != pages[0].number:
        starts.insert(0, _single_start(pages))

    organisation = _organisation(pages)
    slug = file_slug(source_file)
    documents: list[Document] = []
    used_ids: Counter[str] = Counter()
    by_number = {p.number: p for p in pages}
    for i, start in enumerate(starts):
        end = starts[i + 1].page - 1 if i + 1 < len(starts) else pages[-1].number
        doc_pages = [by_number[n] for n in range(start.page, end + 1) if n in by_number]
        doc_type = start.doc_type
        if doc_type == "appendix":
            doc_type = _appendix_type(start.title, doc_pages)
        elif start.by_words and doc_type in ("report", "other"):
            # Typed as a pack would type it, so it is split into the same sections and its
            # passages match the pack's copy word for word.
            refined = _appendix_type(start.title, doc_pages)
            doc_type = refined if refined != "report" else doc_type
        parent = starts[start.parent] if start.parent is not None else None
        committee = start.committee or (parent.committee if parent else None)
        meeting_date = start.meeting_date or (parent.meeting_date if parent else None)
        dated = doc_type in ("minutes", "agenda") and meeting_date
        key = f"{doc_type}-{meeting_date if dated else slugify(start.title)[:48]}"
        used_ids[key] += 1
        suffix = f"-{used_ids[key]}" if used_ids[key] > 1 else ""
        lines = [
            Line(p.number, ln)
            for p in doc_pages
            if not BLANK_PAGE.match(p.text)
            for ln in p.text.splitlines()
            if ln.strip()
        ]
        documents.append(
            Document(
                doc_id=f"{slug}/{key}{suffix}",
                title=start.title,
                doc_type=doc_type,
                organisation=organisation,
                committee=committee,
                meeting_date=meeting_date,
                document_date=start.document_date or meeting_date,
                page_start=start.page,
                page_end=end,
                source_file=source_file,
                lines=lines,
            )
        )
    log.debug("%s: %d documents", source_file, len(documents))
    return documents


def file_slug(source_file: str) -> str:
    """The prefix of every id a file contributes: its name without extension, slugified. A name
    with letters the ASCII slug drops (Greek, Chinese, ``ø``) gets a short hash of the name too,
    so two such names (``会议纪要.pdf``, ``議事録.pdf``) do not share ids as ``untitled``."""
    stem = source_file.rsplit(".", 1)[0]
    slug = slugify(stem)
    decomposed = unicodedata.normalize("NFKD", stem)
    if any(ch.isalnum() and not ch.isascii() and not unicodedata.combining(ch) for ch in decomposed):
        slug += "-" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    return slug


def doc_label(doc: Document) -> str:
    """The first half of a citation's locator: ``Minutes, 24 January 2024``."""
    if doc.doc_type == "minutes":
        return f"Minutes, {human_date(doc.meeting_date)}"
    if doc.doc_type == "agenda":
        return f"Agenda, {human_date(doc.meeting_date)}"
    return _short(doc.title)


def _short(title: str, limit: int = 90) -> str:
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0] + "…"


def _head(page: Page) -> list[str]:
    return [ln.strip() for ln in page.text.splitlines() if ln.strip()][:HEAD_LINES]


def _document_start(
    head: list[str], number: int, starts: list[_Start], appendices: list[tuple[int, str]]
) -> _Start | None:
    if not head or BLANK_PAGE.match(" ".join(head)):
        return None
    joined = "\n".join(head)
    # Minutes: "MINUTES OF OVERVIEW AND SCRUTINY COMMITTEE" / "MINUTES of a meeting of the Cabinet held …"
    for i, line in enumerate(head[:3]):
        m = _MINUTES.match(line)
        if m and (line.isupper() or "meeting" in line.lower() or i == 0):
            body = _clean_body(m.group("body") or (head[i + 1] if i + 1 < len(head) else ""))
            if body.lower() in ("", "meeting", "the meeting", "a meeting"):
                # "CORPORATE PARENTING PANEL – 10th December 2024" above "MINUTES of the meeting held …"
                named = [ln for ln in head[:i] + head[i + 1 : i + 3] if _COMMITTEE_WORDS.search(ln)]
                body = _clean_body(named[0]) if named else ""
            date = first_date("\n".join(head[i : i + 5])) or first_date("\n".join(head[:i]))
            title = f"Minutes of the {body}, {human_date(date)}" if body else f"Minutes, {human_date(date)}"
            return _Start(number, "minutes", title, body or None, date, date)
    # Report cover sheet: committee, date, then "Title: …" (which may wrap).
    for i, line in enumerate(head):
        m = _TITLE.match(line)
        if m:
            title = m.group("title").strip()
            if i + 1 < len(head) and not re.match(r"^(Report|Open|Wards|Key|Author)\b", head[i + 1]):
                title = f"{title} {head[i + 1]}"
            before = head[:i]
            date = first_date("\n".join(before))
            committee = next((ln for ln in before if _COMMITTEE_WORDS.search(ln) and not find_dates(ln)), None)
            return _Start(number, "report", title, committee, date, date)
    # Notice of meeting / agenda front sheet.
    if any(_NOTICE.match(line) for line in head[:3]):
        idx = next(i for i, line in enumerate(head[:3]) if _NOTICE.match(line))
        body = next((_clean_body(ln) for ln in head[idx + 1 : idx + 4] if _COMMITTEE_WORDS.search(ln)), None)
        date = first_date(joined)
        title = f"Notice of meeting and agenda: {body}, {human_date(date)}" if body else f"Agenda, {human_date(date)}"
        return _Start(number, "agenda", title, body, date, date)
    # An appendix that an earlier report lists, headed with (most of) its title.
    head_words = set(words(" ".join(head[:4])))
    for parent, title in appendices:
        title_words = words(title)
        if title_words and sum(w in head_words for w in title_words) / len(title_words) >= APPENDIX_MATCH:
            if any(s.page == number for s in starts):
                return None
            heading = _heading_text(head, title_words)
            date = first_date(" ".join(head[:4]))
            return _Start(number, "appendix", heading or title, None, None, date, parent=parent)
    return None


def _agenda_items(text: str) -> list[str]:
    """The titles of the agenda items a page lists, each joined across the lines it wraps onto
    up to its page reference; those of fewer than :data:`ITEM_TITLE_MIN_WORDS` words left out."""
    titles: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        m = _AGENDA_ITEM.match(line)
        if m:
            current = [m.group("title").strip()]
            titles.append("")
        elif current is None or not line.strip():
            current = None
            continue
        else:
            current.append(line.strip())
        titles[-1] = _PAGE_REF.sub("", " ".join(current)).strip()
        if _PAGE_REF.search(line) or len(current) >= 3:
            current = None
    return [t for t in titles if len(words(t)) >= ITEM_TITLE_MIN_WORDS]


def _item_start(head: list[str], number: int, items: list[str]) -> _Start | None:
    """A page headed with (most of) the title of an item its pack's agenda lists: that item's
    report. Each item opens one document, so a title repeated atop its report's pages does not
    split it again; numbered lines (a minute item named like an agenda item) are not headings."""
    top = [ln for ln in head[:4] if not _NUMBERED.match(ln) and not _APPENDIX_LIST.match(ln)]
    if not top or top[0] != head[0] or BLANK_PAGE.match(" ".join(head)):
        return None
    title = _matching_item(items, " ".join(top), first_line=top[0])
    if title is None:
        return None
    items.remove(title)
    heading = _heading_text(top, words(title)) or title
    return _Start(number, "report", _short(heading, 160), None, None, first_date(" ".join(head[:4])))


def _matching_item(items: list[str], text: str, first_line: str = "") -> str | None:
    """The first item whose title's words are (mostly) in ``text`` and, given ``first_line``, start there."""
    have = set(words(text))
    first = set(words(first_line))
    for title in items:
        title_words = words(title)
        if first_line and not first & set(title_words):
            continue
        if sum(w in have for w in title_words) / len(title_words) >= APPENDIX_MATCH:
            return title
    return None


def _consume(items: list[str], title: str) -> None:
    if (found := _matching_item(items, title)) is not None:
        items.remove(found)


def _heading_text(head: list[str], title_words: list[str] | None = None) -> str:
    """The page's heading lines (up to the first long line), without a trailing date line.
    With ``title_words``, only as many lines as it takes to cover that title."""
    parts: list[str] = []
    for line in head[:4]:
        if len(line) > 90 or line.endswith(":"):
            break
        if find_dates(line) and len(words(line)) <= 5:
            break
        parts.append(line)
        if title_words:
            got = set(words(" ".join(parts)))
            if sum(w in got for w in title_words) / len(title_words) >= APPENDIX_MATCH:
                break
    return " ".join(parts)


def _appendix_type(title: str, pages: list[Page]) -> str:
    lowered = title.lower()
    if "glossary" in lowered:
        return "glossary"
    if re.search(r"\bplan\b", lowered) and any(re.search(r"\bAction\b.*\bLead\b", p.layout) for p in pages[:3]):
        return "plan"
    counts = sorted(len(p.text.split()) for p in pages)
    if len(pages) >= 3 and counts[len(counts) // 2] <= SLIDE_MAX_WORDS:
        return "presentation"
    return "report"


def _single_start(pages: Sequence[Page]) -> _Start:
    """A PDF that opens with no recognised document heading: one document, typed by its words."""
    first = pages[0]
    head = _head(first)
    top = " ".join(head).lower()
    title = _heading_text(head) or (head[0] if head else "Untitled")
    date = first_date(" ".join(head)) or first_date(first.text)
    if "minutes" in top or len(_MOTION_OUTCOME.findall(first.text)) >= 2:
        doc_type = "minutes"
    elif "agenda" in top or _AGENDA_LINE.search(first.text):
        doc_type = "agenda"
    elif "glossary" in top:
        doc_type = "glossary"
    elif re.search(r"\b(register|table|schedule|likelihood)\b", top):
        doc_type = "table"
    elif "report" in top:
        doc_type = "report"
    elif re.search(r"\bmeeting\b", top) and re.search(r"^[^\S\n]*(present|apologies)\b", first.text, re.I | re.M):
        doc_type = "minutes"
    else:
        doc_type = "other"
    committee = next((_clean_body(ln) for ln in head if _COMMITTEE_WORDS.search(ln) and len(ln) < 80), None)
    return _Start(first.number, doc_type, _short(title, 160), committee, date, date, by_words=True)


def _clean_body(text: str) -> str:
    """``OVERVIEW AND SCRUTINY COMMITTEE`` → ``Overview and Scrutiny Committee``; drops "held on …"."""
    text = re.split(r"\bheld\b|,|\(|\s[–—-]\s", text, maxsplit=1)[0].strip(" .:-–")
    if text.isupper():
        small = {"and", "of", "the", "for", "in", "on"}
        text = " ".join(w.lower() if w.lower() in small and i else w.capitalize() for i, w in enumerate(text.split()))
    return text


def _organisation(pages: Sequence[Page]) -> str | None:
    """The council or body most often named in the file."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update(m.group(0) for m in _ORG.finditer(page.text))
    return counts.most_common(1)[0][0] if counts else None
