"""A lexical (BM25) index over the ``chunks`` collection, for hybrid retrieval.

Chroma stays the single source of truth: this index is derived from it, saved under
``<index_dir>/lexical/<collection_prefix>`` and rebuilt when the Chroma generation stamp
(:meth:`ingest.store.Index.generation`) differs from the one it was built from. It is never
rebuilt per query; long-running readers call :meth:`LexicalIndex.refresh_if_stale` (or use
:class:`LiveLexicalIndex`) at most every :data:`REFRESH_INTERVAL_S` seconds.

The tokenizer keeps what council questions hinge on: sums of money (``£23.335m``),
financial years (``2024/25``), percentages, acronyms (``S151``, ``FS&S``) and hyphenated
terms, each also broken into the parts a question may use on its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import re
import shutil
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from ingest.settings import Settings
from ingest.store import Index
from ingest.text import STOP_WORDS as TEXT_STOP_WORDS

log = logging.getLogger(__name__)

TOKENIZER_VERSION = 2
"""Bump when :func:`tokenize` or :func:`terms` changes: saved indexes with another version are rebuilt."""
REFRESH_INTERVAL_S = 5.0
"""Least time between two generation checks by a long-running reader (one Chroma get by id)."""
BM25_METHOD = "lucene"
BM25_K1 = 1.5
BM25_B = 0.75
"""bm25s defaults. The Lucene IDF stays positive for every word; Robertson's (SQLite FTS5's)
is zero for a word in half the chunks or more, so in a small index (one uploaded report) its
key term would stop counting. Robertson with k1=1.2 ranked 2-3 questions of 126 better on the
bundled pack, within noise."""
LEXICAL_DIRNAME = "lexical"
CURRENT_FILE = "CURRENT"
"""Names the build folder in use; replaced atomically, so readers never see a half-written index."""
META_FILE = "lexical.json"
LOCK_FILE = ".lock"
BUILD_PREFIX = "build-"
TMP_PREFIX = "tmp-"
KEEP_BUILDS = 2
"""Builds kept on disk: the current one and the one before, which a reader may still be loading."""
STALE_TMP_S = 3600.0
"""A temporary build folder older than this was left by a crash and is removed."""

STOP_WORDS = TEXT_STOP_WORDS | frozenset(
    """
    but did do does had how into its their there these they those what when where which who whom whose why will
    """.split()  # noqa: SIM905 - a word list reads best as text
)
"""The shared stop words plus question words, which never decide what a passage is about. Small
on purpose: words such as "not", "no" and "all" change what a question asks."""

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‛": "'", "`": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"})
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_RAW = re.compile(r"[£$€]?[^\W_]+(?:[-/&.'][^\W_]+)*%?")
"""Word characters joined by - / & . ' (a trailing full stop or lone dash is not taken)."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# The look-behinds start a number where its digits start (searched from every digit of a long
# run, these were quadratic).
_NUMBER_WITH_SUFFIX = re.compile(r"(?<!\d)(\d+(?:\.\d+)?)([^\W\d_]+|%)")
_NUMERIC_SLASH = re.compile(r"(?<!\d)\d+(?:/\d+)+")
_YEAR = re.compile(r"\d{4}")
_HYPHEN_YEAR = re.compile(r"(\d{4})-(\d{2})")


