"""OCR of scanned pages: a page with no text layer is drawn as an image with pypdfium2 and read by
Tesseract (through pytesseract); the words it reads, each with its box and confidence, are put back
into lines in Tesseract's reading order (and, for tables, into rows laid out by position), with
low-confidence specks, stamps and signatures left out.

Everything is bounded, so a hostile scan cannot hang ingest or eat memory: the pages are drawn within
a pixel budget (``ocr_max_pixels``), and all PDFium and Tesseract work for one file runs in a worker
subprocess of its own (PDFium is not thread-safe, and a page that will not draw can only be stopped
by killing its process). Tesseract is killed after ``ocr_page_timeout_s`` per page, and the worker,
with its Tesseract, when the file's parse budget (``parse_timeout_s``) runs out.

The worker (:func:`worker_main`) returns Tesseract's raw TSV; turning it into text (:func:`read_tsv`)
happens here, so it is tested without Tesseract.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.ocr_cache import OcrCache
from ingest.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

INSTALL = "apt-get install tesseract-ocr tesseract-ocr-eng"
MSG_NO_TESSERACT = (
    "has no text layer (it looks like a scanned image); reading it needs OCR with Tesseract ({cmd}), which is not"
    f" installed: install Debian's tesseract-ocr and tesseract-ocr-eng ({INSTALL}) and try again"
)
MSG_NO_PYTESSERACT = (
    "has no text layer (it looks like a scanned image); reading it needs OCR, and the pytesseract package is not"
    " installed: pip install pytesseract"
)
MSG_OCR_OFF = "has no text layer (it looks like a scanned image), and OCR is turned off (SCRUTINEER_OCR_ENABLED=0)"
MSG_OCR_EMPTY = "has no text layer (it looks like a scanned image), and OCR found no words on its pages"
MSG_PAGE_TIMEOUT = (
    "OCR of page {page} took longer than {limit:g} s (SCRUTINEER_OCR_PAGE_TIMEOUT_S); the scan may be damaged"
    " or unusually large"
)
MSG_OCR_FAILED = "OCR of page {page} failed: {reason}"

#: Seconds allowed for the worker to start (Python, pypdfium2 and pytesseract imported) and open the file.
WORKER_START_S = 10.0
#: TSV level of one word (1 page, 2 block, 3 paragraph, 4 line, 5 word).
WORD_LEVEL = 5
#: Tokens made only of these are table rules, specks and scanner edges read as text ("|", "—", "_").
_NOISE_CHARS = frozenset("|[]{}()_~-—–=«»'\"`^*.,:;!¡/\\")
#: Paths from which a page without text or a scanned image is read by OCR all the same: its text was
#: turned into outlines, one path a glyph (a page of such text draws over a thousand; a rule or a logo few).
MIN_OUTLINES = 100
#: Longest hanging label ("17.", "(iv)", "b.") put back at the start of the line beside it.
LABEL_CHARS = 5
#: Gap between two words, in character widths, from which a layout row keeps their columns apart.
COLUMN_GAP_CHARS = 2.0


class OcrOutOfTime(Exception):
    """The file's parse budget ran out during OCR, at 1-based ``page``."""

    def __init__(self, page: int) -> None:
        super().__init__(page)
        self.page = page


@dataclass(frozen=True)
class Word:
    """One word as Tesseract read it."""

    text: str
    confidence: float
    """Tesseract's confidence that it read the word right, 0-100."""
    line: tuple[int, int, int]
    """(block, paragraph, line) numbers: which of Tesseract's lines it belongs to."""
    left: int
    top: int
    width: int
    height: int
    """Its box in the page image, in pixels."""


@dataclass(frozen=True)
class OcrPage:
    """The text OCR read on one page."""

    number: int
    """1-based page number in the PDF file."""
    text: str
    """Lines in Tesseract's reading order (blocks, then lines), words kept by confidence."""
    layout: str
    """The same words in rows by their position on the page, columns kept apart by spaces (for tables)."""
    confidence: float
    """Mean confidence (0-100) of the words kept; 0.0 when none were."""
    words: int
    """How many words were kept."""
    dropped: int
    """How many words were left out as low-confidence noise."""
    seconds: float
    """Time spent drawing the page and reading it."""


