"""Cost: a 40,000-character document turned into 12 chapters, explicit against implicit caching.

The same course runs twice against the fake, with an outline planned earlier (the page's
*Plan outline*, or a resumed course), so its first calls are four chapters in parallel: with
`cache="off"` it relies on Gemini's implicit prefix cache, which the fake simulates as the
service documents it (a prefix is cached once a request with it has completed, so the first
wave pays full price); with `cache="on"` it makes one explicit cache at the first call. Tokens
come from the usage in course.json, plus the tokens written into the explicit cache (billed
once as input); dollars from `geminiteacher.backends.pricing`, storage included. The bound,
measured in the same run, is every call's own tokens plus the document once: nothing bills
less input.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal
from geminiteacher.backends.pricing import course_cost, dollars

NAME = "cost"
CHAPTERS = 12
CHARS = 40_000


def _billed(manifest: dict) -> tuple[int, int, int, int]:
    """Chapter input, chapter cached input, all input billed fresh, and the least possible."""
    chapters = [c["tokens"] for c in manifest["chapters"]]
    calls = [*chapters, manifest.get("outline_tokens") or {}, manifest.get("summary_tokens") or {}]
    written = int((manifest.get("cache") or {}).get("tokens") or 0)
    fresh = sum(t.get("input", 0) - t.get("cached", 0) for t in calls) + written
    document = max(max(t.get("cached", 0) for t in calls), written)
    calls = [t for t in calls if t.get("input")]
    least = sum(t["input"] for t in calls) - document * (len(calls) - 1)
    return (sum(t["input"] for t in chapters), sum(t["cached"] for t in chapters), fresh,
            least)


def run_scenario(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for mode in ("off", "on"):
        label = "explicit cache" if mode == "on" else "implicit cache only"
        with fake_gemini(0.05, 0.01, seed=9) as fake, tempfile.TemporaryDirectory() as tmp:
            settings = gemini_settings(CHAPTERS, 4, delay_range=(0.0, 0.01), cache=mode)
            source = material(CHAPTERS, CHARS)
            outline = [line[2:] for line in source.splitlines() if line.startswith("# ")]
            result = run(fake, settings, f"cost-{mode}", source=source, output_dir=Path(tmp),
                         outline=outline[:CHAPTERS])
            manifest = result.manifest
            alive = len(fake.caches.live())
        goal = Goal("value", ">=", 0.90 if mode == "on" else 0.0)
        if result.error:
            figures.append(Figure(NAME, f"{label}: cached share", f"error: {result.error}",
                                  goal=goal))
            continue
        chapter_input, chapter_cached, fresh, least = _billed(manifest)
        figures += [
            Figure(NAME, f"{label}: cached share of chapter input",
                   chapter_cached / chapter_input if chapter_input else 0.0, goal=goal),
            Figure(NAME, f"{label}: input billed at full price vs the least possible", fresh,
                   "tok", least),
            Figure(NAME, f"{label}: estimated cost ({dollars(course_cost(manifest))})",
                   round(course_cost(manifest), 5), "USD"),
        ]
        if mode == "on":
            figures.append(Figure(NAME, "explicit cache: caches left alive after the course",
                                  alive, goal=Goal("value", "<=", 0)))
    return figures
