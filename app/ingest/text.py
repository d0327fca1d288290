"""Plain text and Markdown: UTF-8 or UTF-16 (with or without a BOM), pages split on form feeds."""

from __future__ import annotations

import codecs

from app.errors import BadInput

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 4096


def decode_text(data: bytes, source: str) -> str:
    """The text of `data` with newlines normalized; BadInput when it is not UTF-8/UTF-16 text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decode(data[len(bom) :], encoding, source)
            break
    else:
        encoding = _bomless_utf16(data)
        text = _decode(data, encoding or "utf-8", source)
    if "\x00" in text:
        raise BadInput(f"{source}: is a binary file, not text.")
    if not text.strip():
        raise BadInput(f"{source}: contains no text.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_pages(text: str) -> list[str]:
    """Pages are separated by form feeds; a final form feed does not start an empty page."""
    pages = text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()
    return pages


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        if b"\x00" in data[:_SAMPLE] and encoding == "utf-8":
            raise BadInput(f"{source}: is not a supported file type.") from None
        name = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
        raise BadInput(
            f"{source}: is not valid {name} text (byte {error.start} cannot be decoded)."
        ) from None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a zero in every other byte of mostly-ASCII text."""
    sample = data[: _SAMPLE - _SAMPLE % 2]
    if len(sample) < 4:
        return None
    half = len(sample) // 2
    zeros_even = sample[0::2].count(0) / half
    zeros_odd = sample[1::2].count(0) / half
    if zeros_odd > 0.4 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.4 and zeros_odd < 0.05:
        return "utf-16-be"
    return None
