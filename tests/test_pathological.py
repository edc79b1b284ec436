"""Bounded work whatever the input: every regular expression in assistant/ and ingest/ runs in time
linear in its text (found automatically, so a new pattern is covered without editing this file),
and reading any question or filter values takes a bounded time.

``re`` holds the GIL while it backtracks: one quadratic pattern on a long question or page stalls
every other request of the app, which is what made these tests necessary.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

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
