"""Tiny PDFs for tests, written by hand so the repository holds no binary fixtures.

Every function writes one file at ``path`` and returns ``path``. The PDF syntax is
kept to the minimum pypdf needs: one Helvetica font (WinAnsi, so ``£`` and ``—``
survive), one content stream per page, a classic cross-reference table.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

#: A4 in points.
PAGE_WIDTH = 595
PAGE_HEIGHT = 842
#: Where the first line's baseline sits, and the gap between baselines.
LEFT_MARGIN = 72
TOP_BASELINE = 770
FONT_SIZE = 11
LEADING = 14

#: Passwords used by the encrypted variants.
OWNER_PASSWORD = "owner-secret"
USER_PASSWORD = "user-secret"

#: Side of the grey square drawn by :func:`make_image_only_pdf`, in image pixels.
IMAGE_PIXELS = 8


def _hex_text(line: str) -> str:
    # Hex strings need no escaping of ( ) \ and carry WinAnsi bytes such as £ and —.
    return "<" + line.encode("cp1252").hex().upper() + ">"


def _content_for(text: str) -> bytes:
    """A content stream that draws ``text`` line by line from the top of the page."""
    ops = ["BT", f"/F1 {FONT_SIZE} Tf", f"{LEADING} TL", f"{LEFT_MARGIN} {TOP_BASELINE} Td"]
    for i, line in enumerate(text.split("\n")):
        if i:
            ops.append("T*")  # next line, LEADING points down
        if line:
            ops.append(f"{_hex_text(line)} Tj")
    ops.append("ET")
    return "\n".join(ops).encode("ascii")


def _stream(dictionary: str, data: bytes) -> bytes:
    return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode("ascii") + data + b"\nendstream"


def _assemble(objects: list[bytes]) -> bytes:
    """Serialise objects numbered 1.. with object 1 as the catalogue; offsets computed here."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment marks the file as binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n")
    xref_at = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii"))
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode("ascii"))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode("ascii"))
    return out.getvalue()


def _page_objects(
    contents: list[bytes], resources: str, size: tuple[float, float] = (PAGE_WIDTH, PAGE_HEIGHT)
) -> list[bytes]:
    """Catalogue, page tree and one page (``size`` points) + content stream per entry of ``contents``."""
    first_page = 3
    page_numbers = [first_page + 2 * i for i in range(len(contents))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in page_numbers)}] /Count {len(contents)} >>").encode(
            "ascii"
        ),
    ]
    for page_number, data in zip(page_numbers, contents, strict=True):
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]:g} {size[1]:g}] "
                f"/Resources {resources} /Contents {page_number + 1} 0 R >>"
            ).encode("ascii")
        )
        objects.append(_stream("", data))
    return objects


def text_pdf_bytes(pages: list[str], size: tuple[float, float] = (PAGE_WIDTH, PAGE_HEIGHT)) -> bytes:
    """The bytes of a PDF whose page *i* shows ``pages[i]``, one PDF text line per ``\\n``, on
    pages of ``size`` points (A4 unless told)."""
    contents = [_content_for(text) for text in pages]
    objects = _page_objects(contents, "<< /Font << /F1 {font} 0 R >> >>", size)
    font_number = len(objects) + 1
    objects = [o.replace(b"{font}", str(font_number).encode("ascii")) for o in objects]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    return _assemble(objects)


def make_text_pdf(path: Path, pages: list[str], size: tuple[float, float] = (PAGE_WIDTH, PAGE_HEIGHT)) -> Path:
    """A PDF with a text layer: each string of ``pages`` is one page, drawn line by line."""
    path.write_bytes(text_pdf_bytes(pages, size))
    return path


def _encrypted(path: Path, pages: list[str], user_password: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf_bytes(pages))))
    # RC4-128 is pypdf's pure-Python default, so no crypto package is needed.
    writer.encrypt(user_password=user_password, owner_password=OWNER_PASSWORD)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_owner_password_pdf(path: Path, pages: list[str]) -> Path:
    """Encrypted with an owner password only: any reader opens it with the empty password."""
    return _encrypted(path, pages, user_password="")


def make_user_password_pdf(path: Path, pages: list[str]) -> Path:
    """Encrypted with a user password: it cannot be opened without :data:`USER_PASSWORD`."""
    return _encrypted(path, pages, user_password=USER_PASSWORD)


