"""Seeded evaluation notes: short clinical and inspection notes drawn in handwriting fonts.

Used by the OCR tests and by `bench/ocr.py`. Everything is generated at run time from a seed;
nothing binary is committed. Three looks: a clean scan, a note on ruled paper, and a phone photo
of it (uneven light, slight rotation, blur, noise, JPEG).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Open-licence fonts kept with the tests (tests/fonts/README.md), so no system package is needed.
_FONTS = Path(__file__).resolve().parents[2] / "fonts"
HANDWRITING_FONTS = tuple(
    str(_FONTS / path)
    for path in (
        "fonts-dkg-handwriting/dkg.ttf",
        "fonts-breip/Breip.ttf",
        "fonts-bwht/BecauseWeLearn-Regular.otf",
        "fonts-bwht/BecauseWeBuild-Regular.otf",
        "fonts-femkeklaver/femkeklaver.ttf",
        "fonts-humor-sans/Humor-Sans.ttf",
        "fonts-rufscript/Rufscript010.ttf",
        "fonts-sjfonts/SteveHand.ttf",
        "fonts-sjfonts/Delphine.ttf",
    )
)
PRINTED_FONT = str(_FONTS / "fonts-dejavu-core/DejaVuSans.ttf")

STYLES = ("scan", "ruled", "photo")

_NAMES = ("Mr Okafor", "Ms Lindqvist", "Mrs Patel", "J. Moreau", "K. Nakamura", "Dr Reyes")
_DRUGS = ("Ramipril", "Metformin", "Amlodipine", "Warfarin", "Furosemide", "Sertraline")
_ROOMS = ("kitchen", "hallway", "bathroom", "basement", "attic", "stairwell", "garage")
_DEFECTS = (
    "crack in north wall",
    "handrail loose",
    "smoke alarm missing",
    "damp patch on ceiling",
    "exposed wiring",
    "window latch broken",
)


def _note_lines(rng: random.Random) -> list[str]:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2024, 2025, 2026))
    date = f"{day:02d}/{month:02d}/{year}"
    clinical = [
        f"{date} {rng.choice(_NAMES)}",
        f"BP {rng.randint(105, 175)}/{rng.randint(60, 105)} HR {rng.randint(52, 118)}",
        f"{rng.choice(_DRUGS)} {rng.choice((2.5, 5, 10, 20, 40))} mg daily",
        f"Temp {rng.randint(360, 394) / 10} SpO2 {rng.randint(89, 99)}%",
        f"Weight {rng.randint(48, 130)} kg, no oedema",
        f"Review in {rng.randint(2, 12)} weeks",
        f"Pain {rng.randint(0, 10)}/10 after walking",
        "Patient reports dizziness",
        f"Glucose {rng.randint(40, 180) / 10} mmol/L",
    ]
    inspection = [
        f"Inspection {date} unit {rng.randint(1, 48)}",
        f"{rng.choice(_DEFECTS)} in {rng.choice(_ROOMS)}",
        f"Crack width {rng.randint(1, 9)} mm, {rng.randint(20, 300)} cm long",
        f"Moisture {rng.randint(8, 40)}% at skirting",
        f"Ceiling height {rng.randint(21, 29) / 10} m",
        f"Recheck by {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}",
        f"Ref #{rng.randint(1000, 9999)} permit ok",
        "Fire door closes fully",
    ]
    pool = clinical if rng.random() < 0.5 else inspection
    first, rest = pool[0], pool[1:]
    return [first, *rng.sample(rest, rng.randint(3, 5))]


@dataclass(frozen=True)
class Note:
    image: bytes  # PNG for scans, JPEG for photos
    lines: list[str]  # the ground truth, one entry per written line
    font: str
    style: str

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _draw_handwritten_line(
    draw: ImageDraw.ImageDraw, x: float, baseline: float, text: str, font, ink, rng
) -> None:
    # Character by character with a wobbling baseline and uneven spacing, so that no two
    # occurrences of a letter sit exactly alike (fonts alone are too regular).
    size = font.size
    drift = 0.0
    for char in text:
        drift = 0.7 * drift + rng.uniform(-0.03, 0.03) * size
        draw.text((x, baseline + drift), char, font=font, fill=ink, anchor="ls")
        x += font.getlength(char) * rng.uniform(0.97, 1.08) + rng.uniform(-0.5, 1.5)


def render_note(seed: int, font_path: str, style: str, *, width: int = 1200) -> Note:
    """One note in `font_path`, drawn in `style` ("scan", "ruled" or "photo")."""
    # Seeded by the font's file name: the same notes wherever the checkout lives.
    rng = random.Random(f"{seed}:{Path(font_path).name}:{style}")
    lines = _note_lines(rng)
    margin = int(width * 0.08)
    size = rng.randint(46, 60)
    font = ImageFont.truetype(font_path, size)
    widest = max(font.getlength(line) for line in lines) * 1.08
    if widest > width - 2 * margin:
        size = int(size * (width - 2 * margin) / widest)
        font = ImageFont.truetype(font_path, size)
    spacing = int(size * rng.uniform(1.55, 1.85))
    height = max(int(width * 0.7), 2 * margin + spacing * (len(lines) + 1))

    paper = tuple(rng.randint(236, 252) for _ in range(3))
    page = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(page)
    top = margin + spacing
    if style in ("ruled", "photo"):
        for y in range(top, height - margin // 2, spacing):
            draw.line([(0, y + 4), (width, y + 4)], fill=(150, 180, 225), width=2)
        draw.line([(margin - 20, 0), (margin - 20, height)], fill=(225, 120, 120), width=2)
    ink = rng.choice(((20, 20, 30), (25, 40, 120), (10, 30, 90), (40, 40, 40)))
    for i, line in enumerate(lines):
        x = margin + rng.uniform(0, 0.04) * width
        _draw_handwritten_line(draw, x, top + i * spacing, line, font, ink, rng)

    if style != "photo":
        page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
        return Note(_encode(page, "PNG"), lines, font_path, style)
    return Note(_photograph(page, rng), lines, font_path, style)


def render_strip(text: str, font_path: str, seed: int, *, height: int = 64) -> bytes:
    """One handwritten line on a white strip `height` pixels high, as a line-image set has it."""
    rng = random.Random(f"{seed}:{Path(font_path).name}:strip")
    font = ImageFont.truetype(font_path, int(height * 0.7))
    strip = Image.new("L", (int(font.getlength(text) * 1.1) + 40, height), 255)
    _draw_handwritten_line(ImageDraw.Draw(strip), 20, height * 0.7, text, font, 30, rng)
    return _encode(strip, "PNG")


def render_printed(lines: list[str], *, width: int = 1200, size: int = 40) -> bytes:
    """A clean PNG of printed text, one entry per line (a blank entry leaves a blank line)."""
    font = ImageFont.truetype(PRINTED_FONT, size)
    spacing = int(size * 1.6)
    page = Image.new("RGB", (width, spacing * (len(lines) + 2)), "white")
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((60, spacing * (i + 1)), line, font=font, fill="black")
    return _encode(page, "PNG")


def _photograph(page: Image.Image, rng: random.Random) -> bytes:
    """The page as a phone would see it: tilted, unevenly lit, a little blurred and noisy."""
    width, height = page.size
    table = tuple(rng.randint(90, 140) for _ in range(3))
    page = page.rotate(rng.uniform(-5, 5), resample=Image.BICUBIC, expand=True, fillcolor=table)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.6)))
    pixels = np.asarray(page, dtype=np.float32)
    h, w = pixels.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # Light from one side plus a soft spot: brightness falls to 35-60 % across the page,
    # and often the soft-edged shadow of the phone or a hand across part of it, in warm light.
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h + 1) / 2
    spot_x, spot_y = rng.uniform(0, w), rng.uniform(0, h)
    spot = np.exp(-(((xx - spot_x) / w) ** 2 + ((yy - spot_y) / h) ** 2) * 3)
    floor = rng.uniform(0.35, 0.6)
    light = floor + (1 - floor) * (0.6 * ramp + 0.4 * spot)
    if rng.random() < 0.6:
        edge = rng.uniform(0.2, 0.8) * w + rng.uniform(-0.4, 0.4) * (yy - h / 2)
        softness = rng.uniform(0.02, 0.08) * w
        shade = 1 / (1 + np.exp((xx - edge) / softness))
        light *= 1 - rng.uniform(0.3, 0.5) * shade
    warmth = np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.8, 0.95)], np.float32)
    pixels = pixels * light[..., None] * warmth
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(4, 9), pixels.shape)
    pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    return _encode(Image.fromarray(pixels), "JPEG", quality=rng.randint(70, 88))


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def available_fonts() -> list[str]:
    return [path for path in HANDWRITING_FONTS if Path(path).exists()]


def evaluation_set(seeds: range, styles: tuple[str, ...] = STYLES) -> list[Note]:
    return [
        render_note(seed, font, style)
        for seed in seeds
        for font in available_fonts()
        for style in styles
    ]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over the reference length, ignoring case and all whitespace."""
    ref = "".join(reference.lower().split())
    hyp = "".join(hypothesis.lower().split())
    if not ref:
        return float(bool(hyp))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)
