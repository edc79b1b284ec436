"""PDF → pages: open a PDF with pypdf, extract each page's text twice (reading order
and layout), and clean it up.

Clean-up, in order:

* odd characters: no-break and other odd spaces become plain spaces, zero-width
  characters go, symbol-font bullets become ``•``;
* page-number lines at the top or bottom of a page (``Page 12``, ``- 12 -``,
  ``Page 12 of 40``, ``12 | Page``; a bare ``12`` only when the numbers run in
  sequence from page to page, so a table's last cell is not mistaken for one);
* running headers and footers: lines (digits ignored) that stand among the first
  or last two lines of at least half the pages, and of at least three;
* in the reading-order text only, words split by a hyphen at a line break are
  rejoined; the hyphen is kept when the document shows the word hyphenated
  elsewhere or the word looks like a real compound (``step-down``, ``non-statutory``).

Pages with no text layer that draw an image (scans) are read by OCR (:mod:`ingest.ocr`), inside
the same time budget. Errors a person can act on (missing, empty, not a PDF, damaged, malformed,
password, a scan that cannot be read by OCR, too large or too slow to read) are raised as
:class:`~ingest.errors.IngestError`.

Reading is bounded by settings, so a hostile file cannot hang ingest or eat memory: a page
count limit checked before any page is read, a per-page and a per-file text limit checked
while pypdf produces the text (so a page holding megabytes of text is stopped after its first
``max_page_chars`` characters, not parsed to the end), and a time budget checked at every
content-stream operator and at every page of the clean-up, whose steps all run in time linear in
the text. pypdf itself caps decompression, page-tree depth and cycles.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfReadError, PdfStreamError
from pypdf.generic import ArrayObject, IndirectObject

from ingest import ocr
from ingest.errors import IngestError
from ingest.models import Page
from ingest.settings import Settings

logger = logging.getLogger(__name__)

#: The signature every PDF starts with; readers accept it anywhere in the first KiB.
PDF_SIGNATURE = b"%PDF-"
SIGNATURE_WINDOW = 1024
#: Bytes read at a time when hashing.
HASH_BLOCK = 1 << 20

#: A running header/footer must stand at the edge of at least this share of pages...
RUNNING_MIN_SHARE = 0.5
#: ...and of at least this many pages (so a two-page letter keeps its lines).
RUNNING_MIN_PAGES = 3
#: How many non-blank lines at each edge of a page may be a running header/footer.
RUNNING_EDGE_LINES = 2
#: Most lines stripped from one edge of a page (header + page number + second header line).
MAX_EDGE_STRIP = 4
#: How deep into each edge a bare page number is looked for when checking the sequence.
NUMBER_EDGE_LINES = 3

# Messages shown to the user after "<file name>: ".
MSG_NOT_FOUND = "file not found"
MSG_NOT_A_FILE = "is a folder, not a PDF file"
MSG_UNREADABLE = "cannot be read ({reason})"
MSG_EMPTY = "is empty (0 bytes); it may not have finished downloading"
MSG_NOT_PDF = "is not a PDF file{kind}; only PDFs can be ingested"
MSG_DAMAGED = "is damaged or incomplete and cannot be read as a PDF; try downloading or saving it again"
MSG_NO_PAGES = "is damaged: it has no pages that can be read; try downloading or saving it again"
MSG_PAGE_DAMAGED = "is damaged: the text of page {page} cannot be read; try downloading or saving it again"
MSG_PASSWORD = "is protected by a password; remove the password and try again"
MSG_NEEDS_CRYPTO = (
    "is encrypted with a method that needs the 'cryptography' Python package, which is not installed; "
    "install it, or save the PDF without encryption, and try again"
)
MSG_NO_TEXT = "has no text: its pages hold neither a text layer nor a scanned image to read"
MSG_LOOP = "is malformed: its page tree refers back to itself; save it again from the program that made it"
MSG_TOO_DEEP = (
    "is malformed: its objects are nested too deeply to be read safely; save it again from the program that made it"
)
MSG_TOO_MANY_PAGES = (
    "has {count:,} pages, more than the {limit:,} allowed (SCRUTINEER_MAX_PAGES); split it or raise the limit"
)
MSG_PAGE_TOO_LONG = (
    "page {page} holds more than {limit:,} characters of text, far more than a printed page can"
    " (SCRUTINEER_MAX_PAGE_CHARS); it may be damaged or machine-generated"
)
MSG_FILE_TOO_LONG = (
    "holds more than {limit:,} characters of text (stopped at page {page}; SCRUTINEER_MAX_FILE_CHARS);"
    " split it or raise the limit"
)
MSG_TOO_SLOW = (
    "took longer than {limit:g} s to read (stopped at page {page} of {count}; SCRUTINEER_PARSE_TIMEOUT_S);"
    " it may be damaged or unusually complex"
)
MSG_PAGE_TREE_TOO_BIG = (
    "has more pages than can be counted safely (pypdf: {reason}), far more than the {limit:,} allowed"
    " (SCRUTINEER_MAX_PAGES); split it"
)
MSG_TOO_BIG_TO_READ = (
    "is too large to read safely (pypdf: {reason}); split it, or save it again from the program that made it"
)
MSG_PAGE_TOO_BIG_TO_READ = (
    "page {page} is too large to read safely (pypdf: {reason}); it may be damaged or a very detailed drawing"
)
MSG_PAGE_CONTENT_TOO_BIG = (
    "page {page} carries more than {limit:g} MB of drawing instructions (SCRUTINEER_MAX_PAGE_CONTENT_MB), too"
    " much to read safely; it may be damaged or a very detailed drawing — raise the limit if it is genuine"
)
#: Bytes of drawing instructions from which a page without text may hold text drawn as outlines (a
#: hundred glyph outlines take several KB; a rule or a box a few dozen bytes).
MIN_OUTLINE_BYTES = 1000
#: Content-stream operators between two looks at the clock (a clock read per operator is waste).
CLOCK_EVERY_OPS = 256

#: File signatures of things people save under a .pdf name by mistake.
_SNIFF: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a Word, Excel or other zipped file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Word or Excel file"),
    (b"{\\rtf", "a Rich Text file"),
)

# Spaces pdf producers emit that should read as a plain space (tabs too: they only
# separate words in extracted text), and invisible characters that should not be there.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
#: Symbol/Wingdings bullets that arrive as private-use code points.
_SYMBOL_BULLETS = {"\uf0b7": "•", "\uf0a7": "•", "\uf0d8": "•", "\uf076": "•", "\uf0fc": "✓"}
#: What a font without a usable map to Unicode yields instead of letters: raw glyph codes (NUL and
#: the other control characters that are not white space), U+FFFD, and U+25A1, pypdf's stand-in
#: for a .notdef glyph. Control characters never belong in text and are dropped wherever they stand.
_CONTROL = "".join(c for c in map(chr, [*range(32), 127]) if not c.isspace())
_UNREADABLE = _CONTROL + "\ufffd\u25a1"
_DROP_UNREADABLE = str.maketrans(dict.fromkeys(_UNREADABLE, None))
#: A page (or line) whose visible characters are more than this share unreadable has no text layer
#: to speak of: indexing it would store glyph codes as words, and the first line as a title.
UNREADABLE_SHARE = 0.5
_TRANSLATE = str.maketrans(
    {**dict.fromkeys(_SPACES, " "), **dict.fromkeys(_INVISIBLE + _CONTROL, None), **_SYMBOL_BULLETS}
)
SOFT_HYPHEN = "\u00ad"

_DASH = r"[-–—]"
#: Lines that can only be a page number: "Page 12", "Page 12 of 40", "Page | 12",
#: "12 | Page", "- 12 -", "12 of 40", "p. 12". Groups "n" and "of" carry the numbers.
_PAGE_LABEL = re.compile(
    rf"""^(?:
        (?:page|pg\.?|p\.)\s*[|:]?\s*(?P<n>\d+)(?:\s*(?:of|/)\s*(?P<of>\d+))?
      | (?P<n2>\d+)\s*\|\s*page
      | {_DASH}\s*(?P<n3>\d+)\s*{_DASH}
      | (?P<n4>\d+)\s*(?:of|/)\s*(?P<of4>\d+)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
_DIGITS = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
# The look-behinds below start a letter run only where one begins: without them a search tries
# every letter of a long word and scans the rest of it from each, quadratic time (a 30,000-letter
# word took 40 s of CPU after the parse budget had been checked for the last time).
#: A hyphenated word inside a line, e.g. "step-down", "need-to-know".
_COMPOUND = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:-[^\W\d_]+)+")
#: A line that ends in a letter and a hyphen: group 1 is the word part before it.
_BREAK_END = re.compile(r"(?<![^\W\d_])([^\W\d_]+)-$")
#: The start of the next line when it continues a word: a lower-case letter run.
_BREAK_START = re.compile(r"^([^\W\d_]+)")