def make_image_only_pdf(path: Path, page_count: int = 1) -> Path:
    """Pages with a grey image and a drawn rectangle but no text: what a scan looks like."""
    draw = (
        f"q 200 0 0 200 {LEFT_MARGIN} 500 cm /Im1 Do Q\n"  # the image, scaled to 200 pt
        f"0.5 g {LEFT_MARGIN} 200 300 100 re f"  # a filled rectangle
    ).encode("ascii")
    objects = _page_objects([draw] * page_count, "<< /XObject << /Im1 {image} 0 R >> >>")
    image_number = len(objects) + 1
    objects = [o.replace(b"{image}", str(image_number).encode("ascii")) for o in objects]
    pixels = bytes(range(0, 256, 256 // (IMAGE_PIXELS * IMAGE_PIXELS)))[: IMAGE_PIXELS * IMAGE_PIXELS]
    objects.append(
        _stream(
            f"/Type /XObject /Subtype /Image /Width {IMAGE_PIXELS} /Height {IMAGE_PIXELS} "
            "/ColorSpace /DeviceGray /BitsPerComponent 8",
            pixels,
        )
    )
    path.write_bytes(_assemble(objects))
    return path


#: Resolution of the page images :func:`make_scanned_pdf` draws, like an office scanner's.
SCAN_DPI = 150
#: Text height on those images, in pixels (about 14 pt at SCAN_DPI).
SCAN_FONT_PX = 30


def scan_image(text: str, dpi: int = SCAN_DPI) -> Image.Image:
    """An A4 page image of ``text`` (black on white, Pillow's own font), as a scanner sees a printed page."""
    size = (round(PAGE_WIDTH / 72 * dpi), round(PAGE_HEIGHT / 72 * dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(SCAN_FONT_PX * dpi / SCAN_DPI))
    # Text starts an inch in from the top and left, as on a printed page.
    draw.multiline_text((dpi, dpi), text, fill=0, font=font, spacing=round(SCAN_FONT_PX * 0.6))
    return image


def make_scanned_pdf(path: Path, pages: list[str], dpi: int = SCAN_DPI) -> Path:
    """A PDF whose pages are images of ``pages``' text and hold no text layer: a scan."""
    images = [scan_image(text, dpi) for text in pages]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def make_text_and_scan_pdf(path: Path, text_pages: list[str], scanned_pages: list[str]) -> Path:
    """A text PDF with scanned pages after its text pages (a report with its signed page scanned)."""
    writer = PdfWriter()
    for data in (text_pdf_bytes(text_pages), make_scanned_pdf(path, scanned_pages).read_bytes()):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


#: Fonts whose glyphs have no Unicode value a reader can find, as a producer without a ToUnicode map
#: writes them: the letter A drawn as .notdef (pypdf reads "□"), or mapped to U+FFFD.
_UNMAPPED_FONTS = {
    "notdef": b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding"
    b" /BaseEncoding /WinAnsiEncoding /Differences [65 /.notdef] >> >>",
    "fffd": b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode {cmap} 0 R >>",
}
_FFFD_CMAP = (
    b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Unmapped def"
    b" 1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <FFFD> endbfchar"
    b" endcmap CMapName currentdict /CMap defineresource pop end end"
)


def make_unmapped_glyphs_pdf(path: Path, kind: str, lines: int = 20) -> Path:
    """One page of ``lines`` lines of "AAAA AAAA" in a font (:data:`_UNMAPPED_FONTS` ``kind``)
    whose A has no readable Unicode value: text is there, but no reader can say what it says."""
    objects = _page_objects([_content_for("\n".join(["AAAA AAAA AAAA"] * lines))], "<< /Font << /F1 {font} 0 R >> >>")
    font_number = len(objects) + 1
    objects = [o.replace(b"{font}", str(font_number).encode("ascii")) for o in objects]
    objects.append(_UNMAPPED_FONTS[kind].replace(b"{cmap}", str(font_number + 1).encode("ascii")))
    objects.append(_stream("", _FFFD_CMAP))
    path.write_bytes(_assemble(objects))
    return path


def make_truncated_pdf(path: Path) -> Path:
    """A valid three-page text PDF cut in half, as an interrupted download leaves it."""
    data = text_pdf_bytes([f"Page one of a report.\nParagraph {i}." for i in range(3)])
    path.write_bytes(data[: len(data) // 2])
    return path


def make_corrupt_xref_pdf(path: Path) -> Path:
    """A PDF header and trailer around a body that is not PDF objects, with a cross-reference
    table pointing into it: there is no catalogue to find, by offset or by scanning."""
    body = b"this is not a PDF object\n" * 20
    header = b"%PDF-1.4\n"
    xref_at = len(header) + len(body)
    tail = (
        b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000123 00000 n \n"
        b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n" + str(xref_at).encode("ascii") + b"\n%%EOF\n"
    )
    path.write_bytes(header + body + tail)
    return path


def make_not_a_pdf(path: Path) -> Path:
    """A text file that only has a ``.pdf`` name."""
    path.write_text("Minutes of the meeting\nThese are plain text, not a PDF.\n", encoding="utf-8")
    return path


def make_png_named_pdf(path: Path) -> Path:
    """The start of a PNG file saved under a ``.pdf`` name."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    return path


def make_empty(path: Path) -> Path:
    """A file of 0 bytes."""
    path.write_bytes(b"")
    return path


# --- hostile files: each small on disk, each built to make a careless reader hang,
# recurse or run out of memory -------------------------------------------------------


def make_many_pages_pdf(path: Path, page_count: int = 5000) -> Path:
    """``page_count`` empty pages sharing one empty content stream (about 120 bytes a page)."""
    kids = " ".join(f"{4 + i} 0 R" for i in range(page_count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode("ascii"),
        _stream("", b""),
    ]
    page = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] /Contents 3 0 R >>"
    objects += [page.encode("ascii")] * page_count
    path.write_bytes(_assemble(objects))
    return path


def make_self_referencing_pdf(path: Path) -> Path:
    """A page tree whose /Kids lists the tree itself next to a real page: walking it naively never ends."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode("ascii"),
        _stream("", _content_for("The committee noted the report.")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    path.write_bytes(_assemble(objects))
    return path


def make_deep_page_tree_pdf(path: Path, depth: int = 5000) -> Path:
    """One page at the bottom of ``depth`` page-tree nodes, each the only kid of the one above."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        number = 2 + level
        parent = f"/Parent {number - 1} 0 R " if level else ""
        objects.append(f"<< /Type /Pages {parent}/Kids [{number + 1} 0 R] /Count 1 >>".encode("ascii"))
    page = 2 + depth
    objects.append(
        (
            f"<< /Type /Page /Parent {page - 1} 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Contents {page + 1} 0 R >>"
        ).encode("ascii")
    )
    objects.append(_stream("", _content_for("Deep down.")))
    path.write_bytes(_assemble(objects))
    return path


def make_deeply_nested_pdf(path: Path, depth: int = 50_000) -> Path:
    """A page dictionary holding an array nested ``depth`` deep (``[[[[…]]]]``): a recursive
    object parser runs out of stack."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] /Contents 4 0 R /Nest ").encode(
            "ascii"
        )
        + b"[" * depth
        + b"]" * depth
        + b" >>",
        _stream("", _content_for("Nested.")),
    ]
    path.write_bytes(_assemble(objects))
    return path


def make_huge_page_pdf(path: Path, megabytes: float = 3.0) -> Path:
    """One page carrying ``megabytes`` of text in short lines, far beyond what a page can print."""
    line = "The committee noted the report on the budget and asked officers for more detail."
    count = int(megabytes * 1_000_000) // (len(line) + 6)
    path.write_bytes(text_pdf_bytes(["\n".join(f"{line} {i}" for i in range(count))]))
    return path


def make_nested_form_pdf(path: Path, megabytes: float) -> Path:
    """One page that draws a form, which draws a second form carrying ``megabytes`` of text; the
    second names the first again in its resources (a loop a careless walk never leaves)."""
    line = "The committee noted the report on the budget and asked officers for more detail."
    big = _content_for("\n".join([line] * (int(megabytes * 1_000_000) // (len(line) + 6))))
    objects = _page_objects([b"q /Fm1 Do Q"], "<< /XObject << /Fm1 5 0 R >> >>")  # objects 1-4
    form = "/Type /XObject /Subtype /Form /BBox [0 0 {w} {h}] /Resources << {resources} >>"
    objects.append(_stream(form.format(w=PAGE_WIDTH, h=PAGE_HEIGHT, resources="/XObject << /Fm2 6 0 R >>"), b"/Fm2 Do"))
    objects.append(
        _stream(
            form.format(w=PAGE_WIDTH, h=PAGE_HEIGHT, resources="/Font << /F1 7 0 R >> /XObject << /Fm1 5 0 R >>"), big
        )
    )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    path.write_bytes(_assemble(objects))
    return path