def unavailable(settings: Settings) -> str | None:
    """Why OCR cannot run (the message after "<file>: "), or None when it can."""
    if not settings.ocr_enabled:
        return MSG_OCR_OFF
    if importlib.util.find_spec("pytesseract") is None:
        return MSG_NO_PYTESSERACT
    if shutil.which(settings.ocr_tesseract_cmd) is None:
        return MSG_NO_TESSERACT.format(cmd=settings.ocr_tesseract_cmd)
    return None


def read_pages(
    path: Path, data: bytes, numbers: Sequence[int], always: Sequence[int], settings: Settings, deadline: float
) -> dict[int, OcrPage]:
    """OCR of the 1-based pages ``numbers`` of the PDF whose bytes are ``data`` (``path`` names it in
    messages), by ``time.monotonic()`` ``deadline``. Pages without an image covering
    ``ocr_min_image_share`` of them or :data:`MIN_OUTLINES` paths (blank pages) are not read and not
    returned, unless they are in ``always`` (pages that draw glyphs no reader can map to letters: OCR
    reads their shapes).

    Raises :class:`OcrOutOfTime` when the deadline passes, IngestError when a page takes longer than
    ``ocr_page_timeout_s`` or Tesseract fails. Call :func:`unavailable` first."""
    cmd = shutil.which(settings.ocr_tesseract_cmd) or settings.ocr_tesseract_cmd
    reader = {
        "lang": settings.ocr_language,
        "psm": settings.ocr_page_segmentation,
        "dpi": settings.ocr_dpi,
        "max_pixels": settings.ocr_max_pixels,
        "min_image_share": settings.ocr_min_image_share,
    }
    cache = OcrCache.open(settings.ocr_cache_dir, cmd, reader)
    sha = hashlib.sha256(data).hexdigest() if cache else ""
    kept = {n: cache.get(sha, n, n in always) for n in numbers} if cache else {}
    # A page from the cache took no time now.
    lines = [{**line, "seconds": 0.0} if "tsv" in line else line for line in kept.values() if line is not None]
    todo = [n for n in numbers if kept.get(n) is None]
    error, timed_out = "", False
    if todo:
        spec = {
            **reader,
            "pages": todo,
            "always": list(always),
            "cmd": cmd,
            "page_timeout_s": settings.ocr_page_timeout_s,
            "budget_s": max(deadline - time.monotonic(), 0.0),
        }
        # The worker's own limits should stop it first; this one catches a page PDFium cannot finish drawing.
        limit = min(deadline - time.monotonic(), WORKER_START_S + settings.ocr_page_timeout_s * len(todo))
        read, error, timed_out = _run_worker(spec, data, max(limit, 0.0))
        for line in read:
            if cache and "error" not in line:
                cache.put(sha, int(line["page"]), int(line["page"]) in always, line)
        lines += read
    if len(todo) < len(numbers):
        logger.info("%s: %d page(s) of OCR from the cache in %s", path.name, len(numbers) - len(todo), cache.folder)
    results: dict[int, OcrPage] = {}
    done: set[int] = set()
    for line in sorted(lines, key=lambda line: numbers.index(int(line["page"]))):
        number = int(line["page"])
        if "error" in line:
            if line["error"] == "timeout":
                if time.monotonic() >= deadline - 0.5:
                    raise OcrOutOfTime(number)
                raise IngestError(path, MSG_PAGE_TIMEOUT.format(page=number, limit=settings.ocr_page_timeout_s))
            raise IngestError(path, MSG_OCR_FAILED.format(page=number, reason=_first_line(str(line["error"]))))
        done.add(number)
        if "tsv" in line:
            page = read_tsv(number, line["tsv"], settings.ocr_min_confidence, float(line["seconds"]))
            results[number] = page
            logger.info(
                "%s: page %d read by OCR in %.1f s: %d words, mean confidence %.0f (%d dropped)",
                path.name,
                number,
                page.seconds,
                page.words,
                page.confidence,
                page.dropped,
            )
    pending = [n for n in numbers if n not in done]
    if timed_out:
        page = pending[0] if pending else numbers[-1]
        if time.monotonic() >= deadline - 0.5:
            raise OcrOutOfTime(page)
        raise IngestError(path, MSG_PAGE_TIMEOUT.format(page=page, limit=settings.ocr_page_timeout_s))
    if pending:
        raise IngestError(path, MSG_OCR_FAILED.format(page=pending[0], reason=error or "the OCR worker stopped"))
    return results