#: Prefixes normally written with a hyphen in British English; a line-break hyphen
#: after one is kept unless the document spells the joined word solid elsewhere.
COMPOUND_PREFIXES = frozenset(
    {"anti", "co", "cross", "de", "ex", "multi", "non", "post", "pre", "re", "self", "semi", "sub", "well"}
)


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(HASH_BLOCK), b""):
                digest.update(block)
    except FileNotFoundError:
        raise IngestError(path, MSG_NOT_FOUND) from None
    return digest.hexdigest()


def read_file(path: Path) -> bytes:
    """All the bytes of the file at ``path``, read once: ingest hashes and parses this one copy,
    so the hash it records always describes the bytes it parsed. (pypdf reads the whole file
    into memory anyway.)"""
    path = Path(path)
    try:
        if path.is_dir():
            raise IngestError(path, MSG_NOT_A_FILE)
        return path.read_bytes()
    except FileNotFoundError:
        raise IngestError(path, MSG_NOT_FOUND) from None
    except PermissionError:
        raise IngestError(path, MSG_UNREADABLE.format(reason="permission denied")) from None
    except OSError as err:
        raise IngestError(path, MSG_UNREADABLE.format(reason=err.strerror or type(err).__name__)) from None


def extract_pages(
    path: Path,
    settings: Settings | None = None,
    data: bytes | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> list[Page]:
    """Extract and clean the text of every page of the PDF at ``path`` (or of ``data``, the
    file's bytes already read; ``path`` then only names the file in messages).

    Raises :class:`IngestError` when the file is missing, empty, not a PDF, damaged or
    malformed, needs a password, has no text layer at all, or exceeds the limits in
    ``settings`` (pages, text per page and per file, seconds). Pages without text (a blank
    or image-only page inside a text PDF) are returned with empty text. ``on_page(n, count)``
    is called after each page is read.
    """
    path = Path(path)
    settings = settings or Settings()
    started = time.perf_counter()
    if data is None:
        data = read_file(path)
    _check_head(path, data[:SIGNATURE_WINDOW])
    with _quiet_pypdf():
        reader = _open(path, data)
        count = _page_count(path, reader, settings.max_pages)
        budget = _Budget(path, settings, count)
        raw = []
        for index in range(count):
            raw.append(_extract_page(path, reader, index, budget))
            if on_page is not None:
                on_page(index + 1, count)  # pages read so far, of the file's pages
    extracted = time.perf_counter()

    unreadable = {i for i, (text, _) in enumerate(raw) if _mostly_unreadable(text)}
    if unreadable:
        # Treated like a scanned page (OCR, when there is one, is what would read it).
        numbers = _numbers(sorted(i + 1 for i in unreadable))
        logger.info("%s: page(s) %s hold mostly unreadable glyphs; treated as having no text layer", path.name, numbers)
        raw = [("", "") if i in unreadable else pair for i, pair in enumerate(raw)]
    read = _ocr(path, data, reader, raw, {i + 1 for i in unreadable}, settings, budget)
    raw = [(read[i + 1].text, read[i + 1].layout) if i + 1 in (read or {}) else pair for i, pair in enumerate(raw)]
    texts = _clean_document([text for text, _ in raw], budget, reading_order=True)
    layouts = _clean_document([layout for _, layout in raw], budget, reading_order=False)
    pages = [
        Page(
            number=i + 1,
            text=text,
            layout=layout,
            ocr_confidence=read[i + 1].confidence if read and i + 1 in read else None,
        )
        for i, (text, layout) in enumerate(zip(texts, layouts, strict=True))
    ]
    if not any(page.text.strip() for page in pages):
        raise IngestError(path, MSG_NO_TEXT if read is None else ocr.MSG_OCR_EMPTY)
    empty = [page.number for page in pages if not page.text.strip()]
    if empty:
        logger.info("%s: no text on page(s) %s", path.name, _numbers(empty))
    logger.debug(
        "%s: %d pages extracted in %.2f s, cleaned in %.2f s",
        path.name,
        len(pages),
        extracted - started,
        time.perf_counter() - extracted,
    )
    return pages


def _ocr(
    path: Path,
    data: bytes,
    reader: PdfReader,
    raw: list[tuple[str, str]],
    unreadable: set[int],
    settings: Settings,
    budget: _Budget,
) -> dict[int, ocr.OcrPage] | None:
    """OCR, within the file's parse budget, of the pages without text that draw an image (scans)
    and of the pages whose glyphs cannot be read (drawn in a font with no map to Unicode): what it
    read, by page number, or None when there was nothing to read. Without OCR a file that is all
    scan is refused (saying why), and a text file's scanned pages are left empty, as before OCR."""
    blank = [i + 1 for i, (text, _) in enumerate(raw) if not text.strip()]
    with _quiet_pypdf():
        scanned = [n for n in blank if n in unreadable or _may_be_scanned(reader.pages[n - 1])]
    if not scanned:
        return None
    why_not = ocr.unavailable(settings)
    if why_not is not None:
        if len(blank) == len(raw):
            raise IngestError(path, why_not)
        logger.warning("%s: page(s) %s look scanned and are left empty: %s", path.name, _numbers(scanned), why_not)
        return None
    started = time.monotonic()
    try:
        read = ocr.read_pages(path, data, scanned, sorted(unreadable), settings, budget.deadline)
    except ocr.OcrOutOfTime as err:
        budget.page = err.page
        raise IngestError(path, MSG_TOO_SLOW.format(limit=budget.timeout_s, page=err.page, count=len(raw))) from None
    words = sum(page.words for page in read.values())
    logger.info(
        "%s: %d page(s) read by OCR in %.1f s, %d words, mean confidence %.0f",
        path.name,
        len(read),
        time.monotonic() - started,
        words,
        sum(page.confidence * page.words for page in read.values()) / max(words, 1),
    )
    return read


def _may_be_scanned(page: PageObject) -> bool:
    """Whether a page without text draws an image, or more than a few lines and boxes (text drawn as
    outlines): one that does neither cannot be read by OCR, so it costs none. (The OCR worker looks
    closer, with PDFium.) Odd resources are given the benefit of the doubt."""
    try:
        if any(xobject.get("/Subtype") == "/Image" for xobject in _xobjects(page)):
            return True
        size = 0
        for stream in _content_streams(page):
            size += len(stream.get_data()) if hasattr(stream, "get_data") else 0
            if size > MIN_OUTLINE_BYTES:
                return True
        return False
    except Exception as err:
        logger.debug("could not look for images on a page: %r", err)
        return True


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))


