"""Search the way people type it: a query of a few words and no question form ("potholes",
"devolution", "council tax") → every passage that holds its words, grouped by meeting (body and
date), newest first, each with a short verbatim excerpt, the words marked, a count per document.

The learned scorer still answers first. When it answers, the results come with the answer (the
answer unchanged); when it would decline, the results are the reply, their passages its citations.
When no passage holds any of the words, the reply says so and offers the terms the papers use:
their words nearest in spelling, then the distinctive words of the passages nearest in meaning.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.answer import RELATED_INTRO, Answer
from assistant.citations import format_answer
from assistant.question import ASK_CUES, Question, read_question
from assistant.retrieval import Passage, Retrieval, passes
from assistant.snapshot import IndexSnapshot
from ingest.dates import human_date
from ingest.lexical import terms
from ingest.settings import Settings

log = logging.getLogger(__name__)

ELLIPSIS = "…"
CURRENCY = "£$€"
SOME_WORDS_HEADING = "Passages with some of the words:"
UNDATED = "undated"


@dataclass
class SearchHit:
    """One passage that holds the search's words, as listed."""

    passage: Passage
    excerpt: str
    """Words of the passage around the matched ones, verbatim (white space folded), with "…" where cut."""
    marks: list[tuple[int, int]]
    """(start, end) in :attr:`excerpt` of each word that matched."""
    meeting: str
    """Its meeting as shown: body and date ("Cabinet, 30 January 2025"); "undated" when it has no date."""
    meeting_date: str | None
    """The meeting's ISO date, None for an undated paper."""
    all_words: bool
    """Whether the passage holds every word of the search (otherwise some of them)."""
    number: int = 0
    """Its [n]: in a reply, its citation's number; beside an answer, numbered after the answer's citations."""

    @property
    def quote(self) -> str:
        """The excerpt without its ellipses: text the passage and its page hold word for word."""
        return self.excerpt.strip(ELLIPSIS + " ")


