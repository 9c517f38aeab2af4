"""Media: what reading the material natively costs against reading it as text.

The same 12-page PDF (prose on every page) becomes a 6-chapter course three ways on the fake
Gemini, which counts media tokens at Gemini's documented rates (258 a PDF page at the default
resolution, a quarter of that at low): read as text (`--read text`), read natively with no
explicit cache (every call sends the pages), and natively with the explicit cache (the pages
are billed once, then read at the cached price). A 10-minute recording (32 tokens a second)
runs natively with the cache. Figures: input tokens billed at full price, the dollars
(`geminiteacher.backends.pricing`, audio at its own price), and whether each file was
uploaded once and deleted at the end. The bound for native reading is the text run's input:
the ratio is what seeing the pages costs.
"""

from __future__ import annotations

import io
import struct
import tempfile
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, Paragraph

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal
from geminiteacher.backends.pricing import course_cost, dollars
from geminiteacher.ingest.convert import load_sources

NAME = "media"
PAGES = 12
CHAPTERS = 6
MINUTES = 10


def prose_pdf(pages: int) -> bytes:
    """A PDF of `pages` pages, each a headed section of prose."""
    text = material(pages, pages * 2_400, seed=5)
    sections = [block.split("\n\n", 1) for block in text.split("\n\n# ")]
    style = getSampleStyleSheet()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for heading, body in sections:
        frame = Frame(50, 50, A4[0] - 100, A4[1] - 100)
        frame.addFromList([Paragraph(heading.lstrip("# "), style["Heading1"]),
                           Paragraph(body, style["BodyText"])], pdf)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def recording(minutes: int) -> bytes:
    """A WAV of `minutes` minutes of 8-bit silence at 8 kHz (its header gives its length)."""
    size = minutes * 60 * 8000
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000, 1, 8)
    return (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
            + fmt + b"data" + struct.pack("<I", size) + b"\x80" * size)


def _fresh(manifest: dict) -> int:
    """Input billed at full price: every call's input less its cached part, plus what was
    written into the explicit cache."""
    calls = [c["tokens"] for c in manifest.get("chapters") or []]
    calls += [manifest.get("outline_tokens") or {}, manifest.get("summary_tokens") or {}]
    written = int((manifest.get("cache") or {}).get("tokens") or 0)
    return sum(t.get("input", 0) - t.get("cached", 0) for t in calls) + written


def run_scenario(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    pdf = prose_pdf(PAGES)
    wav = recording(MINUTES)
    runs = [("PDF read as text", [("notes.pdf", pdf)], {"read": "text", "cache": "off"}),
            ("PDF read natively, no explicit cache", [("notes.pdf", pdf)], {"cache": "off"}),
            ("PDF read natively, explicit cache", [("notes.pdf", pdf)], {"cache": "on"}),
            ("PDF natively at low resolution, explicit cache", [("notes.pdf", pdf)],
             {"cache": "on", "media_resolution": "low"}),
            (f"{MINUTES}-minute recording, explicit cache", [("lecture.wav", wav)],
             {"cache": "on"})]
    text_input = None
    for label, files, changes in runs:
        source, errors = load_sources(files)
        with fake_gemini(0.02, 0.0, seed=11) as fake, tempfile.TemporaryDirectory() as tmp:
            settings = gemini_settings(CHAPTERS, 4, delay_range=(0.0, 0.0), **changes)
            result = run(fake, settings, f"media-{len(figures)}", source=source,
                         output_dir=Path(tmp))
            uploads, alive = len(fake.files.uploaded), len(fake.files.live())
            manifest = result.manifest
        if result.error or errors:
            figures.append(Figure(NAME, label, f"error: {result.error or errors[0]}"))
            continue
        fresh = _fresh(manifest)
        if text_input is None:
            text_input = fresh
        cost = course_cost(manifest)
        figures.append(Figure(NAME, f"{label}: input billed at full price", fresh, "tok",
                              None if label.endswith("as text") or "recording" in label
                              else text_input))
        figures.append(Figure(NAME, f"{label}: estimated cost ({dollars(cost)})",
                              round(cost, 5), "USD"))
        if "as text" not in label:
            figures.append(Figure(NAME, f"{label}: uploads (one file)", uploads,
                                  goal=Goal("value", "<=", 1)))
            figures.append(Figure(NAME, f"{label}: uploads left after the course", alive,
                                  goal=Goal("value", "<=", 0)))
    return figures