def _mostly_unreadable(text: str) -> bool:
    """Whether more than :data:`UNREADABLE_SHARE` of the visible characters of ``text`` are
    unreadable glyphs (see :data:`_UNREADABLE`). Counted with C-speed string methods: pages are long."""
    visible = len("".join(text.split()))
    return visible > 0 and len(text) - len(text.translate(_DROP_UNREADABLE)) > UNREADABLE_SHARE * visible


# --- opening -----------------------------------------------------------------


def _check_head(path: Path, head: bytes) -> None:
    """Catch the mistakes that need no PDF parser (from the file's first bytes), with messages to match."""
    if not head:
        raise IngestError(path, MSG_EMPTY)
    if PDF_SIGNATURE not in head:
        raise IngestError(path, MSG_NOT_PDF.format(kind=_describe(head)))


def _describe(head: bytes) -> str:
    """What a non-PDF file looks like, for the error message (" (it looks like …)")."""
    stripped = head.lstrip()
    for signature, kind in _SNIFF:
        if stripped.startswith(signature):
            return f" (it looks like {kind})"
    if stripped[:1] == b"<" and b"html" in stripped[:200].lower():
        return " (it looks like a web page)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return " (it looks like plain text)"


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every oddity it repairs in a real-world file; only
    errors matter here, so its logger is lowered to ERROR while we read."""
    pypdf_logger = logging.getLogger("pypdf")
    previous = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        pypdf_logger.setLevel(previous)


def _malformed(err: BaseException, too_big: Callable[..., str]) -> str | None:
    """The message for a file built so that reading it loops or recurses (pypdf detects page-tree
    cycles and depth; a RecursionError may sit under its generic read error), or that reaches
    another of pypdf's limits (objects, tokens, decompressed bytes): ``too_big(reason=<the limit>)``,
    since that file is too large to read, not damaged. None for anything else."""
    seen: BaseException | None = err
    while seen is not None:
        text = str(seen).lower()
        if isinstance(seen, RecursionError) or (isinstance(seen, LimitReachedError) and "depth" in text):
            return MSG_TOO_DEEP
        if isinstance(seen, PdfReadError | LimitReachedError) and ("cycl" in text or "loop" in text):
            return MSG_LOOP
        if isinstance(seen, LimitReachedError):
            return too_big(reason=text.strip().rstrip("."))
        seen = seen.__cause__ or seen.__context__
    return None


def _open(path: Path, data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            # The empty password opens owner-password-only files (no restriction on
            # reading); anything else needs a password we do not have.
            raise IngestError(path, MSG_PASSWORD)
    except IngestError:
        raise
    except DependencyError:
        raise IngestError(path, MSG_NEEDS_CRYPTO) from None
    except (PdfStreamError, PdfReadError) as err:
        logger.debug("%s: pypdf could not open it: %r", path.name, err)
        raise IngestError(path, _malformed(err, MSG_TOO_BIG_TO_READ.format) or MSG_DAMAGED) from err
    except Exception as err:
        # pypdf also lets plain ValueError/KeyError/RecursionError/... escape on damaged files;
        # they mean the same to the user. KeyboardInterrupt is not an Exception, so it passes.
        logger.debug("%s: pypdf failed while opening it: %r", path.name, err)
        raise IngestError(path, _malformed(err, MSG_TOO_BIG_TO_READ.format) or MSG_DAMAGED) from err
    return reader


def _page_count(path: Path, reader: PdfReader, max_pages: int) -> int:
    try:
        count = len(reader.pages)
    except FileNotDecryptedError:
        raise IngestError(path, MSG_PASSWORD) from None
    except DependencyError:
        raise IngestError(path, MSG_NEEDS_CRYPTO) from None
    except Exception as err:
        logger.debug("%s: pypdf could not read the page tree: %r", path.name, err)
        # Counting reads only the page tree: a limit reached there is a tree of too many pages.
        too_many = functools.partial(MSG_PAGE_TREE_TOO_BIG.format, limit=max_pages)
        raise IngestError(path, _malformed(err, too_many) or MSG_DAMAGED) from err
    if count == 0:
        raise IngestError(path, MSG_NO_PAGES)
    if count > max_pages:
        raise IngestError(path, MSG_TOO_MANY_PAGES.format(count=count, limit=max_pages))
    return count


class _Budget:
    """The limits on reading one file, checked from inside pypdf's text extraction through its
    visitor callbacks, so an oversized or endless page is stopped part-way, not read to the end."""

    def __init__(self, path: Path, settings: Settings, page_count: int) -> None:
        self.path = path
        self.page_count = page_count
        self.max_page_chars = settings.max_page_chars
        self.max_file_chars = settings.max_file_chars
        self.timeout_s = settings.parse_timeout_s
        self.max_content_bytes = int(settings.max_page_content_mb * 1_000_000)
        self.deadline = time.monotonic() + settings.parse_timeout_s
        self.file_chars = 0
        self.page = 0
        self.page_chars = 0
        self.ops = 0

    def start_page(self, number: int) -> None:
        self.page = number
        self.page_chars = 0
        self.check_clock()

    def check_clock(self) -> None:
        if time.monotonic() >= self.deadline:
            raise IngestError(
                self.path, MSG_TOO_SLOW.format(limit=self.timeout_s, page=self.page, count=self.page_count)
            )

    def each_page(self, items: list[Any]) -> Iterator[Any]:
        """``items`` (one per page), the clock checked before each: clean-up spends the same budget."""
        for number, item in enumerate(items, start=1):
            self.page = number
            self.check_clock()
            yield item

    def check_content(self, page: PageObject) -> None:
        """Refuse a page whose drawing instructions (its content streams and the forms it draws)
        are too large to parse: pypdf parses them whole before the first operator can be checked,
        in time and memory that grow with their size. Stops adding up as soon as the cap is passed."""
        total = 0
        try:
            for stream in _content_streams(page):
                try:
                    total += len(stream.get_data()) if hasattr(stream, "get_data") else 0
                except LimitReachedError:
                    total += self.max_content_bytes + 1  # it decompresses past pypdf's own cap (75 MB)
                if total > self.max_content_bytes:
                    break
        except Exception as err:
            # An odd or broken entry is left to text extraction, which has always judged it.
            logger.debug("%s: could not size the content of page %d: %r", self.path.name, self.page, err)
            return
        if total > self.max_content_bytes:
            raise IngestError(
                self.path, MSG_PAGE_CONTENT_TOO_BIG.format(page=self.page, limit=self.max_content_bytes / 1_000_000)
            )

    def on_operator(self, *_: object) -> None:
        self.ops += 1
        if self.ops % CLOCK_EVERY_OPS == 0:
            self.check_clock()

    def on_text(self, text: str, *_: object) -> None:
        self.page_chars += len(text)
        self.file_chars += len(text)
        if self.page_chars > self.max_page_chars:
            raise IngestError(self.path, MSG_PAGE_TOO_LONG.format(page=self.page, limit=self.max_page_chars))
        if self.file_chars > self.max_file_chars:
            raise IngestError(self.path, MSG_FILE_TOO_LONG.format(page=self.page, limit=self.max_file_chars))


def _content_streams(page: PageObject) -> Iterator[Any]:
    """The page's content streams, then every form XObject it can draw, however deeply nested."""
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, ArrayObject):
        yield from (item.get_object() for item in contents)
    elif contents is not None:
        yield contents
    yield from (xobject for xobject in _xobjects(page) if xobject.get("/Subtype") == "/Form")


