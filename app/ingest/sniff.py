"""What a file is, judged by its first bytes, never by its name."""

from __future__ import annotations

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"PK\x03\x04", DOCX),  # any zip; the DOCX loader refuses zips that are not Word documents
)

# Formats people will try that we do not read; named so the refusal can say what the file is.
_UNSUPPORTED = (
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old-style or password-protected Office file"),
    (b"{\\rtf", "an RTF document"),
)


def sniff(data: bytes) -> str | None:
    """The media type of a format we read, or None when only the text decoder can tell."""
    # The PDF header may follow a little junk; readers accept it within the first kilobyte.
    if b"%PDF-" in data[:1024]:
        return PDF
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


def unsupported_kind(data: bytes) -> str | None:
    """A short description of a recognised format we do not read (WebP too), else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC image"
    for signature, kind in _UNSUPPORTED:
        if data.startswith(signature):
            return kind
    return None