def _fold(text: str) -> str:
    """NFKC, lower case, straight apostrophes, dashes as '-', thousands separators out."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_QUOTES)
    return _THOUSANDS.sub("", text)  # "£1,234,567" and "£1234567" are the same sum


def _number_tokens(word: str) -> list[str]:
    """Forms of a token that starts with a digit: '23.335m' → ['23.335m', '23.335'];
    '2024/25' → ['2024/25', '2024']; '4.99%' → ['4.99%', '4.99']."""
    if _NUMBER.fullmatch(word):
        return [word]
    if _NUMERIC_SLASH.fullmatch(word):
        parts = word.split("/")
        # "2025/2026" is the financial year papers also write "2025/26".
        short = [f"{parts[0]}/{parts[1][2:]}"] if len(parts) == 2 and all(_YEAR.fullmatch(p) for p in parts) else []
        return [word, *short, *(part for part in parts if _YEAR.fullmatch(part))]
    m = _NUMBER_WITH_SUFFIX.fullmatch(word)
    if m:
        return [word, m.group(1)]
    return [word]


def _word_tokens(word: str) -> list[str]:
    """Tokens of one hyphen-free piece."""
    if word[0].isdigit():
        return _number_tokens(word)
    if "/" in word or "." in word:
        # "and/or" and text glued at a full stop give their parts; "u.k" and "e.g" give "uk", "eg".
        parts = [p for p in re.split(r"[/.]", word) if p]
        if "/" not in word and all(len(p) == 1 for p in parts):
            return ["".join(parts)]
        return [t for p in parts for t in _word_tokens(p)]
    return [word]


def _expand(raw: str) -> list[str]:
    currency = raw[0] if raw[0] in "£$€" else ""
    word = raw[len(currency) :]
    if word.endswith("'s"):
        word = word[:-2]  # possessive: "council's" is "council"
    word = word.replace("'", "")  # "o'brien" → "obrien", the same on both sides of a search
    if not word:
        return []
    if "-" in word:
        parts = [p for p in word.split("-") if p]
        whole = [currency + word]
        m = _HYPHEN_YEAR.fullmatch(word)
        if m:
            whole.append(f"{m.group(1)}/{m.group(2)}")  # "2024-25" also as the usual "2024/25"
        return whole + [t for p in parts for t in _word_tokens(p)]
    if currency and word[0].isdigit():
        forms = _number_tokens(word)
        return [currency + forms[0], *forms]
    return _word_tokens(word)


def tokenize(text: str) -> list[str]:
    """Lower-case search tokens of ``text``, in order, with derived forms after each token.

    Sums of money, financial years, percentages and hyphenated words are kept whole and also
    split (``£23.335m`` → ``£23.335m 23.335m 23.335``); acronyms such as ``fs&s`` and
    ``s151`` stay whole; possessive 's is dropped; stop words are dropped, numbers never are.
    """
    out: list[str] = []
    for m in _RAW.finditer(_fold(text)):
        for token in _expand(m.group(0)):
            if token and (token[0].isdigit() or token not in STOP_WORDS):
                out.append(token)
    return out


_STEMMER = Stemmer.Stemmer("english")
"""Snowball's English stemmer (PyStemmer, the C implementation bm25s also uses): "planning",
"plans" and "planned" all become "plan", so a question and a passage meet however each inflects
a word. One stemmer for the lexical index and the answer scorer's features."""


TERMS_CACHE = 65536
"""Texts whose terms are kept: the same passages and sentences come back question after question."""


@functools.lru_cache(maxsize=TERMS_CACHE)
def terms(text: str) -> tuple[str, ...]:
    """The matching terms of ``text``: :func:`tokenize`'s tokens, words stemmed, numbers kept whole."""
    tokens = tokenize(text)
    words = [t for t in tokens if not t[:1].isdigit() and t[:1] not in "£$€"]
    stemmed = dict(zip(words, _STEMMER.stemWords(words), strict=True))
    return tuple(stemmed.get(t, t) for t in tokens)