def _xobjects(page: PageObject) -> Iterator[Any]:
    """Every XObject (form or image) the page can draw, however deeply nested: a form's own resources
    may name more forms (a form in a form passed the content limit when only the first level was
    counted). Each is visited once, so forms that name each other end."""
    seen: set[Any] = set()
    pending = [page.get("/Resources")]
    while pending:
        resources = pending.pop()
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        for ref in xobjects.get_object().values() if xobjects is not None else ():
            xobject = ref.get_object()
            key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(xobject)
            if key in seen:
                continue
            seen.add(key)
            yield xobject
            if xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))


def _extract_page(path: Path, reader: PdfReader, index: int, budget: _Budget) -> tuple[str, str]:
    """(plain text, layout text) of one page, before clean-up."""
    budget.start_page(index + 1)
    try:
        page = reader.pages[index]
        budget.check_content(page)
        text = page.extract_text(visitor_operand_before=budget.on_operator, visitor_text=budget.on_text)
    except IngestError:
        raise
    except FileNotDecryptedError:
        raise IngestError(path, MSG_PASSWORD) from None
    except DependencyError:
        raise IngestError(path, MSG_NEEDS_CRYPTO) from None
    except Exception as err:
        logger.debug("%s: pypdf failed on page %d: %r", path.name, index + 1, err)
        too_big = functools.partial(MSG_PAGE_TOO_BIG_TO_READ.format, page=index + 1)
        raise IngestError(path, _malformed(err, too_big) or MSG_PAGE_DAMAGED.format(page=index + 1)) from err
    # Layout mode takes no visitors; the plain text above has already held the page to its
    # limits, and layout mode reads the same operators, so only the clock is checked after it.
    try:
        layout = page.extract_text(extraction_mode="layout")
    except Exception as err:
        logger.debug("%s: layout mode failed on page %d, using plain text: %r", path.name, index + 1, err)
        layout = text
    budget.check_clock()
    if not layout.strip() and text.strip():
        # Layout mode does not look inside form XObjects, where some producers put
        # the whole page; the plain text is the best layout we have then.
        logger.debug("%s: layout mode found no text on page %d, using plain text", path.name, index + 1)
        layout = text
    return text, layout