@dataclass
class SearchResults:
    """The passages that hold a search's words (or, with none, the terms offered instead)."""

    query: str
    """The search as typed (white space folded)."""
    words: list[str]
    """Its content words, in order."""
    hits: list[SearchHit] = field(default_factory=list)
    """The passages listed (at most ``search_max_hits``): those holding every word first, then those holding
    some; each set by meeting, newest first, undated last, then by document and reading order."""
    total: int = 0
    """Passages holding any of the words, inside the filters (listed or not)."""
    total_all: int = 0
    """Passages holding every word."""
    documents: int = 0
    """Documents those passages are in."""
    per_document: dict[str, int] = field(default_factory=dict)
    """Passages holding any of the words, by document id."""
    suggestions: list[str] = field(default_factory=list)
    """With no match: the terms the papers use nearest the search."""
    filtered: bool = False
    """Whether filters (body, dates, documents) narrowed the search."""
    reply: bool = False
    """Whether the results are the reply (the scorer declined), rather than listed beside an answer."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SearchResults:
        """As :func:`dataclasses.asdict` wrote it (a conversation kept for later)."""
        hits = [
            SearchHit(**{**h, "passage": Passage(**h["passage"]), "marks": [(int(a), int(b)) for a, b in h["marks"]]})
            for h in d.get("hits", [])
        ]
        return cls(**{**d, "hits": hits})


# ---- which queries are searches ---------------------------------------------------------------------


def _core(word: str) -> tuple[int, int]:
    """(start, end) of a word without the punctuation around it (a currency sign stays)."""
    start, end = 0, len(word)
    while start < end and not (word[start].isalnum() or word[start] in CURRENCY):
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    return start, end


def _plain_words(text: str) -> list[str]:
    """Lower-case words of ``text`` without surrounding punctuation."""
    out = []
    for w in text.lower().split():
        a, b = _core(w)
        if a < b:
            out.append(w[a:b])
    return out


def content_words(question: Question) -> list[str]:
    """The words of a question that carry its subject: each holds one of its matching terms."""
    own = set(question.terms)
    return [w for w in _plain_words(question.text) if any(t in own for t in terms(w))]


def is_search(question: Question, max_words: int) -> bool:
    """Whether a query is typed as a search: one to ``max_words`` content words, no question mark, no
    question word and no ask cue (a cue that is itself a subject word, such as "budget", does not count),
    and no conversation to lean on."""
    if "?" in question.text or question.context_terms:
        return False
    content = content_words(question)
    if not 1 <= len(content) <= max_words:
        return False
    words = _plain_words(question.text)
    subject = set(content)
    for cues in ASK_CUES.values():
        for cue in cues:
            want = cue.split()
            found = any(words[i : i + len(want)] == want for i in range(len(words) - len(want) + 1))
            if found and not all(w in subject for w in want):
                return False
    # A word that is neither a subject word nor a stop word asks for something ("list", "meaning").
    return all(w in subject or not terms(w) for w in words)


# ---- the index of terms ------------------------------------------------------------------------------


class _Postings:
    """Which passages hold each term, over one snapshot (passage text only, not titles)."""

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self.snapshot = snapshot
        by_term: dict[str, list[str]] = {}
        for chunk_id, row in snapshot.chunks.items():
            for t in set(terms(row.text)):
                by_term.setdefault(t, []).append(chunk_id)
        self.by_term = by_term
        self.size = len(snapshot.chunks)

    def idf(self, term: str) -> float:
        return math.log((self.size + 1) / (len(self.by_term.get(term, ())) + 0.5))


_LOCK = threading.Lock()
_CACHE: list[_Postings] = []
"""The postings of the last snapshot searched: a snapshot never changes, so they hold until the next one."""


def postings(snapshot: IndexSnapshot) -> _Postings:
    """The postings of ``snapshot``, built on its first search (or at warm-up) and kept."""
    with _LOCK:
        if _CACHE and _CACHE[0].snapshot is snapshot:
            return _CACHE[0]
    built = _Postings(snapshot)
    with _LOCK:
        _CACHE[:] = [built]
    return built


def word_forms(word: str) -> set[str]:
    """The terms by which a search word matches a passage: its own term and the whole forms derived from it
    ("2024-25" also as "2024/25"), not the parts a hyphen splits off nor a bare number split from a larger one."""
    found = terms(word)
    if not found:
        return set()
    if "-" in word:
        parts = {t for p in word.split("-") if p for t in terms(p)}
        whole = {t for t in found if t not in parts}
        return whole or set(found)
    return {found[0], *(t for t in found[1:] if not t.isdigit())}


# ---- searching ---------------------------------------------------------------------------------------


def _body(row_meta: dict[str, Any]) -> str:
    return str(row_meta.get("body") or row_meta.get("committee") or row_meta.get("organisation") or "")


def _meeting_label(body: str, date: str | None) -> str:
    when = human_date(date) if date else UNDATED
    return f"{body}, {when}" if body else when[:1].upper() + when[1:]


def _excerpt(text: str, forms: list[set[str]], width: int) -> tuple[str, list[tuple[int, int]]]:
    """The ``width`` words of ``text`` holding the most of the search's words, the matches centred; and the
    spans of the matched words in it."""
    words = text.split()
    matched: list[int | None] = []
    for w in words:
        a, b = _core(w)
        found = set(terms(w[a:b])) if a < b else set()
        matched.append(next((i for i, f in enumerate(forms) if f & found), None))
    at_word = [j for j, m in enumerate(matched) if m is not None]
    best, best_key = 0, None
    # The windows worth trying are those centred on a match (moved inside the passage).
    for start in sorted({max(0, min(j - width // 2, len(words) - width)) for j in at_word}):
        inside = at_word[bisect.bisect_left(at_word, start) : bisect.bisect_left(at_word, start + width)]
        centre = (inside[0] + inside[-1]) / 2
        key = (len({matched[j] for j in inside}), len(inside), -abs(centre - (start + width / 2)))
        if best_key is None or key > best_key:
            best, best_key = start, key
    end = min(len(words), best + width)
    parts: list[str] = [ELLIPSIS] if best > 0 else []
    marks: list[tuple[int, int]] = []
    at = len(ELLIPSIS) + 1 if best > 0 else 0
    for j in range(best, end):
        if matched[j] is not None:
            a, b = _core(words[j])
            marks.append((at + a, at + b))
        parts.append(words[j])
        at += len(words[j]) + 1
    if end < len(words):
        parts.append(ELLIPSIS)
    return " ".join(parts), marks


def search_papers(
    snapshot: IndexSnapshot,
    query: str,
    filters: dict[str, Any] | None,
    settings: Settings,
    nearest: Sequence[Passage] = (),
) -> SearchResults:
    """Every passage inside ``filters`` that holds the query's words (stemmed: "pothole" finds "potholes"),
    those with all of them first, each set grouped by meeting, newest first; at most
    ``settings.search_max_hits`` listed. With no match, the terms to offer instead, from the vocabulary
    and from ``nearest`` (passages nearest the query in meaning, best first)."""
    question = read_question(query)
    words = list(dict.fromkeys(content_words(question)))
    forms = [f for f in (word_forms(w) for w in words) if f]
    index = postings(snapshot)
    holding = [{c for t in f for c in index.by_term.get(t, ())} for f in forms]
    found = set().union(*holding) if holding else set()
    if filters:
        found = {c for c in found if passes(snapshot.passage(c), filters)}
    results = SearchResults(" ".join(query.split()), words, filtered=bool(filters))
    if not found:
        results.suggestions = _suggestions(index, words, forms, filters, nearest, settings)
        return results
    every = found.intersection(*holding)
    meta = {c: snapshot.chunks[c].metadata for c in found}

    def order(chunk_id: str) -> tuple[Any, ...]:
        m = meta[chunk_id]
        date = str(m.get("meeting_date") or "")
        # Newest first, undated last: a date sorts by its negated characters.
        kept = (chunk_id not in every, not date, [-ord(c) for c in date], _body(m), str(m["doc_id"]))
        return (*kept, int(m.get("ordinal", 0)), chunk_id)

    ranked = sorted(found, key=order)
    results.total, results.total_all = len(found), len(every)
    results.per_document = dict(Counter(str(m["doc_id"]) for m in meta.values()))
    results.documents = len(results.per_document)
    for chunk_id in ranked[: settings.search_max_hits]:
        p = snapshot.passage(chunk_id)
        excerpt, marks = _excerpt(p.text, forms, settings.search_excerpt_words)
        meeting = _meeting_label(_body(meta[chunk_id]), p.meeting_date)
        results.hits.append(SearchHit(p, excerpt, marks, meeting, p.meeting_date, chunk_id in every))
    return results


def _surface(term: str, texts: Sequence[str]) -> str:
    """The word the papers most often write for ``term`` (lower case; ties alphabetically)."""
    seen: Counter[str] = Counter()
    for text in texts:
        for w in _plain_words(text):
            if terms(w)[:1] == (term,):
                seen[w] += 1
    return min(seen, key=lambda w: (-seen[w], w)) if seen else term


def _suggestions(
    index: _Postings,
    words: list[str],
    forms: list[set[str]],
    filters: dict[str, Any] | None,
    nearest: Sequence[Passage],
    settings: Settings,
) -> list[str]:
    """The papers' words nearest the search in spelling, then the most distinctive words (frequent in them,
    rare in the index) of the passages nearest it in meaning: at most ``settings.search_suggestions``."""
    want = settings.search_suggestions
    snapshot = index.snapshot

    def inside(term: str) -> list[str]:
        ids = index.by_term.get(term, [])
        if not filters:
            return [snapshot.chunks[i].text for i in ids[:want]]
        return [p.text for i in ids if passes(p := snapshot.passage(i), filters)][:want]

    own = {t for f in forms for t in f}
    vocabulary = [t for t in index.by_term if t[:1].isalpha()]
    out: dict[str, str] = {}
    for w in words:
        stem = terms(w)[0] if terms(w) else w
        for t in difflib.get_close_matches(stem, vocabulary, want * 2, settings.search_spelling_cutoff):
            texts = inside(t)
            if texts and t not in own and t not in out:
                out[t] = _surface(t, texts)
    counts: Counter[str] = Counter()
    texts = [p.text for p in nearest[: settings.search_suggestion_passages]]
    for text in texts:
        counts.update(t for t in terms(text) if t[:1].isalpha() and len(t) > 2 and t not in own)
    # Weighed as a search engine weighs a word for a passage: how often they use it, times how rare it is.
    for t in sorted(counts, key=lambda t: (-counts[t] * index.idf(t), t)):
        if len(out) >= want:
            break
        if t not in out:
            out[t] = _surface(t, texts)
    return list(out.values())[:want]


# ---- the reply ---------------------------------------------------------------------------------------


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def lead_line(results: SearchResults) -> str:
    """The reply's first line: "12 passages in 5 documents mention “potholes”; newest first:"."""
    q = f"“{results.query}”"
    docs = _n(results.documents, "document", "documents")
    if results.total_all == results.total:
        line = f"{_passages(results.total)} in {docs} {_mention(results.total)} {q}"
    elif results.total_all:
        line = (
            f"{_passages(results.total_all)} {_mention(results.total_all)} all the words of {q} and"
            f" {results.total - results.total_all} more some of them, in {docs}"
        )
    else:
        line = f"No passage mentions all the words of {q}; {_passages(results.total)} in {docs}"
        line += f" {_mention(results.total)} some of them"
    shown = len(results.hits)
    listed = f", the first {shown} listed" if shown < results.total else ""
    return f"{line}; newest first{listed}:"


