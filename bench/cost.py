"""Cost: tokens billed for a 40,000-character document turned into 12 chapters.

The fake simulates Gemini's implicit prefix cache (system instruction + first part, once a
request with that prefix has completed). Figures come from the usage the engine recorded in
course.json. Cached tokens are priced at 10% of the input price (Gemini's implicit-cache
discount); the cost ratio compares our input cost with sending the whole prompt uncached
every time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal

NAME = "cost"
CACHED_PRICE = 0.10
CHAPTERS = 12
CHARS = 40_000


def run_scenario(quick: bool) -> list[Figure]:
    with fake_gemini(0.05, 0.01, seed=9) as fake, tempfile.TemporaryDirectory() as tmp:
        result = run(fake, gemini_settings(CHAPTERS, 4, delay_range=(0.0, 0.01)), "cost",
                     source=material(CHAPTERS, CHARS), output_dir=Path(tmp))
        manifest = result.manifest
    label = "cached share of chapter input"
    if result.error:
        return [Figure(NAME, label, f"error: {result.error}", goal=Goal("value", ">=", 0.70))]
    chapters = [c["tokens"] for c in manifest["chapters"]]
    calls = [*chapters, manifest.get("outline_tokens", {}), manifest.get("summary_tokens", {})]
    total = sum(t.get("input", 0) for t in calls)
    cached = sum(t.get("cached", 0) for t in calls)
    chapter_input = sum(t["input"] for t in chapters)
    chapter_cached = sum(t["cached"] for t in chapters)
    cost = (total - cached) + CACHED_PRICE * cached
    return [
        Figure(NAME, label, chapter_cached / chapter_input if chapter_input else 0.0,
               goal=Goal("value", ">=", 0.70)),
        Figure(NAME, f"input tokens billed (input - cached), {CHAPTERS} chapters",
               total - cached, "tok", total),
        Figure(NAME, f"input cost vs no cache (cached at {CACHED_PRICE:.0%})", cost, "tok-eq",
               total),
    ]
