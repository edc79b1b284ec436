"""A cited PDF page as a picture, so a person can check a citation against the original.

Files are looked up by name only inside the corpus folder or the upload folder (never an
arbitrary path), and rendered with pypdfium2; the quoted sentences are found on the page with
PDFium's text search and outlined. Rendered pages are kept as PNG bytes in a small cache keyed
by the file's path, size and modification time, so a changed file is rendered again.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from ingest.settings import Settings

log = logging.getLogger(__name__)

RENDER_SCALE = 1.5
"""Pixels per PDF point: an A4 page becomes about 890 × 1260 pixels, readable without zooming."""
MIN_SCALE = 0.1
"""Fewest pixels per point worth showing (an A4 page in 60 × 84 pixels): a page that fits the pixel
budget only below this is refused, not drawn as an unreadable speck."""
MSG_TOO_LARGE = (
    "page {page} is too large to show: {width:,.0f} × {height:,.0f} points would not be readable in"
    " {pixels:,} pixels (SCRUTINEER_PAGE_MAX_PIXELS)"
)
MSG_NO_SIZE = "page {page} has no size ({width:g} × {height:g} points), so there is nothing to show"
CACHE_PAGES = 64
"""Rendered pages kept in memory (a few hundred kilobytes each as PNG)."""
SEARCH_WORDS = 6
"""Words from each end of a quotation searched for when the whole of it is not found on the page."""
HIGHLIGHT_FILL = (253, 224, 71, 90)
HIGHLIGHT_EDGE = (29, 78, 216, 255)
PAD = 2
"""Pixels added around each outlined line, so the frame does not touch the letters."""
_PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe, and the app serves requests from a pool of threads."""


class PageNotAvailable(Exception):
    """The page cannot be shown; ``str(err)`` names the file and says why."""


def resolve_pdf(source_file: str, settings: Settings, folder: str | None = None) -> Path:
    """The PDF called ``source_file`` in the corpus or upload folder (``folder``, the folder the
    index says it was ingested from, is tried first when it is one of them). Raises
    PageNotAvailable for a name with a folder in it, or a file found nowhere allowed."""
    name = source_file.strip()
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise PageNotAvailable(f"{source_file!r} is not a file name")
    roots = [settings.corpus_dir.resolve(), settings.upload_dir.resolve()]
    order = list(roots)
    if folder:
        wanted = Path(folder).resolve()
        if wanted in roots:
            order = [wanted] + [r for r in roots if r != wanted]
    for root in order:
        candidate = (root / name).resolve()
        # resolve() follows symlinks: a link out of the allowed folders is refused like any other path.
        if candidate.parent == root and candidate.is_file():
            return candidate
    raise PageNotAvailable(f"{name}: not found in the corpus or upload folder")


def page_count(path: Path) -> int:
    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(path))
        try:
            return len(pdf)
        finally:
            pdf.close()


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    """The page as PNG."""
    marked: int
    """How many of the requested quotations were found on the page and outlined."""


