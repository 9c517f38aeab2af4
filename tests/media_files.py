"""Media the tests make themselves: a scanned PDF without a text layer, a slide deck of
pictures, a WAV of tones, a tiny MP4 container, pictures in several formats."""

from __future__ import annotations

import io
import math
import struct
import wave

from PIL import Image, ImageDraw
from pptx import Presentation
from pptx.util import Inches
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas


def picture(kind: str = "PNG", size: tuple[int, int] = (320, 200), label: str = "E = mc2") -> bytes:
    """A drawn picture (a whiteboard with a line of writing and a box) in `kind` format."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline="black", width=3)
    draw.text((30, size[1] // 2), label, fill="black")
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def scanned_pdf(pages: int = 3) -> bytes:
    """A PDF whose pages are only pictures (as a scanner makes them): no text layer at all."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for page in range(1, pages + 1):
        scan = ImageReader(io.BytesIO(picture("PNG", (600, 800), f"Scanned page {page}")))
        pdf.drawImage(scan, 40, 40, width=500, height=700)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def slides_of_pictures(count: int = 3) -> bytes:
    """A PowerPoint deck whose slides are pictures with no words."""
    deck = Presentation()
    for n in range(1, count + 1):
        slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
        slide.shapes.add_picture(io.BytesIO(picture("PNG", (400, 300), f"Diagram {n}")),
                                 Inches(1), Inches(1), Inches(6), Inches(4.5))
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def tones_wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of rising tones, `seconds` long."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            pitch = 440 + 110 * int(i / rate)
            frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
        sound.writeframes(bytes(frames))
    return out.getvalue()


def long_wav_header(seconds: float, rate: int = 8000) -> bytes:
    """A WAV whose header says `seconds` of 8-bit silence, with the samples there (a long
    lecture recording kept small: 8 kB a second)."""
    size = int(seconds * rate)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    return (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
            + fmt + b"data" + struct.pack("<I", size) + b"\x80" * size)


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def tiny_mp4(seconds: float = 600.0, brand: bytes = b"isom") -> bytes:
    """An MP4 container (ftyp, moov with an mvhd saying `seconds`, an empty mdat)."""
    scale = 1000
    mvhd = bytes(4) + struct.pack(">IIII", 0, 0, scale, int(seconds * scale)) + bytes(80)
    return (_box(b"ftyp", brand + struct.pack(">I", 512) + brand + b"mp41")
            + _box(b"moov", _box(b"mvhd", mvhd)) + _box(b"mdat", bytes(64)))


def flac_header(seconds: float = 90.0, rate: int = 44100) -> bytes:
    """A FLAC stream's STREAMINFO saying `seconds` (no audio frames: enough to measure)."""
    samples = int(seconds * rate)
    packed = (rate << 44) | (0 << 41) | (15 << 36) | samples  # rate, channels-1, bits-1, total
    info = struct.pack(">HH", 4096, 4096) + bytes(6) + packed.to_bytes(8, "big") + bytes(16)
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def heic_header() -> bytes:
    """The start of a HEIC photo (its ftyp box)."""
    return _box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + bytes(200)