# --- clean-up ----------------------------------------------------------------


def _normalise(raw: str, strip_left: bool) -> list[str]:
    """Split into lines with odd characters fixed and trailing (or all) space removed."""
    lines = []
    for line in raw.translate(_TRANSLATE).splitlines():
        # A soft hyphen at the end of a line is where the producer broke a word.
        line = line.rstrip()
        line = line[:-1] + "-" if line.endswith(SOFT_HYPHEN) else line
        line = line.replace(SOFT_HYPHEN, "")
        if _mostly_unreadable(line):
            line = ""  # a line of glyph codes in readable text (a heading in a font with no map) is not text
        lines.append(line.strip() if strip_left else line)
    return lines


def _key(line: str) -> str:
    """How a line is compared when looking for running headers: spacing and digits ignored."""
    return _DIGITS.sub("#", " ".join(line.split()))


def _edge_indices(lines: list[str], depth: int) -> tuple[list[int], list[int]]:
    """Indices of the first and last ``depth`` non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:depth], filled[-depth:][::-1]


@dataclass
class _DocumentEdges:
    """What the whole document says about its page edges."""

    running: frozenset[str]
    """Keys of running header/footer lines."""
    page_numbers: list[tuple[set[int], set[int]]]
    """Per page: the numbers at its top and at its bottom that run in sequence with a
    neighbouring page's, i.e. are page numbers (so a bare "12" there can go)."""