def render_page(
    path: Path,
    page: int,
    highlights: Sequence[str] = (),
    scale: float = RENDER_SCALE,
    max_pixels: int = Settings.page_max_pixels,
) -> RenderedPage:
    """1-based ``page`` of ``path`` as PNG, each text of ``highlights`` (quoted sentences) found
    on it outlined and shaded; at ``scale`` pixels per point, or less so the image has at most
    ``max_pixels`` pixels. Raises PageNotAvailable (a page too large to show at any readable scale)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise PageNotAvailable(f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    wanted = tuple(" ".join(h.split()) for h in highlights if h.strip())
    return _render(str(path), stat.st_size, stat.st_mtime_ns, page, scale, max_pixels, wanted)


def page_png(path: Path, page: int, scale: float = RENDER_SCALE, max_pixels: int = Settings.page_max_pixels) -> bytes:
    """PNG bytes of 1-based ``page`` of ``path``. Raises PageNotAvailable."""
    return render_page(path, page, (), scale, max_pixels).png


def _fitted_scale(width: float, height: float, scale: float, max_pixels: int) -> float:
    """``scale``, or the largest smaller one at which a ``width`` × ``height`` point page renders in at
    most ``max_pixels`` pixels. PDFium rounds each side up, so the bound solved for is
    (width·s + 1)(height·s + 1) ≤ max_pixels."""
    area, sides = width * height, width + height
    fit = (-sides + math.sqrt(sides * sides + 4 * area * (max_pixels - 1))) / (2 * area)
    return min(scale, fit)


def _search_rects(textpage: Any, text: str) -> list[tuple[float, float, float, float]]:
    """Rectangles (left, bottom, right, top in PDF points) of ``text`` on the page. PDFium matches
    across line breaks; when the whole sentence is not found (a ligature, a quote mark written
    differently), its opening and closing words are tried, so most of it is still outlined."""
    words = text.split()
    attempts = [[text]]
    if len(words) > 2 * SEARCH_WORDS:
        attempts.append([" ".join(words[:SEARCH_WORDS]), " ".join(words[-SEARCH_WORDS:])])
    for attempt in attempts:
        rects = []
        for part in attempt:
            searcher = textpage.search(part, match_case=False, match_whole_word=False)
            try:
                hit = searcher.get_next()
            finally:
                searcher.close()
            if hit:
                start, count = hit
                rects.extend(textpage.get_rect(i) for i in range(textpage.count_rects(start, count)))
        if rects:
            return rects
    return []


@functools.lru_cache(maxsize=CACHE_PAGES)
def _render(
    path: str, size: int, mtime_ns: int, page: int, scale: float, max_pixels: int, highlights: tuple[str, ...]
) -> RenderedPage:
    """``size`` and ``mtime_ns`` are part of the cache key only: a replaced file misses the cache."""
    name = Path(path).name
    boxes: list[tuple[float, float, float, float]] = []
    marked = 0
    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            raise PageNotAvailable(f"{name}: cannot be opened as a PDF ({exc})") from None
        try:
            if not 1 <= page <= len(pdf):
                raise PageNotAvailable(f"{name}: has no page {page} (it has {len(pdf)})")
            pdf_page = pdf[page - 1]
            try:
                scale = _page_scale(name, page, pdf_page.get_size(), scale, max_pixels)
                image = pdf_page.render(scale=scale).to_pil().convert("RGB")
                # Boxes are in page space; a rotated page would need them turned too, so it gets none.
                if highlights and pdf_page.get_rotation() == 0:
                    left, _bottom, _right, top = pdf_page.get_cropbox()
                    textpage = pdf_page.get_textpage()
                    try:
                        for text in highlights:
                            rects = _search_rects(textpage, text)
                            marked += bool(rects)
                            boxes.extend(
                                ((x0 - left) * scale, (top - y1) * scale, (x1 - left) * scale, (top - y0) * scale)
                                for x0, y0, x1, y1 in rects
                            )
                    finally:
                        textpage.close()
            finally:
                pdf_page.close()
        finally:
            pdf.close()
    if boxes:
        image = _outline(image, boxes)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return RenderedPage(buffer.getvalue(), marked)


def _page_scale(name: str, page: int, size: tuple[float, float], scale: float, max_pixels: int) -> float:
    """The scale to draw a page of ``size`` points at, fitted to the pixel budget before PDFium
    allocates the bitmap (a 14,400-point box at 1.5 pixels per point is 466 million pixels, and
    took the server from 0.7 to 4.3 GB). Raises PageNotAvailable for a page with no size or
    one too large to show."""
    width, height = size
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise PageNotAvailable(f"{name}: " + MSG_NO_SIZE.format(page=page, width=width, height=height))
    fitted = _fitted_scale(width, height, scale, max_pixels)
    if fitted < MIN_SCALE:
        raise PageNotAvailable(
            f"{name}: " + MSG_TOO_LARGE.format(page=page, width=width, height=height, pixels=max_pixels)
        )
    if fitted < scale:
        log.info("%s: page %d (%.0f × %.0f pt) drawn at %.3f pixels a point to fit", name, page, width, height, fitted)
    return fitted


def _outline(image: Image.Image, boxes: list[tuple[float, float, float, float]]) -> Image.Image:
    """Shade each box yellow and frame it, so the quotation stands out without hiding the text."""
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in boxes:
        box = (x0 - PAD, y0 - PAD, x1 + PAD, y1 + PAD)
        draw.rectangle(box, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_EDGE, width=2)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def page_image(
    path: Path,
    page: int,
    highlights: Sequence[str] = (),
    scale: float = RENDER_SCALE,
    max_pixels: int = Settings.page_max_pixels,
) -> tuple[Image.Image, int]:
    """The page as a PIL image (what ``gr.Image`` shows) and how many quotations it outlines."""
    rendered = render_page(path, page, highlights, scale, max_pixels)
    return Image.open(io.BytesIO(rendered.png)), rendered.marked