def _passages(count: int) -> str:
    return _n(count, "passage", "passages")


def _mention(count: int) -> str:
    return "mentions" if count == 1 else "mention"


def no_match_text(results: SearchResults) -> str:
    """The reply to a search nothing holds: "No paper in the index mentions potholes. The papers use: …"."""
    where = "inside the filters" if results.filtered else "in the index"
    text = f"No paper {where} mentions {results.query}."
    if results.suggestions:
        text += f" The papers use: {', '.join(results.suggestions)}."
    return text


def _groups(hits: Sequence[SearchHit]) -> list[tuple[bool, str, list[tuple[str, list[SearchHit]]]]]:
    """Hits as (holds every word, meeting, [(document id, hits)]), in listing order."""
    out: list[tuple[bool, str, list[tuple[str, list[SearchHit]]]]] = []
    for h in hits:
        if not out or (out[-1][0], out[-1][1]) != (h.all_words, h.meeting):
            out.append((h.all_words, h.meeting, []))
        docs = out[-1][2]
        if not docs or docs[-1][0] != h.passage.doc_id:
            docs.append((h.passage.doc_id, []))
        docs[-1][1].append(h)
    return out


def _where(p: Passage) -> str:
    pages = f"page {p.page}" if p.page_end == p.page else f"pages {p.page}–{p.page_end}"
    return f"{p.locator}, {pages}" if p.locator else pages


