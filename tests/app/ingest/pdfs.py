"""Minimal PDFs written byte by byte, so tests control exactly what is inside."""

from __future__ import annotations

import hashlib

_PAGE_SIZE = (612, 792)  # US Letter in points
# The padding string of the PDF Standard security handler (ISO 32000-1, 7.6.3.3).
_PASSWORD_PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def build_pdf(pages: list[str | bytes], *, user_password: str | None = None) -> bytes:
    """One page per entry: a string is typeset as lines of text, bytes are a full-page JPEG."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree exists
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    tree = add(b"")
    kids = []
    for page in pages:
        if isinstance(page, bytes):
            image = add(_jpeg_xobject(page))
            content = add(_stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q"))
            resources = f"/XObject << /Im1 {image} 0 R >>".encode()
        else:
            content = add(_stream(_text_content(page)))
            resources = f"/Font << /F1 {font} 0 R >>".encode()
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << %s >> "
                b"/Contents %d 0 R >>" % (tree, *_PAGE_SIZE, resources, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    file_id = hashlib.md5(repr(pages).encode()).digest()
    trailer_extra = b""
    if user_password is not None:
        encrypt = add(_standard_encryption(user_password, file_id))
        trailer_extra = b" /Encrypt %d 0 R" % encrypt
    return _assemble(objects, catalog, file_id, trailer_extra)


def _assemble(objects: list[bytes], root: int, file_id: bytes, trailer_extra: bytes) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    hex_id = file_id.hex().encode()
    out += b"trailer\n<< /Size %d /Root %d 0 R /ID [<%s> <%s>]%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        hex_id,
        hex_id,
        trailer_extra,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def _text_content(text: str) -> bytes:
    lines = [b"BT /F1 14 Tf 18 TL 72 720 Td"]
    for line in text.split("\n"):
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(b"(%s) Tj T*" % escaped.encode("latin-1"))
    lines.append(b"ET")
    return b"\n".join(lines)


def _jpeg_xobject(jpeg: bytes) -> bytes:
    width, height = _jpeg_size(jpeg)
    extra = (
        b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
        b" /BitsPerComponent 8 /Filter /DCTDecode" % (width, height)
    )
    return _stream(jpeg, extra)


def _jpeg_size(jpeg: bytes) -> tuple[int, int]:
    index = 2
    while index < len(jpeg):
        marker, length = jpeg[index + 1], int.from_bytes(jpeg[index + 2 : index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height = int.from_bytes(jpeg[index + 5 : index + 7], "big")
            width = int.from_bytes(jpeg[index + 7 : index + 9], "big")
            return width, height
        index += 2 + length
    raise ValueError("no JPEG frame header")


def _standard_encryption(user_password: str, file_id: bytes) -> bytes:
    """An /Encrypt dictionary (RC4, 40-bit, revision 2) whose user password is `user_password`."""
    permissions = -44
    user = (user_password.encode("latin-1") + _PASSWORD_PAD)[:32]
    owner_key = hashlib.md5(user).digest()[:5]  # owner password = user password
    owner_entry = _rc4(owner_key, user)
    key = hashlib.md5(
        user + owner_entry + permissions.to_bytes(4, "little", signed=True) + file_id
    ).digest()[:5]
    user_entry = _rc4(key, _PASSWORD_PAD)
    return b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>" % (
        owner_entry.hex().encode(),
        user_entry.hex().encode(),
        permissions,
    )


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)
