"""The evaluation question sets (evals/questions.jsonl, evals/questions_realdocs.jsonl) are
well formed and grounded in the committed PDFs.

Format per ../shared/EVAL_CONTRACT.md. Every evidence quote must be *found* (evals.matching.found)
in the text of one page, or of two consecutive pages joined (a quote may cross a page break), and
every must_contain string must occur (evals.matching.contains) in the text of the page(s) where
that question's evidence is found, so the gold answers are grounded in the documents. Realdocs
questions name their fixture PDF in the extra field ``doc`` (unknown fields are ignored by the
runner). No model is used; each PDF is extracted once per module.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPUS_PDF, REALDOCS

from evals.matching import FOUND_SHARE, contains, found, tokens
from ingest.pages import extract_pages

EVALS = Path(__file__).resolve().parent.parent / "evals"
BUNDLED = EVALS / "questions.jsonl"
REALDOCS_SET = EVALS / "questions_realdocs.jsonl"

TYPES = {"fact", "number", "resolution", "who", "date", "list", "acronym", "multi-hop", "follow-up", "unanswerable"}
# Minimum number of questions per type in the bundled set (the brief's coverage list).
BUNDLED_MINIMUMS = {
    "number": 15,
    "resolution": 8,
    "who": 10,
    "date": 8,
    "acronym": 8,
    "list": 5,
    "multi-hop": 6,
    "follow-up": 8,
    "unanswerable": 10,
}
BUNDLED_MIN_TOTAL = 80
REALDOCS_MIN_TOTAL = 12
REALDOCS_MIN_UNANSWERABLE = 3
# Things the source text has but the PDF does not show: markup and stray page markers.
_NOT_IN_PDF = re.compile(r"<[a-z/][^>]*>|\*\*|\bPage \d+\b|^#", re.IGNORECASE | re.MULTILINE)


def _load(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name}:{number} is not a JSON object"
            rows.append(row)
    return rows


def _answerable(q: dict) -> bool:
    return q.get("type") != "unanswerable" and bool(q.get("answers") or q.get("must_contain"))


def _quotes(q: dict) -> list[str]:
    evidence = q["evidence"]
    return evidence if isinstance(evidence, list) else [evidence]


BUNDLED_QS = _load(BUNDLED)
REALDOCS_QS = _load(REALDOCS_SET)


class Window:
    """One page, or two consecutive pages joined, with its token set (computed once)."""

    def __init__(self, numbers: tuple[int, ...], text: str) -> None:
        self.numbers, self.text, self.tokens = numbers, text, set(tokens(text))


def _windows(pages: list[str]) -> list[Window]:
    out = [Window((i + 1,), text) for i, text in enumerate(pages)]
    out += [Window((i + 1, i + 2), pages[i] + "\n" + pages[i + 1]) for i in range(len(pages) - 1)]
    return out


@pytest.fixture(scope="module")
def corpus_windows() -> list[Window]:
    return _windows([page.text for page in extract_pages(CORPUS_PDF)])


@pytest.fixture(scope="module")
def realdocs_windows() -> dict[str, list[Window]]:
    return {path.name: _windows([page.text for page in extract_pages(path)]) for path in sorted(REALDOCS.glob("*.pdf"))}


def _check_grounded(q: dict, windows: list[Window]) -> None:
    supporting: list[str] = []
    for quote in _quotes(q):
        wanted = tokens(quote)
        # Cheap necessary condition first (found needs all numbers and 80 % of the rest, so at
        # least 80 % of all tokens); evals.matching.found has the final word.
        candidates = [w for w in windows if wanted and sum(t in w.tokens for t in wanted) >= FOUND_SHARE * len(wanted)]
        hits = [w for w in candidates if found(quote, w.text)]
        assert hits, f"{q['id']}: evidence not found in the PDF text: {quote!r}"
        supporting += [w.text for w in hits]
    joined = "\n".join(supporting)
    for needle in q["must_contain"]:
        assert contains(joined, needle), (
            f"{q['id']}: must_contain {needle!r} is not on the page(s) where its evidence is found"
        )


# --- format ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [BUNDLED, REALDOCS_SET], ids=lambda p: p.name)
def test_file_parses_and_ids_are_unique(path: Path) -> None:
    rows = _load(path)
    assert rows, f"{path.name} is empty"
    ids = [q.get("id") for q in rows]
    assert all(isinstance(i, str) and i for i in ids)
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate ids in {path.name}: {duplicates}"


def test_ids_are_unique_across_both_sets() -> None:
    ids = [q["id"] for q in BUNDLED_QS + REALDOCS_QS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("q", BUNDLED_QS + REALDOCS_QS, ids=lambda q: q["id"])
def test_question_is_well_formed(q: dict) -> None:
    assert isinstance(q.get("question"), str) and q["question"].strip()
    assert q.get("type") in TYPES, f"{q['id']}: unknown type {q.get('type')!r}"
    if q["type"] == "unanswerable":
        for field in ("answers", "must_contain", "evidence"):
            assert not q.get(field), f"{q['id']}: an unanswerable question has {field}"
        return
    assert _answerable(q), f"{q['id']}: answerable type without answers/must_contain"
    assert isinstance(q.get("answers"), list) and q["answers"], f"{q['id']}: no answers"
    assert all(isinstance(a, str) and a.strip() for a in q["answers"])
    must = q.get("must_contain")
    assert isinstance(must, list) and must, f"{q['id']}: no must_contain"
    assert all(isinstance(m, str) and m.strip() for m in must)
    quotes = _quotes(q) if q.get("evidence") else []
    assert quotes, f"{q['id']}: no evidence"
    assert all(isinstance(e, str) and e.strip() for e in quotes)
    for quote in quotes:
        assert not _NOT_IN_PDF.search(quote), f"{q['id']}: evidence has markup or page markers: {quote!r}"
    # The gold answers themselves satisfy must_contain.
    for needle in must:
        assert any(contains(a, needle) for a in q["answers"]), f"{q['id']}: no gold answer contains {needle!r}"
    if q["type"] == "multi-hop":
        assert isinstance(q["evidence"], list) and len(q["evidence"]) >= 2, f"{q['id']}: multi-hop needs 2+ quotes"
    if q["type"] == "follow-up":
        assert isinstance(q.get("context_question"), str) and q["context_question"].strip()


# --- counts ------------------------------------------------------------------------------------


def test_bundled_set_covers_every_type_in_enough_numbers() -> None:
    counts = Counter(q["type"] for q in BUNDLED_QS)
    assert len(BUNDLED_QS) >= BUNDLED_MIN_TOTAL
    assert set(counts) == TYPES, f"types missing: {TYPES - set(counts)}"
    short = {t: (counts[t], n) for t, n in BUNDLED_MINIMUMS.items() if counts[t] < n}
    assert not short, f"too few questions of type (have, need): {short}"
    with_context = [q for q in BUNDLED_QS if q["type"] == "follow-up" and q.get("context_question")]
    assert len(with_context) >= BUNDLED_MINIMUMS["follow-up"]


def test_realdocs_set_is_big_enough() -> None:
    counts = Counter(q["type"] for q in REALDOCS_QS)
    assert len(REALDOCS_QS) >= REALDOCS_MIN_TOTAL
    assert counts["unanswerable"] >= REALDOCS_MIN_UNANSWERABLE
    assert {"number", "resolution", "who", "date"} <= set(counts)


# --- grounding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [q for q in BUNDLED_QS if _answerable(q)], ids=lambda q: q["id"])
def test_bundled_evidence_and_must_contain_are_in_the_corpus(q: dict, corpus_windows: list[Window]) -> None:
    _check_grounded(q, corpus_windows)


@pytest.mark.parametrize("q", [q for q in REALDOCS_QS if _answerable(q)], ids=lambda q: q["id"])
def test_realdocs_evidence_and_must_contain_are_in_the_named_pdf(
    q: dict, realdocs_windows: dict[str, list[Window]]
) -> None:
    doc = q.get("doc")
    assert doc in realdocs_windows, f"{q['id']}: doc {doc!r} is not a fixture in {REALDOCS}"
    _check_grounded(q, realdocs_windows[doc])