def results_text(results: SearchResults) -> str:
    """The results as plain text: the lead line, then each meeting, its documents with their counts and
    one line per passage (its excerpt, [n] and where it stands)."""
    lines = [lead_line(results)]
    some = False
    for all_words, meeting, docs in _groups(results.hits):
        if not all_words and not some and results.total_all:
            lines += ["", SOME_WORDS_HEADING]
            some = True
        lines += ["", meeting]
        for doc_id, hits in docs:
            count = results.per_document.get(doc_id, len(hits))
            lines.append(f"  {hits[0].passage.doc_title} ({_passages(count)})")
            lines += [f"    “{h.excerpt}” [{h.number}] ({_where(h.passage)})" for h in hits]
    return "\n".join(lines)


def results_markdown(results: SearchResults, link: Callable[[SearchHit], str], escape: Callable[[str], str]) -> str:
    """The results as the app shows them: the lead line, a heading per meeting, each document with its
    count, one item per passage whose [n] (``link``) opens its page, the matched words in <mark>.
    ``escape`` makes text from the papers safe Markdown."""
    lines = [escape(lead_line(results))]
    some = False
    for all_words, meeting, docs in _groups(results.hits):
        if not all_words and not some and results.total_all:
            lines += ["", f"*{escape(SOME_WORDS_HEADING)}*"]
            some = True
        lines += ["", f"**{escape(meeting)}**", ""]
        for doc_id, hits in docs:
            count = results.per_document.get(doc_id, len(hits))
            lines.append(f"- {escape(hits[0].passage.doc_title)} ({_passages(count)})")
            for h in hits:
                lines.append(f"    - {link(h)} “{_marked(h, escape)}” — {escape(_where(h.passage))}")
    return "\n".join(lines)


