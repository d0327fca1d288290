"""The bad-input corpus: hundreds of hostile files, generated (never collected) from a seed.

    python -m tests.corpus.make_corpus OUT_DIR      # writes the files and prints the count

Documents go to OUT_DIR/documents, models to OUT_DIR/models. Every file is something a parser
might choke on: truncated or bit-flipped PDFs, images with broken headers, decompression bombs,
DOCX zip bombs, binary junk named .txt, gigantic single lines, invalid UTF-8, mutated GGUF headers,
and a PDF made to hang pdfium (`hanging_pdf`).
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

from tests.app.engine.tiny_models import write_tiny_gguf
from tests.app.ingest.pdfs import _assemble, _stream, build_pdf

SEED = 1234


def _png(width: int, height: int) -> bytes:
    image = Image.new("L", (width, height), 255)
    ImageDraw.Draw(image).text((10, 10), "Roof: slipped tiles", fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _encoded(fmt: str) -> bytes:
    image = Image.new("RGB", (240, 120), "white")
    ImageDraw.Draw(image).text((10, 40), "BP 142/91 pulse 78", fill="black")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims huge dimensions (a decompression bomb's calling card)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + min(width, 4096)) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _docx(
    extra: dict[str, bytes] | None = None,
    document_xml: bytes | None = None,
    zeros: tuple[str, int] | None = None,
) -> bytes:
    """A minimal Word document; `zeros` adds a member of that many zero bytes (a zip bomb)."""
    body = document_xml or (
        b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Case notes</w:t></w:r></w:p>'
        b"</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        archive.writestr("word/document.xml", body)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        if zeros:
            name, size = zeros
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(size >> 20):
                    member.write(bytes(1 << 20))
    return out.getvalue()


def hanging_pdf(operations: int = 50_000) -> bytes:
    """A one-page PDF with no text, so it is rendered for OCR, whose page is painted by a
    function-based shading: pdfium runs the shading's PostScript function (`operations` steps)
    for every pixel. Measured: 10,000 steps take 68 s at 72 dpi in 29 MB; this file asks for
    about 40 minutes at the 200 dpi pages are rendered at, without growing in memory."""
    program = b"{ pop pop 0.5 " + b"1 add 1 sub " * operations + b"}"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Shading << /Sh0 4 0 R >> >> /Contents 6 0 R >>",
        b"<< /ShadingType 1 /ColorSpace /DeviceGray /Domain [0 1 0 1]"
        b" /Matrix [612 0 0 792 0 0] /Function 5 0 R >>",
        _stream(program, b" /FunctionType 4 /Domain [0 1 0 1] /Range [0 1]"),
        _stream(b"/Sh0 sh"),
    ]
    return _assemble(objects, 1, b"hanging-shading!", b"")


def _flip(data: bytes, rng: random.Random, count: int, start: int = 0) -> bytes:
    mutated = bytearray(data)
    for _ in range(count):
        position = rng.randrange(start, len(mutated))
        mutated[position] ^= 1 << rng.randrange(8)
    return bytes(mutated)


def document_files(rng: random.Random) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    pdf = build_pdf(["Inspection report\nRoof: slipped tiles\nDamp: kitchen ceiling"] * 3)
    for n in range(25):
        files[f"truncated-{n:02}.pdf"] = pdf[: rng.randrange(1, len(pdf) - 1)]
    for n in range(25):
        files[f"flipped-{n:02}.pdf"] = _flip(pdf, rng, rng.randint(1, 40))
    for n in range(3):
        files[f"encrypted-{n}.pdf"] = build_pdf([f"secret {n}"], user_password=f"pw{n}")
    files["pdf-header-only.pdf"] = b"%PDF-1.7\n"
    files["hanging-shading.pdf"] = hanging_pdf()

    for fmt, extension in (("PNG", "png"), ("JPEG", "jpg"), ("TIFF", "tif")):
        image = _encoded(fmt)
        for n in range(12):
            files[f"truncated-{n:02}.{extension}"] = image[: rng.randrange(1, len(image) - 1)]
        for n in range(12):
            # Flips within the first 64 bytes hit the headers and dimensions.
            files[f"bad-header-{n:02}.{extension}"] = _flip(image[:64], rng, 3) + image[64:]
    for n, (width, height) in enumerate([(100_000, 100_000), (1_000_000, 2), (9000, 9000)]):
        files[f"bomb-{n}.png"] = _png_claiming(width, height)
    big = Image.new("1", (10_000, 10_000), 0)
    out = io.BytesIO()
    big.save(out, "TIFF", compression="packbits")
    files["bomb-100-megapixel.tif"] = out.getvalue()

    for n, size in enumerate([400, 1200]):
        files[f"zip-bomb-{n}.docx"] = _docx(zeros=("word/media/bomb.bin", size << 20))
    files["docx-broken-xml.docx"] = _docx(document_xml=b"<w:document><w:body><w:p>")
    files["docx-no-document.docx"] = _docx({"word/other.xml": b"<x/>"}).replace(
        b"word/document.xml", b"word/documenx.xml"
    )
    files["not-a-zip.docx"] = b"PK\x03\x04" + rng.randbytes(2000)
    for n in range(8):
        files[f"docx-flipped-{n}.docx"] = _flip(_docx(), rng, rng.randint(1, 20))

    for n in range(20):
        files[f"junk-{n:02}.txt"] = rng.randbytes(rng.randint(1, 50_000))
    for n in range(10):
        valid = b"Inspection of 12 Harbour Street: roof tiles slipped. " * 20
        cut = rng.randrange(len(valid))
        files[f"invalid-utf8-{n}.txt"] = (
            valid[:cut] + rng.choice([b"\xff", b"\xc3(", b"\xed\xa0\x80"]) + valid[cut:]
        )
    files["gigantic-line.txt"] = b"word " * 800_000  # one 4 MB line
    files["gigantic-line-digits.txt"] = b"9" * (4 << 20)
    files["nul-bytes.txt"] = b"\0" * 10_000
    files["empty.txt"] = b""
    files["empty.pdf"] = b""
    files["lone-bom.txt"] = b"\xef\xbb\xbf"
    files["utf16-odd-length.txt"] = "\ufeffvisit notes".encode("utf-16-le")[:-1]
    return files


def model_files(folder: Path, rng: random.Random) -> list[Path]:
    """Valid tiny GGUFs with mutated headers, truncated copies, and impostors."""
    template = write_tiny_gguf(folder / "template.gguf")
    valid = template.read_bytes()
    template.unlink()
    paths = []

    def write(name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        paths.append(path)

    for n in range(30):
        write(
            f"mutated-header-{n:02}.gguf", _flip(valid[:160], rng, rng.randint(1, 4)) + valid[160:]
        )
    for n in range(10):
        write(f"truncated-{n:02}.gguf", valid[: rng.randrange(4, len(valid) - 1)])
    write("version-99.gguf", valid[:4] + struct.pack("<I", 99) + valid[8:])
    write("huge-tensor-count.gguf", valid[:8] + struct.pack("<Q", 2**62) + valid[16:])
    write("huge-kv-count.gguf", valid[:16] + struct.pack("<Q", 2**62) + valid[24:])
    write("junk.gguf", rng.randbytes(4096))
    write("pdf-renamed.gguf", build_pdf(["not a model"]))
    write("empty.gguf", b"")
    return paths


def build(out: Path) -> tuple[list[Path], list[Path]]:
    rng = random.Random(SEED)
    documents = out / "documents"
    models = out / "models"
    documents.mkdir(parents=True)
    models.mkdir()
    document_paths = []
    for name, data in document_files(rng).items():
        path = documents / name
        path.write_bytes(data)
        document_paths.append(path)
    return document_paths, model_files(models, rng)


if __name__ == "__main__":
    documents, models = build(Path(sys.argv[1]))
    print(f"{len(documents)} documents and {len(models)} models in {sys.argv[1]}")
