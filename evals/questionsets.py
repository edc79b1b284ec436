"""The labelled question sets: which body each file of papers belongs to, where the sets are, and
the check that every gold answer is grounded in the PDF it names.

    python -m evals.questionsets check [PATH.jsonl ...]   # all sets when no path is given

A set is one JSONL file per body (``evals/questions/<body>.jsonl``; the bundled pack's set is
``evals/questions.jsonl``), in the evaluation contract's format plus fields the runner
ignores: ``body`` (a slug from ``evals/bodies.tsv``) and ``doc`` (the PDF file name the evidence
is in; absent for unanswerable questions); and ``kind``: ``summary`` for a question asking what a
document holds ("what's in the improvement plan?"), which its outline answers and the scorer's
training leaves out, or ``latest`` for one asking where a subject stands now (its answer is in the newest paper).

Quotes are looked for in the text ingest reads from the PDF, scans included: a page without a text
layer is read by the ingest's own OCR (Tesseract, through ``ingest.pages.extract_pages``). OCR takes
seconds a page and reading every set's PDFs most of a minute, so each file's page text is kept under
``.scrutineer/page-text/``, keyed by the file's bytes, the OCR settings, Tesseract's version and the
reading code.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from evals.matching import FOUND_SHARE, contains, found, tokens
from ingest.errors import IngestError
from ingest.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

EVALS = PROJECT_ROOT / "evals"
BUNDLED_SET = EVALS / "questions.jsonl"
BODY_SETS = EVALS / "questions"
BODIES_TSV = EVALS / "bodies.tsv"
BUNDLED_BODY = "barking-dagenham"
PDF_FOLDERS = (
    PROJECT_ROOT / "corpus",
    PROJECT_ROOT / "tests" / "fixtures" / "realdocs",
    PROJECT_ROOT / "tests" / "fixtures" / "realdocs_more",
)
"""Where the PDFs the sets name are kept (the bundled corpus and the test fixtures)."""
PAGE_TEXT_CACHE = PROJECT_ROOT / ".scrutineer" / "page-text"
"""Where the page texts of the PDFs are kept between checks (git-ignored)."""
READING_CODE = (PROJECT_ROOT / "ingest" / "pages.py", PROJECT_ROOT / "ingest" / "ocr.py")
"""The modules whose code decides a page's text: a change to either reads the files again."""
OCR_SETTINGS = (
    "ocr_language", "ocr_dpi", "ocr_max_pixels", "ocr_page_segmentation", "ocr_min_confidence", "ocr_min_image_share"
)  # fmt: skip
"""The settings that change what OCR reads."""
TESSERACT_VERSION_TIMEOUT_S = 10.0
"""Seconds ``tesseract --version`` may take (its version is part of the key of the kept text)."""
TYPES = frozenset(
    {"fact", "number", "resolution", "who", "date", "list", "acronym", "multi-hop", "follow-up", "unanswerable"}
)


@dataclass(frozen=True)
class Body:
    """One public body whose papers are in the shared sets."""

    slug: str
    """Short id, e.g. ``kent-cc``."""
    name: str
    """Its name for people."""
    prefix: str
    """Every PDF of this body has a file name starting with this."""


def bodies() -> list[Body]:
    with BODIES_TSV.open(encoding="utf-8") as f:
        return [Body(r["body"], r["name"], r["prefix"]) for r in csv.DictReader(f, delimiter="\t")]


def body_of(file_name: str) -> str | None:
    """The body whose papers a PDF file name belongs to, or None."""
    return next((b.slug for b in bodies() if file_name.startswith(b.prefix)), None)


def pdf_path(file_name: str) -> Path:
    for folder in PDF_FOLDERS:
        if (folder / file_name).is_file():
            return folder / file_name
    raise FileNotFoundError(f"{file_name}: not in any of {', '.join(str(f) for f in PDF_FOLDERS)}")


def body_pdfs(slug: str) -> list[Path]:
    """Every PDF of one body in the project's folders."""
    prefix = next(b.prefix for b in bodies() if b.slug == slug)
    return sorted(p for folder in PDF_FOLDERS for p in folder.glob("*.pdf") if p.name.startswith(prefix))


def load_set(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}, line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise ValueError(f"{path.name}, line {number}: not a JSON object")
            if path.resolve() == BUNDLED_SET.resolve():
                row.setdefault("body", BUNDLED_BODY)
                row.setdefault("doc", "overview-and-scrutiny-committee-2024-04-17-agenda-pack.pdf")
            rows.append(row)
    return rows


def set_paths() -> list[Path]:
    return [BUNDLED_SET, *sorted(BODY_SETS.glob("*.jsonl"))]


def all_questions() -> list[dict[str, Any]]:
    """Every labelled question of every body, each with its ``body``."""
    return [q for path in set_paths() for q in load_set(path)]


def answerable(q: dict[str, Any]) -> bool:
    return q.get("type") != "unanswerable" and bool(q.get("answers") or q.get("must_contain"))


def quotes(q: dict[str, Any]) -> list[str]:
    evidence = q.get("evidence") or []
    return evidence if isinstance(evidence, list) else [evidence]


class Window:
    """One page, or two consecutive pages joined, with its token set (computed once)."""

    def __init__(self, numbers: tuple[int, ...], text: str) -> None:
        self.numbers, self.text, self.tokens = numbers, text, set(tokens(text))