def _marked(hit: SearchHit, escape: Callable[[str], str]) -> str:
    out, at = [], 0
    for a, b in hit.marks:
        out += [escape(hit.excerpt[at:a]), f"<mark>{escape(hit.excerpt[a:b])}</mark>"]
        at = b
    out.append(escape(hit.excerpt[at:]))
    return "".join(out)


def with_search(
    answer: Answer,
    question: Question,
    retrieval: Retrieval,
    snapshot: IndexSnapshot,
    filters: dict[str, Any] | None,
    settings: Settings,
) -> Answer:
    """``answer`` with the search results of a search-shaped question: beside it when the scorer answered
    (the answer unchanged), as the reply when it declined, or "No paper … mentions …" with the terms the
    papers use when no passage holds the words. Any other question's answer is returned as it is."""
    if not is_search(question, settings.search_max_words):
        return answer
    results = search_papers(snapshot, question.text, filters, settings, retrieval.passages)
    log.debug("search %r: %d passages, %d listed", results.query, results.total, len(results.hits))
    if not answer.abstained:
        numbers = {p.chunk_id: n for n, p in enumerate(answer.citations, 1)}
        for h in results.hits:
            h.number = numbers.setdefault(h.passage.chunk_id, len(numbers) + 1)
        quoted = [(h.quote, h.number) for h in results.hits if h.number > len(answer.citations)]
        return replace(answer, search=results, quotes=[*answer.quotes, *quoted])
    if not results.hits:
        text = f"{no_match_text(results)} {RELATED_INTRO}" if answer.related else no_match_text(results)
        return replace(answer, text=text)
    results.reply = True
    for n, h in enumerate(results.hits, 1):
        h.number = n
    rank = {p.chunk_id: i for i, p in enumerate(retrieval.passages)}
    # ``retrieved`` ranks the listed passages the search found best first, then the rest in search order.
    strongest = sorted(results.hits, key=lambda h: (rank.get(h.passage.chunk_id, len(rank)), h.number))
    return replace(
        answer,
        text=results_text(results),
        abstained=False,
        citations=[h.passage for h in results.hits],
        related=[],
        quotes=[(h.quote, h.number) for h in results.hits],
        strongest_first=[h.passage.chunk_id for h in strongest],
        search=results,
    )


def listed_passages(answer: Answer) -> list[Passage]:
    """The passages the app numbers for an answer: its citations (or related reading), then the search
    results not among them, in their numbers' order."""
    listed = list(answer.citations or answer.related)
    if answer.search is not None:
        extra = sorted((h for h in answer.search.hits if h.number > len(listed)), key=lambda h: h.number)
        listed += [h.passage for h in dict((h.number, h) for h in extra).values()]
    return listed


def plain_text(answer: Answer) -> str:
    """The answer for the terminal: a reply of search results as its grouped lines; an answer with its
    sources, then the search results listed beside it."""
    if answer.search is None:
        return format_answer(answer)
    if answer.search.reply:
        return answer.text
    return f"{format_answer(answer)}\n\n{results_text(answer.search)}"