def _unique(tokens: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


class LexicalIndex:
    """BM25 over the stored chunks: immutable once built, so readers can share it across
    threads; a refresh makes a new object instead of changing this one."""

    def __init__(self, model: bm25s.BM25 | None, ids: list[str], generation: str | None) -> None:
        self._model = model
        self.ids = ids
        self.generation = generation
        self._position = {chunk_id: i for i, chunk_id in enumerate(ids)}

    def __len__(self) -> int:
        return len(self.ids)

    # ---- building ------------------------------------------------------------------------
    @classmethod
    def build(cls, index: Index) -> LexicalIndex:
        """Index every stored chunk: its text, then its section and document titles once each."""
        started = time.perf_counter()
        # The stamp is read before the rows: a write landing in between makes the stamp older
        # than the content, never newer, so the next check rebuilds instead of trusting it.
        generation = index.generation()
        rows = index.get("chunks")
        corpus = [
            [
                *terms(row.text),
                *terms(str(row.metadata.get("section_title") or "")),
                *terms(str(row.metadata.get("doc_title") or "")),
            ]
            for row in rows
        ]
        model = None
        if rows:
            model = bm25s.BM25(k1=BM25_K1, b=BM25_B, method=BM25_METHOD)
            model.index(corpus, show_progress=False)
        log.info("lexical index built: %d chunks in %.0f ms", len(rows), (time.perf_counter() - started) * 1000)
        return cls(model, [row.id for row in rows], generation)

    # ---- searching -----------------------------------------------------------------------
    def search(self, query: str, k: int, allowed_ids: AbstractSet[str] | None = None) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, BM25 score) pairs, best first; only chunks sharing a token with
        the query, and only those in ``allowed_ids`` when it is given."""
        if self._model is None or k <= 0:
            return []
        # Each query term counts once: a repeated word in a question is not more important.
        token_ids = self._model.get_tokens_ids(_unique(terms(query)))
        if not token_ids:
            return []
        scores = np.asarray(self._model.get_scores_from_ids(token_ids), dtype=np.float64)
        if allowed_ids is None:
            candidates = np.arange(len(self.ids))
        else:
            candidates = np.array(sorted(self._position[i] for i in allowed_ids if i in self._position), dtype=int)
        if candidates.size == 0:
            return []
        cand_scores = scores[candidates]
        matched = cand_scores > 0
        candidates, cand_scores = candidates[matched], cand_scores[matched]
        if candidates.size > k:
            top = np.argpartition(-cand_scores, k - 1)[:k]
            candidates, cand_scores = candidates[top], cand_scores[top]
        # Ties go to the earlier chunk, so results do not depend on argpartition's order.
        order = np.lexsort((candidates, -cand_scores))
        return [(self.ids[candidates[i]], float(cand_scores[i])) for i in order]

    # ---- persistence ---------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        """Write this index as a new build under ``directory`` and make it current.

        The build is written to a temporary folder, renamed into place and then named in
        ``CURRENT`` by an atomic replace, so a crash never leaves a half-written index in use.
        Returns the build folder."""
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = directory / f"{TMP_PREFIX}{name}"
        tmp.mkdir()
        try:
            if self._model is not None:
                self._model.save(tmp, show_progress=False)
            meta = {
                "tokenizer_version": TOKENIZER_VERSION,
                "generation": self.generation,
                "ids": self.ids,
            }
            (tmp / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
            with _save_lock(directory):
                build = directory / f"{BUILD_PREFIX}{name}"
                tmp.rename(build)
                pointer = directory / f"{CURRENT_FILE}.{name}"
                pointer.write_text(build.name, encoding="utf-8")
                pointer.replace(directory / CURRENT_FILE)
                _remove_old_builds(directory, build.name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return build

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """The current build under ``directory``. Raises (OSError, ValueError, ...) when it is
        missing, unreadable or inconsistent; :meth:`load_or_build` turns that into a rebuild."""
        build = directory / (directory / CURRENT_FILE).read_text(encoding="utf-8").strip()
        if not build.name.startswith(BUILD_PREFIX) or build.parent != directory:
            raise ValueError(f"{directory / CURRENT_FILE} names no build folder")
        meta = json.loads((build / META_FILE).read_text(encoding="utf-8"))
        if meta.get("tokenizer_version") != TOKENIZER_VERSION:
            raise ValueError(f"built with tokenizer version {meta.get('tokenizer_version')}, not {TOKENIZER_VERSION}")
        ids = meta["ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("chunk ids are not a list of strings")
        model = None
        if ids:
            # Loaded into memory (no mmap), so removing this build later cannot affect a reader.
            model = bm25s.BM25.load(build, mmap=False, show_progress=False)
            _check_model(model, len(ids))
        return cls(model, ids, meta.get("generation"))

    @classmethod
    def load_or_build(cls, index: Index, settings: Settings) -> LexicalIndex:
        """The saved index if it was built from Chroma's current generation, else a new one
        built from Chroma and saved. Never raises for a bad saved index: it is rebuilt."""
        directory = lexical_dir(settings)
        generation = index.generation()
        if generation is None:
            # An index last written before generation stamps: nothing proves a saved build matches.
            log.info("the index has no generation stamp; building the lexical index in memory")
            return cls.build(index)
        if (directory / CURRENT_FILE).exists():
            try:
                loaded = cls.load(directory)
            except Exception as exc:  # any unreadable or inconsistent cache is rebuilt, never fatal
                log.warning("lexical index in %s could not be loaded (%s); rebuilding it", directory, exc)
            else:
                if loaded.generation == generation:
                    return loaded
                log.info("lexical index is stale (index changed since it was built); rebuilding it")
        built = cls.build(index)
        if built.generation is not None:
            try:
                built.save(directory)
            except OSError as exc:  # a read-only index folder still gets a working, unsaved index
                log.warning("lexical index could not be saved in %s (%s); using it unsaved", directory, exc)
        return built

    def refresh_if_stale(self, index: Index) -> LexicalIndex:
        """``self`` when Chroma's generation is the one this index was built from (one get by
        id), else the saved or rebuilt index for the current generation. Never modifies ``self``."""
        if index.generation() == self.generation:
            return self
        return LexicalIndex.load_or_build(index, index.settings)


class LiveLexicalIndex:
    """A lexical index for a long-running reader: checks the generation at most every
    ``interval_s`` seconds, and swaps in a new :class:`LexicalIndex` by one assignment, so a
    search running in another thread keeps using the object it started with."""

    def __init__(self, index: Index, interval_s: float = REFRESH_INTERVAL_S) -> None:
        self._index = index
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._current = LexicalIndex.load_or_build(index, index.settings)
        self._checked_at = time.monotonic()

    def current(self) -> LexicalIndex:
        """The index to search now; refreshed first when the interval has passed."""
        if time.monotonic() - self._checked_at >= self._interval_s and self._lock.acquire(blocking=False):
            # One thread refreshes; the others carry on with the object they already have.
            try:
                self._current = self._current.refresh_if_stale(self._index)
                self._checked_at = time.monotonic()
            finally:
                self._lock.release()
        return self._current

    def search(self, query: str, k: int, allowed_ids: AbstractSet[str] | None = None) -> list[tuple[str, float]]:
        return self.current().search(query, k, allowed_ids)

    def refresh_now(self) -> None:
        """Catch up with the index at once (after this process's own ingest), not within the interval."""
        with self._lock:
            self._current = self._current.refresh_if_stale(self._index)
            self._checked_at = time.monotonic()


def lexical_dir(settings: Settings) -> Path:
    """Where the lexical index of this Chroma collection set is saved (one per collection
    prefix, since several prefixes can share one Chroma server and one index folder)."""
    return settings.index_dir / LEXICAL_DIRNAME / settings.collection_prefix


@contextlib.contextmanager
def _save_lock(directory: Path) -> Iterator[None]:
    """Serialises the rename-point-clean-up step of concurrent savers (threads or processes)."""
    with open(directory / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_old_builds(directory: Path, current: str) -> None:
    builds = sorted(p.name for p in directory.iterdir() if p.name.startswith(BUILD_PREFIX) and p.is_dir())
    keep = set(builds[-KEEP_BUILDS:]) | {current}
    for name in builds:
        if name not in keep:
            shutil.rmtree(directory / name, ignore_errors=True)
    now = time.time()
    for path in directory.iterdir():
        if path.name.startswith(TMP_PREFIX) and now - path.stat().st_mtime > STALE_TMP_S:
            shutil.rmtree(path, ignore_errors=True)


def _check_model(model: bm25s.BM25, n_docs: int) -> None:
    """Raise ValueError unless the loaded BM25 arrays fit each other and the chunk ids."""
    scores = model.scores
    if scores.get("num_docs") != n_docs:
        raise ValueError(f"BM25 model holds {scores.get('num_docs')} documents, the id list {n_docs}")
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    # bm25s adds an empty-string token to the vocabulary that has no column of its own.
    top_token = max((int(v) for t, v in model.vocab_dict.items() if t), default=-1)
    if top_token >= len(indptr) - 1 or indptr[-1] != len(indices) or len(indices) != len(data):
        raise ValueError("BM25 arrays do not fit together")
    if len(indices) and (int(indices.max()) >= n_docs or int(indices.min()) < 0):
        raise ValueError("BM25 arrays name documents that do not exist")