@cache
def _tesseract_version(cmd: str) -> str:
    try:
        run = subprocess.run(
            [cmd, "--version"], capture_output=True, text=True, timeout=TESSERACT_VERSION_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    return (run.stdout or run.stderr).partition("\n")[0].strip()


def _reading_key(data: bytes, settings: Settings) -> str:
    """What the text read from a PDF's bytes depends on, as one hash."""
    digest = hashlib.sha256(data)
    for code in READING_CODE:
        digest.update(code.read_bytes())
    ocr = {name: getattr(settings, name) for name in OCR_SETTINGS}
    ocr["tesseract"] = _tesseract_version(settings.ocr_tesseract_cmd)
    digest.update(json.dumps(ocr, sort_keys=True).encode())
    return digest.hexdigest()


def page_texts(path: Path, cache_dir: Path = PAGE_TEXT_CACHE, settings: Settings | None = None) -> list[str]:
    """Each page's text as ingest reads it (``extract_pages``: the text layer, or for a page without
    one the ingest's OCR), kept in ``cache_dir`` and read from there while the file's bytes, the OCR
    settings, Tesseract and the reading code stay the same.

    Raises IngestError when the file cannot be read (for a scan: when Tesseract is not installed)."""
    from ingest.pages import extract_pages
    from ingest.settings import Settings

    settings = settings or Settings.from_env()
    data = path.read_bytes()
    key = _reading_key(data, settings)
    kept = cache_dir / f"{path.name}.json"
    try:
        stored = json.loads(kept.read_text(encoding="utf-8"))
        if stored["key"] == key:
            return [str(text) for text in stored["pages"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none kept yet, or kept by other code or settings: read the file again
    pages = extract_pages(path, settings, data=data)
    texts = [page.text for page in pages]
    cache_dir.mkdir(parents=True, exist_ok=True)
    part = kept.with_name(f"{kept.name}.{os.getpid()}.part")  # whole or not at all, when two checks run
    part.write_text(json.dumps({"key": key, "pages": texts}), encoding="utf-8")
    part.replace(kept)
    log.debug("%s: page text kept in %s", path.name, kept)
    return texts


@cache
def windows(file_name: str) -> list[Window]:
    """The windows of the named PDF's pages, scans read by OCR (:func:`page_texts`)."""
    pages = page_texts(pdf_path(file_name), PAGE_TEXT_CACHE)
    out = [Window((i + 1,), text) for i, text in enumerate(pages)]
    out += [Window((i + 1, i + 2), pages[i] + "\n" + pages[i + 1]) for i in range(len(pages) - 1)]
    return out


def problems(q: dict[str, Any]) -> list[str]:
    """What is wrong with one question (empty when it is well formed and grounded)."""
    qid = q.get("id", "?")
    out: list[str] = []
    if not isinstance(q.get("question"), str) or not q["question"].strip():
        out.append(f"{qid}: no question text")
    if q.get("type") not in TYPES:
        out.append(f"{qid}: unknown type {q.get('type')!r}")
    if q.get("body") not in {b.slug for b in bodies()}:
        out.append(f"{qid}: body {q.get('body')!r} is not in {BODIES_TSV.name}")
    if q.get("type") == "follow-up" and not (q.get("context_question") or "").strip():
        out.append(f"{qid}: a follow-up needs context_question")
    if q.get("type") == "unanswerable":
        out += [f"{qid}: an unanswerable question has {k}" for k in ("answers", "must_contain", "evidence") if q.get(k)]
        return out
    answers, must = q.get("answers"), q.get("must_contain")
    if not (isinstance(answers, list) and answers and all(isinstance(a, str) and a.strip() for a in answers)):
        return [*out, f"{qid}: answerable question without answers"]
    if not (isinstance(must, list) and must and all(isinstance(m, str) and m.strip() for m in must)):
        return [*out, f"{qid}: answerable question without must_contain"]
    out += [f"{qid}: no gold answer contains {m!r}" for m in must if not any(contains(a, m) for a in answers)]
    if q.get("type") == "multi-hop" and len(quotes(q)) < 2:
        out.append(f"{qid}: multi-hop needs two or more evidence quotes")
    if not quotes(q):
        return [*out, f"{qid}: no evidence"]
    doc = q.get("doc")
    docs = doc if isinstance(doc, list) else [doc]
    try:
        wins = [w for d in docs for w in windows(d)]
    except (FileNotFoundError, TypeError, IngestError) as exc:
        return [*out, f"{qid}: doc {doc!r}: {exc}"]
    supporting: list[str] = []
    for quote in quotes(q):
        wanted = tokens(quote)
        near = [w for w in wins if wanted and sum(t in w.tokens for t in wanted) >= FOUND_SHARE * len(wanted)]
        hits = [w.text for w in near if found(quote, w.text)]
        if not hits:
            out.append(f"{qid}: evidence not found in {doc}: {quote!r}")
        supporting += hits
    if supporting:
        joined = "\n".join(supporting)
        out += [f"{qid}: must_contain {m!r} is not on the evidence's page(s)" for m in must if not contains(joined, m)]
    return out


def check(paths: list[Path]) -> list[str]:
    out: list[str] = []
    for path in paths:
        rows = load_set(path)
        ids = Counter(q.get("id") for q in rows)
        out += [f"{path.name}: duplicate id {i}" for i, n in ids.items() if n > 1]
        for q in rows:
            out += [f"{path.name}: {p}" for p in problems(q)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "count"])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or set_paths()
    if args.command == "count":
        for path in paths:
            rows = load_set(path)
            types = Counter(q.get("type") for q in rows)
            sys.stdout.write(f"{path.name}: {len(rows)} questions; {dict(sorted(types.items()))}\n")
        return 0
    found_problems = check(paths)
    for p in found_problems:
        sys.stdout.write(p + "\n")
    total = sum(len(load_set(p)) for p in paths)
    sys.stdout.write(f"{total} questions checked, {len(found_problems)} problem(s)\n")
    return 1 if found_problems else 0


if __name__ == "__main__":
    sys.exit(main())