def _run_worker(spec: dict[str, Any], data: bytes, timeout: float) -> tuple[list[dict[str, Any]], str, bool]:
    """(the worker's JSON lines, the last line of its error output, whether it was killed for time)."""
    env = {
        **os.environ,
        # Tesseract's OpenMP threads fight over a small machine's cores: one thread per page read
        # 2.5 times faster than the default on two busy cores.
        "OMP_THREAD_LIMIT": "1",
        # The worker imports this module whether or not the project is installed.
        "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    command = [sys.executable, "-c", "from ingest.ocr import worker_main; worker_main()", json.dumps(spec)]
    # A session of its own, so the worker and the Tesseract it started are stopped together.
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    timed_out = False
    try:
        try:
            out, err = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait()
    lines = [json.loads(line) for line in out.decode("utf-8", "replace").splitlines() if line.startswith("{")]
    errors = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    if proc.returncode not in (0, None) and not timed_out:
        logger.debug("OCR worker exited with %s: %s", proc.returncode, "\n".join(errors[-20:]))
    return lines, errors[-1] if errors else "", timed_out


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no reason given"


# --- from Tesseract's words to text --------------------------------------------------------------


def parse_tsv(tsv: str) -> list[Word]:
    """The words of Tesseract's TSV output (``image_to_data``), in its order."""
    words = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t", 11)
        if len(cells) < 12 or cells[0] != str(WORD_LEVEL) or not cells[11].strip():
            continue
        words.append(
            Word(
                text=cells[11].strip(),
                confidence=float(cells[10]),
                line=(int(cells[2]), int(cells[3]), int(cells[4])),
                left=int(cells[6]),
                top=int(cells[7]),
                width=int(cells[8]),
                height=int(cells[9]),
            )
        )
    return words


def _is_noise(word: Word, min_confidence: float) -> bool:
    return word.confidence < min_confidence or all(c in _NOISE_CHARS for c in word.text)


def read_tsv(number: int, tsv: str, min_confidence: float, seconds: float = 0.0) -> OcrPage:
    """Page ``number``'s text from Tesseract's TSV, words under ``min_confidence`` left out."""
    words = parse_tsv(tsv)
    kept = [w for w in words if not _is_noise(w, min_confidence)]
    return OcrPage(
        number=number,
        text=_reading_order(kept),
        layout=_layout(kept),
        confidence=round(statistics.fmean(w.confidence for w in kept), 1) if kept else 0.0,
        words=len(kept),
        dropped=len(words) - len(kept),
        seconds=round(seconds, 2),
    )


def _reading_order(words: list[Word]) -> str:
    """One text line per Tesseract line, in its order (it reads a page's columns one after the other),
    except that a hanging label ("17.", "b.") that Tesseract read as a column of its own goes back at
    the start of the line beside it, so a minute item keeps its number."""
    lines: list[list[Word]] = []
    for word in words:
        if not lines or word.line != lines[-1][0].line:
            lines.append([])
        lines[-1].append(word)
    blocks: dict[int, list[list[Word]]] = {}
    for line in lines:
        blocks.setdefault(line[0].line[0], []).append(line)
    labels = {
        id(line)
        for block in blocks.values()
        if all(len(line) == 1 and len(line[0].text) <= LABEL_CHARS for line in block)
        for line in block
    }
    texts = {id(line): " ".join(w.text for w in line) for line in lines}
    moved: set[int] = set()
    for line in lines:
        if id(line) not in labels:
            continue
        label = line[0]
        middle = label.top + label.height / 2
        beside = [
            other
            for other in lines
            if id(other) not in labels
            and other[0].left > label.left + label.width
            and min(w.top for w in other) <= middle <= max(w.top + w.height for w in other)
        ]
        if beside:
            target = min(beside, key=lambda other: other[0].left)
            texts[id(target)] = f"{label.text} {texts[id(target)]}"
            moved.add(id(line))
    return "\n".join(texts[id(line)] for line in lines if id(line) not in moved)


def _layout(words: list[Word]) -> str:
    """The words in rows by height on the page, left to right, a wide gap kept as spaces at the word's
    column (so a table's cells on one row line up as pypdf's layout mode lines them up)."""
    if not words:
        return ""
    char_width = max(statistics.median(w.width / len(w.text) for w in words), 1.0)
    # Tesseract's lines (a table's cells are often lines of their own) joined into rows when one's
    # middle lies within the height of the row's first.
    by_line: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    spans = sorted(by_line.values(), key=lambda ws: min(w.top + w.height / 2 for w in ws))
    rows: list[tuple[float, float, list[Word]]] = []
    for span in spans:
        top = min(w.top for w in span)
        bottom = max(w.top + w.height for w in span)
        middle = (top + bottom) / 2
        if rows and rows[-1][0] <= middle <= rows[-1][1]:
            rows[-1][2].extend(span)
        else:
            rows.append((top, bottom, list(span)))
    out = []
    for _, _, row in rows:
        text = ""
        right = None
        for word in sorted(row, key=lambda w: w.left):
            if right is not None and (word.left - right) / char_width < COLUMN_GAP_CHARS:
                text += " "
            elif text:
                text = text.ljust(max(round(word.left / char_width), len(text) + int(COLUMN_GAP_CHARS)))
            else:
                text = " " * round(word.left / char_width)
            text += word.text
            right = word.left + word.width
        out.append(text.rstrip())
    return "\n".join(out)


# --- the worker --------------------------------------------------------------------------------


def worker_main() -> None:
    """Read the PDF's bytes from stdin and OCR the pages the JSON spec (``sys.argv[1]``) names, writing
    one JSON line per page: ``{"page", "tsv", "seconds", "scale"}``, ``{"page", "skipped"}`` (no image
    to read) or ``{"page", "error"}`` (then it stops). Runs in its own process: see :func:`read_pages`."""
    import pypdfium2 as pdfium
    import pytesseract

    spec = json.loads(sys.argv[1])
    deadline = time.monotonic() + float(spec["budget_s"])
    pytesseract.pytesseract.tesseract_cmd = spec["cmd"]
    pdf = pdfium.PdfDocument(sys.stdin.buffer.read())
    for number in spec["pages"]:
        started = time.monotonic()
        page = pdf[number - 1]
        share, outlines = _drawn(page)
        if number not in spec["always"] and share < float(spec["min_image_share"]) and outlines < MIN_OUTLINES:
            _emit({"page": number, "skipped": round(share, 3)})
            continue
        width, height = page.get_size()
        scale = fitted_scale(width, height, float(spec["dpi"]) / 72, int(spec["max_pixels"]))
        image = page.render(scale=scale, grayscale=True).to_pil()
        page.close()
        now = time.monotonic()
        limit = min(float(spec["page_timeout_s"]) - (now - started), deadline - now)
        if limit <= 0:
            _emit({"page": number, "error": "timeout"})
            return
        try:
            tsv = pytesseract.image_to_data(image, lang=spec["lang"], config=f"--psm {int(spec['psm'])}", timeout=limit)
        except RuntimeError as err:  # pytesseract's "Tesseract process timeout", after killing it
            _emit({"page": number, "error": "timeout" if "timeout" in str(err) else str(err)})
            return
        except pytesseract.TesseractError as err:
            _emit({"page": number, "error": str(err.message) or f"tesseract exited with {err.status}"})
            return
        _emit({"page": number, "tsv": tsv, "seconds": time.monotonic() - started, "scale": scale})


def _emit(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def fitted_scale(width: float, height: float, scale: float, max_pixels: int) -> float:
    """``scale`` (pixels per point), or the largest smaller one at which a ``width`` × ``height`` point
    page is drawn in at most ``max_pixels`` pixels (PDFium rounds each side up, hence the +1s)."""
    if width <= 0 or height <= 0 or (width * scale + 1) * (height * scale + 1) <= max_pixels:
        return scale
    area, sides = width * height, width + height
    fit = (-sides + math.sqrt(sides * sides + 4 * area * (max_pixels - 1))) / (2 * area)
    return max(fit * (1 - 1e-9), 1e-6)  # a hair under, so rounding cannot take it over the budget


def _drawn(page: Any) -> tuple[float, int]:
    """(share of the page its images cover, summed and at most 1: a scan is one image, or strips of one;
    how many paths it draws: text turned into outlines is one path a glyph)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    covered, paths = 0.0, 0
    for obj in page.get_objects(max_depth=4):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            # get_bounds in pypdfium2 5, get_pos before.
            left, bottom, right, top = (obj.get_bounds if hasattr(obj, "get_bounds") else obj.get_pos)()
            covered += max(right - left, 0) * max(top - bottom, 0)
    return (min(covered / (width * height), 1.0) if width > 0 and height > 0 else 0.0), paths