def _edge_numbers(lines: list[str], indices: list[int]) -> set[int]:
    """Page numbers a page shows in the given lines: bare ones and those in labels
    (a label on the next page vouches for a bare number on this one)."""
    numbers = set()
    for i in indices:
        line = lines[i].strip()
        if _BARE_NUMBER.match(line):
            numbers.add(int(line))
        elif (number := _page_label_number(line)) is not None:
            numbers.add(number)
    return numbers


def _sequenced(numbers: list[set[int]]) -> list[set[int]]:
    """Keep the numbers that continue the previous page's or lead into the next page's."""
    kept = []
    for i, mine in enumerate(numbers):
        before = numbers[i - 1] if i > 0 else set()
        after = numbers[i + 1] if i + 1 < len(numbers) else set()
        kept.append({n for n in mine if n - 1 in before or n + 1 in after})
    if len(numbers) == 1:
        kept[0] = numbers[0] & {1}  # a one-page file numbered "1"
    return kept


def _strip_edges(lines: list[str], is_edge_line: _EdgeTest) -> list[str]:
    """Remove removable lines from the top and bottom, stopping at the first keeper."""
    lines = list(lines)
    for from_top in (True, False):
        removed = 0
        while removed < MAX_EDGE_STRIP:
            filled = [i for i, line in enumerate(lines) if line.strip()]
            if not filled:
                break
            index = filled[0] if from_top else filled[-1]
            if not is_edge_line(lines[index], from_top):
                break
            del lines[index]
            removed += 1
    return lines


