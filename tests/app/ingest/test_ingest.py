"""Every loader on small real files made here, and every refusal of DESIGN.md §8."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import struct
import zipfile
import zlib

import docx
import pytest
from docx.enum.text import WD_BREAK
from PIL import Image

from app.cancel import CancelToken
from app.errors import BadInput, Cancelled
from app.ingest import limits, load_bytes, load_document
from app.ingest.sniff import DOCX, JPEG, PDF, PNG, TEXT, TIFF
from tests.app.ingest.pdfs import build_pdf

_EXIF_ORIENTATION = 0x0112


def _image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _decoded(page_image: bytes) -> Image.Image:
    return Image.open(io.BytesIO(page_image))


def _refusal(data: bytes, name: str) -> str:
    with pytest.raises(BadInput) as caught:
        load_bytes(data, f"/some/folder/{name}")
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert message.endswith(".")
    assert "\n" not in message
    return message


# Text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        "Héllo wörld\nBP 142/91".encode(),
        codecs.BOM_UTF8 + "Héllo wörld\nBP 142/91".encode(),
        codecs.BOM_UTF16_LE + "Héllo wörld\nBP 142/91".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Héllo wörld\nBP 142/91".encode("utf-16-be"),
        "Héllo wörld\r\nBP 142/91".encode("utf-16-le"),  # no BOM
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom-crlf"],
)
def test_text_in_each_encoding_reads_the_same(encoded):
    document = load_bytes(encoded, "note.txt")
    assert document.media_type == TEXT
    assert document.content == encoded
    assert document.sha256 == hashlib.sha256(encoded).hexdigest()
    assert [page.text for page in document.pages] == ["Héllo wörld\nBP 142/91"]
    assert document.pages[0].image is None


def test_markdown_pages_split_only_on_form_feeds(tmp_path):
    path = tmp_path / "visit.md"
    path.write_bytes(b"# Visit\n\nFirst page\n\n\fSecond page\n\fThird\f")
    document = load_document(path)
    assert document.source == str(path)
    assert document.media_type == TEXT
    assert [(page.number, page.text) for page in document.pages] == [
        (1, "# Visit\n\nFirst page\n\n"),
        (2, "Second page\n"),
        (3, "Third"),
    ]


def test_type_comes_from_content_not_extension():
    pdf = build_pdf(["A page with a proper text layer on it."])
    assert load_bytes(pdf, "looks-like-text.txt").media_type == PDF
    assert load_bytes(b"just text", "looks-like.pdf").media_type == TEXT


def test_invalid_utf8_is_refused():
    message = _refusal("caf\u00e9 au lait".encode("latin-1"), "latin1.txt")
    assert "not valid UTF-8 text" in message


def test_unpaired_utf16_surrogate_is_refused():
    message = _refusal(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8b\x00", "bad16.txt")
    assert "not valid UTF-16 text" in message


def test_binary_junk_is_refused():
    assert "not a supported file type" in _refusal(bytes(range(256)) * 4, "blob.bin")
    assert "binary file" in _refusal(b"abc\x00def", "nul.txt")


@pytest.mark.parametrize("data", [b"", b"  \n\t \f "], ids=["empty", "blank"])
def test_empty_files_are_refused(data):
    message = _refusal(data, "empty.txt")
    assert "empty" in message or "no text" in message


def test_unsupported_image_format_is_named():
    gif = _image_bytes(Image.new("RGB", (8, 8)), "GIF")
    assert "GIF image" in _refusal(gif, "photo.gif")


# Limits on any file ----------------------------------------------------------------------------


def test_file_over_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as file:
        file.truncate(limits.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(BadInput, match=r"^huge\.pdf: the file is over the limit of 200 MB\.$"):
        load_document(path)


def test_missing_file_is_a_bad_input(tmp_path):
    with pytest.raises(BadInput, match=r"^nothing\.txt: no such file\.$"):
        load_document(tmp_path / "nothing.txt")


# PDF -------------------------------------------------------------------------------------------


def _jpeg_scan() -> bytes:
    return _image_bytes(Image.new("RGB", (425, 550), (250, 250, 245)), "JPEG")


def test_pdf_text_layer_per_page_and_scanned_pages_rendered_at_200_dpi():
    pdf = build_pdf(
        ["Visit 12/03/2025\nBP 142/91, ramipril 5 mg", _jpeg_scan(), "Page three (final) text"]
    )
    calls = []
    document = load_bytes(pdf, "visit.pdf", progress=lambda *call: calls.append(call))
    assert document.media_type == PDF
    first, scan, third = document.pages
    assert " ".join(first.text.split()) == "Visit 12/03/2025 BP 142/91, ramipril 5 mg"
    assert first.image is None
    assert third.text.strip() == "Page three (final) text"
    assert scan.text is None
    assert scan.image_media_type == PNG
    assert _decoded(scan.image).size == (1700, 2200)  # 8.5 × 11 in at 200 dpi
    assert calls == [(1, 3, "page 1 of 3"), (2, 3, "page 2 of 3"), (3, 3, "page 3 of 3")]


def test_pdf_page_with_a_stray_label_counts_as_a_scan():
    document = load_bytes(build_pdf(["p. 3"]), "label.pdf")
    assert document.pages[0].text is None
    assert document.pages[0].image_media_type == PNG


def test_pdf_text_layer_of_unmapped_glyphs_counts_as_a_scan():
    # What pdfium returns for a font without a Unicode map: control characters, not words.
    document = load_bytes(build_pdf(["\x01\x02\x03\x04\x05\x06\x07\x08" * 4]), "odd.pdf")
    assert document.pages[0].text is None
    assert document.pages[0].image_media_type == PNG


def test_truncated_pdf_is_refused():
    pdf = build_pdf(["Some text long enough to count as a text layer."] * 3)
    assert "truncated" in _refusal(pdf[: len(pdf) * 2 // 3], "cut.pdf")


def test_password_protected_pdf_is_refused():
    pdf = build_pdf(["Confidential text of the report."], user_password="s3cret")
    assert "encrypted" in _refusal(pdf, "locked.pdf")


def test_damaged_pdf_is_refused():
    assert "damaged" in _refusal(b"%PDF-1.7\nthis is not a pdf body\n%%EOF\n", "junk.pdf")


def test_pdf_over_page_limit_is_refused():
    pdf = build_pdf(["x"] * (limits.MAX_PAGES + 1))
    assert f"{limits.MAX_PAGES + 1} pages" in _refusal(pdf, "long.pdf")


def test_cancel_stops_a_pdf_between_pages():
    token = CancelToken()

    def cancel_after_first(done, total, message):
        token.cancel()

    with pytest.raises(Cancelled):
        load_bytes(
            build_pdf(["First page text is here.", "Second page text is here."]),
            "two.pdf",
            progress=cancel_after_first,
            cancel=token,
        )


# DOCX ------------------------------------------------------------------------------------------


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("Site inspection", level=1)
    document.add_paragraph("Visited on 12/03/2025 with the owner.")
    document.add_heading("Findings", level=2)
    document.add_paragraph("Crack in north wall", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Inspector"
    table.cell(0, 1).text = "K. Nakamura"
    table.cell(1, 0).text = "Moisture:"
    table.cell(1, 1).text = "21 %"
    wide = document.add_table(rows=2, cols=3)
    for row, values in enumerate((("Room", "Width", "Length"), ("Kitchen", "3 mm", "74 cm"))):
        for column, value in enumerate(values):
            wide.cell(row, column).text = value
    document.add_paragraph("")
    document.add_paragraph("Recheck in 4 weeks.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_headings_paragraphs_and_tables_in_order():
    document = load_bytes(_docx_bytes(), "inspection.docx")
    assert document.media_type == DOCX
    assert len(document.pages) == 1
    assert document.pages[0].image is None
    assert document.pages[0].text == (
        "# Site inspection\n\n"
        "Visited on 12/03/2025 with the owner.\n\n"
        "## Findings\n\n"
        "- Crack in north wall\n\n"
        "Inspector: K. Nakamura\nMoisture: 21 %\n\n"
        "Room\tWidth\tLength\nKitchen\t3 mm\t74 cm\n\n"
        "Recheck in 4 weeks."
    )


def test_docx_pages_split_at_page_breaks_with_headers_and_footers_once():
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Patient: Mrs A. Patel  NHS 485 777 3456"
    section.footer.paragraphs[0].text = "Form CH-2, community nursing"
    document.add_heading("Visit 1", level=1)
    document.add_paragraph("BP 148/92.")
    document.add_page_break()  # a paragraph holding only the break, as Word writes it
    document.add_heading("Visit 2", level=1)
    mid = document.add_paragraph("BP 139/88.")
    mid.add_run().add_break(WD_BREAK.PAGE)  # a break inside a paragraph splits it
    mid.add_run("Plan: review.")
    document.add_paragraph("Visit 3").paragraph_format.page_break_before = True
    document.add_page_break()  # a trailing break: no empty page
    buffer = io.BytesIO()
    document.save(buffer)

    pages = load_bytes(buffer.getvalue(), "visits.docx").pages
    assert [page.number for page in pages] == [1, 2, 3, 4]
    assert [page.text for page in pages] == [
        "Patient: Mrs A. Patel  NHS 485 777 3456\n\n# Visit 1\n\nBP 148/92.",
        "# Visit 2\n\nBP 139/88.",
        "Plan: review.",
        "Visit 3\n\nForm CH-2, community nursing",
    ]


def _rezip(source: bytes, extra: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in original.infolist():
            out.writestr(item, original.read(item))
        for name, data in extra.items():
            out.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_docx_is_refused_before_inflating():
    bomb = _rezip(_docx_bytes(), {"word/media/image1.png": bytes(20 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    assert "zip bomb" in _refusal(bomb, "bomb.docx")


def test_docx_declaring_a_huge_inflated_size_is_refused():
    data = bytearray(_rezip(_docx_bytes(), {"word/media/big.bin": b"tiny"}))
    # Forge the central directory entry's uncompressed size to 400 MB.
    entry = data.find(b"word/media/big.bin", data.find(b"PK\x01\x02")) - 46
    assert data[entry : entry + 4] == b"PK\x01\x02"
    data[entry + 24 : entry + 28] = struct.pack("<I", 400 * 1024 * 1024)
    assert "inflate to 400 MB" in _refusal(bytes(data), "forged.docx")


def test_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not a Word document" in _refusal(buffer.getvalue(), "archive.docx")


def test_damaged_docx_is_refused():
    data = _rezip(_docx_bytes(), {})
    with zipfile.ZipFile(io.BytesIO(data)) as original:
        parts = {item.filename: original.read(item) for item in original.infolist()}
    parts["word/document.xml"] = b"<w:document><unclosed>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, part in parts.items():
            out.writestr(name, part)
    assert "damaged" in _refusal(buffer.getvalue(), "broken.docx")


# Images ----------------------------------------------------------------------------------------


def test_png_keeps_its_original_bytes():
    png = _image_bytes(Image.new("RGB", (64, 32), "white"), "PNG")
    document = load_bytes(png, "scan.png")
    assert document.media_type == PNG
    [page] = document.pages
    assert (page.number, page.text, page.image, page.image_media_type) == (1, None, png, PNG)


def test_upright_jpeg_keeps_its_original_bytes():
    jpeg = _image_bytes(Image.new("RGB", (64, 32), "white"), "JPEG")
    page = load_bytes(jpeg, "photo.jpg").pages[0]
    assert (page.image, page.image_media_type) == (jpeg, JPEG)


def test_jpeg_exif_orientation_is_applied():
    image = Image.new("RGB", (80, 40), "white")
    image.paste((255, 0, 0), (0, 0, 20, 40))  # a red band on the stored image's left
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 6  # the camera was turned: display rotated 90° clockwise
    jpeg = _image_bytes(image, "JPEG", exif=exif, quality=95)
    page = load_bytes(jpeg, "sideways.jpg").pages[0]
    assert page.image_media_type == JPEG
    upright = _decoded(page.image).convert("RGB")
    assert upright.size == (40, 80)
    assert upright.getexif().get(_EXIF_ORIENTATION, 1) == 1
    red, green, _ = upright.getpixel((20, 5))  # the band is now along the top
    assert red > 200 and green < 60
    assert upright.getpixel((20, 75))[1] > 200


def test_multi_page_tiff_gives_a_png_per_page():
    frames = [Image.new("L", (50 + 10 * i, 40), 255 - 60 * i) for i in range(3)]
    tiff = _image_bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    calls = []
    document = load_bytes(tiff, "fax.tif", progress=lambda *call: calls.append(call))
    assert document.media_type == TIFF
    assert [page.number for page in document.pages] == [1, 2, 3]
    for page, frame in zip(document.pages, frames, strict=True):
        assert page.image_media_type == PNG
        decoded = _decoded(page.image)
        assert decoded.size == frame.size
        assert decoded.getpixel((0, 0)) == frame.getpixel((0, 0))
    assert [call[:2] for call in calls] == [(1, 3), (2, 3), (3, 3)]


def test_cancelled_before_start_loads_nothing():
    token = CancelToken()
    token.cancel()
    tiff = _image_bytes(Image.new("L", (8, 8)), "TIFF")
    with pytest.raises(Cancelled):
        load_bytes(tiff, "fax.tif", cancel=token)


def _png_declaring(width: int, height: int) -> bytes:
    """A small valid PNG whose header claims `width` × `height` pixels."""
    png = bytearray(_image_bytes(Image.new("1", (8, 8)), "PNG"))
    ihdr = png.index(b"IHDR")
    png[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(png[ihdr : ihdr + 17]))
    png[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(png)


@pytest.mark.parametrize(
    "side", [8_000, 10_000, 20_000], ids=["over-our-limit", "pillow-warns", "pillow-errors"]
)
def test_decompression_bomb_png_is_refused(side):
    assert "over the limit of 50 megapixels" in _refusal(_png_declaring(side, side), "bomb.png")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image_is_refused(fmt):
    noise = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    data = _image_bytes(noise, fmt)
    message = _refusal(data[: len(data) // 2], f"cut.{fmt.lower()}")
    assert "truncated or damaged" in message
