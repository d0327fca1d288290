"""Writes the sample documents a new user can drop on Fieldscribe to try every job.

    python assets/samples/make_samples.py

- handwritten-note.png: a home-visit note in a handwriting font (Debian's fonts-dkg-handwriting);
- inspection-form.pdf: a filled building inspection form with a text layer (PDF written by hand);
- case-file.docx: a case file with headings and dated entries (python-docx).
The output is deterministic, so regenerating changes nothing unless this script changed.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
HANDWRITING_FONT = "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"  # fonts-dkg-handwriting

NOTE = [
    "Home visit 14/03/2025 - Mrs A. Patel",
    "BP 148/92  HR 84  Temp 37.2",
    "Ramipril 5 mg daily, taking as prescribed",
    "Ankles slightly swollen, no chest pain",
    "Weight 71 kg (was 69 kg in Feb)",
    "Plan: repeat bloods, review in 2 weeks",
    "Signed: J. Moreau, community nurse",
]

FORM = [
    ("Building Inspection Report", 18),
    ("Form BI-7  /  Municipal Building Control", 10),
    ("", 10),
    ("Inspector: Dana Whitfield", 12),
    ("Inspection date: 2025-03-11", 12),
    ("Address: 12 Harbour Street, Unit 4, Portsmouth", 12),
    ("Permit number: BC-2025-0417", 12),
    ("Building type: Two-storey terraced house", 12),
    ("", 12),
    ("Checks", 14),
    ("[x] Smoke alarms present on every floor", 12),
    ("[x] Handrails secure on stairs", 12),
    ("[ ] Bathroom extractor fan working", 12),
    ("[x] No exposed wiring", 12),
    ("", 12),
    ("Defects found: damp patch on kitchen ceiling, 40 cm wide.", 12),
    ("Result: Pass with conditions", 12),
    ("Re-inspection due: 2025-04-15", 12),
]


def handwritten_note(path: Path) -> None:
    font = ImageFont.truetype(HANDWRITING_FONT, 46)
    image = Image.new("L", (1400, 120 + 95 * len(NOTE)), 250)
    draw = ImageDraw.Draw(image)
    for row in range(len(NOTE) + 1):  # ruled paper
        y = 120 + 95 * row
        draw.line([(40, y), (1360, y)], fill=200, width=2)
    for row, line in enumerate(NOTE):
        # A slight drift per line, as handwriting has.
        draw.text((70 + 6 * (row % 3), 58 + 95 * row), line, font=font, fill=30)
    image.save(path, optimize=True)


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def inspection_form(path: Path) -> None:
    """A one-page PDF with Helvetica text (a real text layer) and the form's boxes."""
    commands = ["BT", "/F1 12 Tf", "56 780 Td"]
    for text, size in FORM:
        commands += [f"/F1 {size} Tf", f"{_pdf_string(text)} Tj", f"0 -{size + 12} Td"]
    commands.append("ET")
    commands.append("0.6 G 50 250 495 560 re S")  # the form's border
    stream = "\n".join(commands).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def case_file(path: Path) -> None:
    document = docx.Document()
    document.core_properties.author = "Fieldscribe sample"
    document.add_heading("Case file 2025-031: Mr K. Nakamura", level=1)
    document.add_heading("Background", level=2)
    document.add_paragraph(
        "Mr Nakamura, 78, lives alone in a ground-floor flat. Type 2 diabetes, treated with "
        "Metformin 500 mg twice daily. Referred by his GP after a fall at home on 02/02/2025."
    )
    document.add_heading("Visit 05/02/2025", level=2)
    document.add_paragraph(
        "Bruising on the left hip, walking with a stick. Glucose 9.4 mmol/L before lunch. "
        "The hallway rug is loose and the bathroom has no grab rail."
    )
    document.add_heading("Visit 19/02/2025", level=2)
    document.add_paragraph(
        "Grab rail fitted on 12/02/2025, rug removed. Pain 3/10 after walking, down from 6/10. "
        "Glucose 7.8 mmol/L. He reports sleeping better."
    )
    document.add_heading("Plan", level=2)
    for item in (
        "Physiotherapy referral: 6 sessions, first on 03/03/2025.",
        "Review Metformin dose with the GP.",
        "Next home visit in 4 weeks.",
    ):
        document.add_paragraph(item, style="List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


def _deterministic_zip(data: bytes) -> bytes:
    """python-docx stamps the current time into the zip entries; pin it so reruns match."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _pin_core_dates(content)
            pinned = zipfile.ZipInfo(info.filename, date_time=(2025, 3, 1, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(pinned, content)
    return out.getvalue()


def _pin_core_dates(core_xml: bytes) -> bytes:
    return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2025-03-01T00:00:00Z", core_xml)


def main() -> None:
    handwritten_note(HERE / "handwritten-note.png")
    inspection_form(HERE / "inspection-form.pdf")
    case_file(HERE / "case-file.docx")
    for path in sorted(HERE.glob("*.*")):
        if path.suffix != ".py":
            print(f"{path.name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