def _page_label_number(line: str) -> int | None:
    """The number in a page-number label ("Page 3 of 9", "- 3 -"), or None if the
    stripped line is not one."""
    match = _PAGE_LABEL.match(line)
    if not match:
        return None
    number = int(next(group for group in (match["n"], match["n2"], match["n3"], match["n4"]) if group))
    total = match["of"] or match["of4"]
    # "2024/25" at the foot of a table is a year, not page 2024 of 25.
    return None if total and number > int(total) else number


class _EdgeTest:
    """Decides whether a line at a page's edge is a page number or running header/footer."""

    def __init__(self, running: frozenset[str], top: set[int], bottom: set[int]) -> None:
        self.running = running
        self.top = top
        self.bottom = bottom

    def __call__(self, line: str, from_top: bool) -> bool:
        stripped = line.strip()
        if _page_label_number(stripped) is not None:
            return True
        if _BARE_NUMBER.match(stripped) and int(stripped) in (self.top if from_top else self.bottom):
            return True
        return _key(line) in self.running


def _find_edges(pages: list[list[str]]) -> _DocumentEdges:
    top_numbers, bottom_numbers = [], []
    for lines in pages:
        top, bottom = _edge_indices(lines, NUMBER_EDGE_LINES)
        top_numbers.append(_edge_numbers(lines, top))
        bottom_numbers.append(_edge_numbers(lines, bottom))
    numbers = list(zip(_sequenced(top_numbers), _sequenced(bottom_numbers), strict=True))

    # Count running-header candidates once page numbers are gone, so "Page 3" above a
    # header does not push the header out of the edge window.
    counts: Counter[str] = Counter()
    for lines, (top, bottom) in zip(pages, numbers, strict=True):
        bare = _strip_edges(lines, _EdgeTest(frozenset(), top, bottom))
        first, last = _edge_indices(bare, RUNNING_EDGE_LINES)
        # Lines without letters (amounts, scores) are left to the page-number rule.
        counts.update({_key(bare[i]) for i in first + last if _HAS_LETTER.search(bare[i])})
    needed = max(RUNNING_MIN_PAGES, math.ceil(RUNNING_MIN_SHARE * len(pages)))
    running = frozenset(key for key, count in counts.items() if count >= needed)
    return _DocumentEdges(running=running, page_numbers=numbers)


