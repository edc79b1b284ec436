"""Bounded work whatever the input: every regular expression in assistant/ and ingest/ runs in time
linear in its text (found automatically, so a new pattern is covered without editing this file),
and reading any question or filter values takes a bounded time.

``re`` holds the GIL while it backtracks: one quadratic pattern on a long question or page stalls
every other request of the app, which is what made these tests necessary.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import app
from assistant.question import read_question
from assistant.references import referenced_sections
from assistant.retrieval import Passage, build_filter, passes
from evals.patterns import GROWTH, SMALL, Found, find_patterns, measure

# --- every pattern, on pathological text -----------------------------------------------------


def test_every_pattern_in_the_packages_runs_in_linear_time() -> None:
    found = find_patterns()
    wheres = {f.where for f in found}
    # The walk reaches globals, patterns inside functions and the packages' every module.
    assert {"ingest.pages._BREAK_END", "assistant.llm._LIST_PREFIX", "ingest.text._SENTENCE_END"} <= wheres
    assert any(w.startswith("ingest.sections:") for w in wheres)
    assert len(found) >= 100
    timings = [t for f in found for t in measure(f)]
    slowest = max(timings, key=lambda t: t.large_s)
    print(
        f"\n[{len(found)} patterns; slowest: {slowest.pattern[:50]!r} ({slowest.where}) on {slowest.text}:"
        f" {slowest.large_s:.3f} s at {GROWTH * SMALL:,} characters, {slowest.growth:.1f}x its time at {SMALL:,}]"
    )
    failed = [
        f"{t.where} {t.pattern!r} on {t.text}: {t.small_s:.4f} s → {t.large_s:.4f} s ({t.growth:.0f}x)"
        for t in timings
        if t.failed
    ]
    assert failed == []


def test_the_timing_catches_a_quadratic_pattern() -> None:
    """The old hyphenation pattern, searched through a long word, fails the check."""
    old = Found(re.compile(r"([^\W\d_]+)-$"), "the old ingest.pages._BREAK_END")
    (letters,) = measure(old, only=["letters"])
    assert letters.failed
    fixed = Found(re.compile(r"(?<![^\W\d_])([^\W\d_]+)-$"), "ingest.pages._BREAK_END")
    assert not any(t.failed for t in measure(fixed, only=["letters", "capitals"]))


def test_patterns_are_found_in_globals_containers_classes_and_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "patterned.py").write_text(
        "import re\n"
        "TOP = re.compile(r'top')\n"
        "GROUP = (re.compile(r'in-tuple'), {'k': re.compile(r'in-dict', re.I)})\n"
        "class Reader:\n"
        "    FIELD = re.compile(r'class-attribute')\n"
        "def read(text):\n"
        "    return re.sub(r'inline\\s+', '', text, flags=re.M) or re.search(r'positional', text, re.I)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("patterned")
    got = {(f.pattern.pattern, f.pattern.flags & ~re.UNICODE, f.where) for f in find_patterns([module])}
    assert got == {
        ("top", 0, "patterned.TOP"),
        ("in-tuple", 0, "patterned.GROUP"),
        ("in-dict", re.I, "patterned.GROUP"),
        ("class-attribute", 0, "patterned.Reader.FIELD"),
        (r"inline\s+", re.M, "patterned:7"),
        ("positional", re.I, "patterned:7"),
    }


T = TypeVar("T")

# --- any question, any filter ------------------------------------------------------------------

#: Characters that make long runs backtracking patterns trip on, mixed with any unicode.
RUNS = st.text(alphabet=st.sampled_from("aA1 .,;:-()?'’\n\t£%/"), max_size=4000)
LONGEST = 40_000
"""Characters of the longest generated question: long enough that a quadratic pattern takes seconds."""
#: A phrase repeated up to LONGEST characters, as the attacks on the app did ("council " × 25,000).
REPEATS = st.builds(
    lambda phrase, size: (phrase * (size // len(phrase) + 1))[:size],
    st.sampled_from(["council ", "item 5 ", "A", "a", " ", "what is the ", "MTFS ", "2024/25 ", "action 1.8 "]),
    st.integers(0, LONGEST),
)
QUESTIONS = st.one_of(st.text(max_size=2000), RUNS, REPEATS)
CALL_BASE_S = 0.05
CALL_PER_CHAR_S = 20e-6
"""CPU seconds one call may take: CALL_BASE_S plus this per character of its text arguments (reading
a question costs about 4 µs a character, linear; a backtracking pattern takes seconds on 40,000).
CPU time of this thread, so a busy machine does not fail it."""
PROPERTY = hypothesis_settings(
    max_examples=100,
    # Per example, in wall-clock time: generous, as other processes share the machine.
    deadline=dt.timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def timed(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, failing the test if it takes more CPU than its budget (see CALL_PER_CHAR_S)."""
    budget = CALL_BASE_S + CALL_PER_CHAR_S * sum(len(a) for a in args if isinstance(a, str))
    started = time.thread_time()
    result = call(*args)
    spent = time.thread_time() - started
    assert spent < budget, f"{call.__name__} took {spent:.3f} s of CPU (budget {budget:.3f}) on {str(args)[:200]}"
    return result


@PROPERTY
@given(text=QUESTIONS, previous=QUESTIONS)
def test_any_question_is_read_within_the_budget(text: str, previous: str) -> None:
    question = timed(read_question, text, timed(read_question, previous))
    assert question.text == " ".join(text.split())
    assert set(question.terms).isdisjoint(question.context_terms)
    timed(referenced_sections, text)


VALUES = st.one_of(st.none(), st.text(max_size=200), st.lists(st.text(max_size=60), max_size=20))


@PROPERTY
@given(
    doc_id=VALUES,
    doc_type=VALUES,
    organisation=VALUES,
    meeting_dates=st.lists(st.text(max_size=30), max_size=10),
    date_from=st.one_of(st.none(), st.text(max_size=40), st.dates().map(str)),
    date_to=st.one_of(st.none(), st.text(max_size=40), st.dates().map(str)),
    meeting_date=st.one_of(st.none(), st.dates().map(str), st.text(max_size=20)),
)
def test_any_filter_values_are_read_within_the_budget(
    doc_id, doc_type, organisation, meeting_dates, date_from, date_to, meeting_date
) -> None:
    filters = {
        "doc_id": doc_id,
        "doc_type": doc_type,
        "organisation": organisation,
        "meeting_dates": meeting_dates,
        "date_from": date_from,
        "date_to": date_to,
    }
    where = timed(build_filter, filters)
    assert where is None or set(where) <= {"doc_id", "doc_type", "organisation", "meeting_date", "$and"}
    passage = Passage("c", "d", "", "", 1, 1, "", "", 0.0, meeting_date, "s", 0)
    assert timed(passes, passage, filters) in (True, False)
    # The app's filter boxes: a clean filter or a ValueError naming the box, never anything else.
    lists = [v if isinstance(v, list) else [] for v in (doc_id, doc_type, organisation)]
    try:
        built = timed(app.build_filters, *lists, date_from, date_to)
    except ValueError as err:
        assert str(err).startswith(("Meetings from", "Meetings to")), err
    else:
        assert built is None or set(built) <= {"doc_id", "doc_type", "organisation", "date_from", "date_to"}
