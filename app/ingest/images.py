"""PNG, JPEG and TIFF (every frame), decoded under the pixel limit, turned upright."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from app.cancel import CancelToken
from app.errors import BadInput
from app.ingest import limits, sniff
from app.ingest.document import Page, Progress

_PILLOW_FORMATS = {sniff.PNG: "PNG", sniff.JPEG: "JPEG", sniff.TIFF: "TIFF"}
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}
_EXIF_ORIENTATION = 0x0112


def open_image(data: bytes, source: str, media_type: str) -> Image.Image:
    """The image's header read and its size checked; pixels are decoded on first use."""
    try:
        # Pillow only warns between its own limit and twice that; any bomb must be a refusal.
        # Its other warnings ("Truncated File Read", "Corrupt EXIF data") mean damage too.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[media_type]])
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise BadInput(
            f"{source}: the image is over the limit of "
            f"{limits.MAX_IMAGE_PIXELS // 1_000_000} megapixels."
        ) from None
    # Pillow's plugins raise many exception types on malformed input; all mean the same here.
    except Exception:
        fmt = _PILLOW_FORMATS[media_type]
        raise BadInput(f"{source}: the image is damaged or not a valid {fmt} file.") from None
    limits.check_pixels(source, *image.size)
    return image


def decode_upright(image: Image.Image, source: str) -> Image.Image:
    """The current frame's pixels, with an EXIF/TIFF orientation tag applied."""
    limits.check_pixels(source, *image.size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a damage warning is a refusal, as in open_image
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Exception:  # see open_image
        raise BadInput(f"{source}: the image is truncated or damaged.") from None
    return upright


def decode_image(data: bytes, source: str) -> Image.Image:
    """The first frame of a PNG, JPEG or TIFF, decoded and upright; BadInput otherwise."""
    media_type = sniff.sniff(data)
    if media_type not in _PILLOW_FORMATS:
        raise BadInput(f"{source}: is not a PNG, JPEG or TIFF image.")
    return decode_upright(open_image(data, source, media_type), source)


def load_image_pages(
    data: bytes,
    source: str,
    media_type: str,
    progress: Progress | None,
    cancel: CancelToken | None,
    deadline: limits.Deadline,
) -> list[Page]:
    image = open_image(data, source, media_type)
    frame_count = getattr(image, "n_frames", 1) if media_type == sniff.TIFF else 1
    limits.check_page_count(source, frame_count)
    pages = []
    for index in range(frame_count):
        if cancel:
            cancel.raise_if_cancelled()
        deadline.check()
        try:
            image.seek(index)
        except Exception:  # see open_image
            raise BadInput(f"{source}: page {index + 1} of the image is damaged.") from None
        upright = decode_upright(image, source)
        if media_type != sniff.TIFF and not _has_orientation(image):
            # Already upright as stored: keep the original bytes (a photo stays its own JPEG).
            pages.append(Page(index + 1, None, data, media_type))
        elif media_type == sniff.JPEG:
            pages.append(Page(index + 1, None, _encode(upright, "JPEG", quality=95), sniff.JPEG))
        else:
            pages.append(Page(index + 1, None, _encode_png(upright, source), sniff.PNG))
        if progress:
            progress(index + 1, frame_count, f"page {index + 1} of {frame_count}")
    return pages


def _has_orientation(image: Image.Image) -> bool:
    """Whether the (decoded) image carries an orientation other than upright. Asked after
    decoding, since a PNG may keep its EXIF chunk after the pixel data."""
    try:
        return image.getexif().get(_EXIF_ORIENTATION, 1) != 1
    except Exception:  # see open_image; decode_upright has already read this EXIF once
        return False


def _encode_png(image: Image.Image, source: str) -> bytes:
    if image.mode not in _PNG_MODES:
        try:
            image = image.convert("RGB")
        except ValueError:
            raise BadInput(f"{source}: uses a colour format we cannot read.") from None
    return _encode(image, "PNG")


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()