def _clean_document(raw_pages: list[str], budget: _Budget, reading_order: bool) -> list[str]:
    """Clean every page of one extraction mode; headers are judged over the whole file. Each step
    is linear in the text and checks the clock at every page, inside the file's parse budget."""
    # The reading-order text has no meaningful indentation; the layout text does.
    pages = [_normalise(raw, strip_left=reading_order) for raw in budget.each_page(raw_pages)]
    edges = _find_edges(pages)
    if edges.running:
        logger.debug("running headers/footers: %s", sorted(edges.running))
    pages = [
        _strip_edges(lines, _EdgeTest(edges.running, top, bottom))
        for lines, (top, bottom) in budget.each_page(list(zip(pages, edges.page_numbers, strict=True)))
    ]
    if reading_order:  # hyphens are rejoined only in the reading-order text
        vocabulary = _Vocabulary(pages)
        pages = [_join_hyphens(lines, vocabulary) for lines in budget.each_page(pages)]
    return ["\n".join(_trim_blank(lines)) for lines in pages]


def _trim_blank(lines: list[str]) -> list[str]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return lines[filled[0] : filled[-1] + 1] if filled else []


# --- hyphenation -------------------------------------------------------------


class _Vocabulary:
    """The words and hyphenated pairs the document uses, not counting the fragments
    around line-break hyphens (which are what is being decided)."""

    def __init__(self, pages: list[list[str]]) -> None:
        self.words: set[str] = set()
        self.pairs: set[str] = set()
        for lines in pages:
            for i, line in enumerate(lines):
                text = line
                if _BREAK_END.search(text):
                    text = _BREAK_END.sub("", text)
                if i > 0 and _BREAK_END.search(lines[i - 1]):
                    text = _BREAK_START.sub("", text)
                low = text.lower()
                self.words.update(_WORD.findall(low))
                for compound in _COMPOUND.findall(low):
                    parts = compound.split("-")
                    self.pairs.update(f"{a}-{b}" for a, b in itertools.pairwise(parts))

    def keep_hyphen(self, left: str, right: str) -> bool:
        """Whether ``left-`` at a line end and ``right`` on the next line form a hyphenated word."""
        left, right = left.lower(), right.lower()
        if f"{left}-{right}" in self.pairs:
            return True  # the document writes it with a hyphen elsewhere
        if left + right in self.words:
            return False  # ...or solid elsewhere
        # A hyphenation program splits inside words ("organisa-tion"); two whole words
        # either side, or a prefix usually written hyphenated, mean a real compound.
        return left in COMPOUND_PREFIXES or (left in self.words and right in self.words)


def _join_hyphens(lines: list[str], vocabulary: _Vocabulary) -> list[str]:
    """Join each line ending "<letters>-" to the next when that starts with a lower-case word."""
    out: list[str] = []
    for line in lines:
        if out:
            end = _BREAK_END.search(out[-1])
            start = _BREAK_START.match(line)
            if end and start and line[0].islower():
                keep = vocabulary.keep_hyphen(end.group(1), start.group(1))
                out[-1] = (out[-1] if keep else out[-1][:-1]) + line
                continue
        out.append(line)
    return out
