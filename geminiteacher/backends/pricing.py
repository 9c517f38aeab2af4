"""What a course costs on Gemini: a small dated price table, estimates and the cache rule.

Prices are US dollars per million tokens (storage: per million tokens per hour), as Google
listed them for paid use when this table was dated. They change: set GEMINITEACHER_PRICES to a
JSON file of the same shape ({"flash": {"input": 0.5, ...}, ...}) to override any entry.
Input served from a cache bills at `cached`; the Batch API bills half of everything else.
A model is priced by the first family name it contains (so an alias such as
`gemini-flash-latest` is priced as a Flash model); unknown Gemini names take the Flash row,
while a model on another provider (an OpenAI-compatible server) is priced only when a row
names it (add one through GEMINITEACHER_PRICES), else only its tokens are shown.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geminiteacher.errors import SettingsError
from geminiteacher.models import CourseSettings, RunPlan, Usage

PRICES_AS_OF = "2026-12"
PRICES_ENV = "GEMINITEACHER_PRICES"
BATCH_DISCOUNT = 0.5
SECONDS_PER_WAVE = 60.0  # a generous guess at one round of chapter calls, for cache lifetimes


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens: fresh input (text, pictures, PDF pages and video), cached
    input, output (thinking included), cache storage per hour, and audio input where it is
    priced apart (None: as other input). Cached audio costs `cached * audio / input`, as in
    Google's table (Flash: $0.10 beside $0.05)."""

    input: float
    cached: float
    output: float
    storage: float
    audio: float | None = None


PRICES: dict[str, Price] = {  # checked in this order: the first family in the name wins
    "flash-lite": Price(input=0.10, cached=0.01, output=0.40, storage=1.00, audio=0.30),
    "pro": Price(input=2.00, cached=0.20, output=12.00, storage=4.50),
    "flash": Price(input=0.50, cached=0.05, output=3.00, storage=1.00, audio=1.00),
    "gemma": Price(input=0.0, cached=0.0, output=0.0, storage=0.0),
}


def price_for(model: str) -> Price:
    """The price row for `model`, with any override from GEMINITEACHER_PRICES applied."""
    table = _table()
    return listed_price(model, table) or table["flash"]


def listed_price(model: str, table: dict[str, Price] | None = None) -> Price | None:
    """The row of the first family name `model` contains, or None when no row names it."""
    name = model.lower()
    return next((row for family, row in (table or _table()).items()
                 if family.lower() in name), None)


def has_price(engine: str, model: str) -> bool:
    """Whether a cost can be shown: always for Gemini (unknown names take the Flash row); for
    another provider only when the table (or GEMINITEACHER_PRICES) names the model."""
    return engine == "gemini" or listed_price(model) is not None


def _table() -> dict[str, Price]:
    """The price table with any override from GEMINITEACHER_PRICES applied."""
    table = dict(PRICES)
    override = os.environ.get(PRICES_ENV, "").strip()
    if override:
        try:
            data = json.loads(Path(override).read_text(encoding="utf-8"))
            for family, fields in data.items():
                table[family] = replace(table.get(family, PRICES["flash"]), **fields)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise SettingsError(f"{PRICES_ENV}={override}: cannot use it ({exc}); give a JSON "
                                'file like {"flash": {"input": 0.5, "output": 3.0}}') from exc
    return table


def usage_cost(usage: Usage, price: Price, *, batch: bool = False) -> float:
    """Dollars for the tokens of `usage` (its input count includes the cached tokens); its
    audio input, when the breakdown by modality is known, at the audio rate (cached audio
    at the cached rate scaled the same way)."""
    fresh = max(0, usage.input_tokens - usage.cached_tokens)
    audio = cached_audio = 0
    if price.audio is not None:
        cached_audio = min(usage.cached_tokens, usage.cached_modalities.get("audio", 0))
        audio = min(fresh, max(0, usage.modalities.get("audio", 0) - cached_audio))
    scale = price.audio / price.input if price.audio is not None and price.input else 1.0
    dollars = ((fresh - audio) * price.input + audio * price.input * scale
               + (usage.cached_tokens - cached_audio) * price.cached
               + cached_audio * price.cached * scale
               + (usage.output_tokens + usage.thinking_tokens) * price.output) / 1e6
    return dollars * (BATCH_DISCOUNT if batch else 1.0)


def storage_cost(tokens: int, hours: float, price: Price) -> float:
    """Dollars for keeping `tokens` in an explicit cache for `hours`."""
    return tokens * hours * price.storage / 1e6


def expected_hours(calls: int, workers: int) -> float:
    """How long a course's calls take, generously: a minute per wave of `workers` calls."""
    return math.ceil(calls / max(1, workers)) * SECONDS_PER_WAVE / 3600


def cache_pays(tokens: int, calls: int, hours: float, price: Price) -> bool:
    """An explicit cache pays when the input it discounts over the calls after the first is
    worth more than keeping it for the run."""
    saving = (calls - 1) * tokens * (price.input - price.cached) / 1e6
    return saving > storage_cost(tokens, hours, price)


def wants_cache(tokens: int, calls: int, settings: CourseSettings, model: str) -> bool:
    """The cache setting applied: `on`, `off`, or `auto` (a cache when it pays)."""
    if settings.cache != "auto" or calls < 2:
        return settings.cache == "on" and calls >= 2
    hours = expected_hours(calls, settings.max_workers)
    return cache_pays(tokens, calls, hours, price_for(model))


def work_words(plan: RunPlan) -> str:
    """What an estimate for `plan` covers, in words: "up to 10 chapters", "the 4 chapter(s)
    left and the course summary", "the course summary"."""
    if plan.outline:
        return f"up to {plan.total} chapters"
    parts = [f"the {len(plan.todo)} chapter(s) left"] if plan.todo else []
    if plan.summary:
        parts.append("the course summary")
    return " and ".join(parts)


def estimate_cost(tokens: int, settings: CourseSettings, model: str, *,
                  plan: RunPlan | None = None, output_per_call: int = 2_000,
                  audio_tokens: int = 0) -> float:
    """A before-the-run estimate for a course of `settings.max_chapters` chapters, or for
    what the run `plan` has left to do (its chapters, and the outline and summary when it
    writes them): every call reads the document (from the cache after the first when one is
    made) and writes about `output_per_call` tokens, thinking included; with
    `settings.batch` the chapters bill at the batch discount. `audio_tokens` of `tokens` are
    recordings, billed at the audio rate."""
    plan = plan or RunPlan(settings.max_chapters, outline=True)
    chapters = plan.chapters
    calls = chapters + int(plan.outline) + int(plan.summary)
    if not calls:
        return 0.0
    price = price_for(model)
    cached = wants_cache(tokens, calls, settings, model)

    def cost(n: int, cache_first: bool, batch: bool = False) -> float:
        """`n` calls; with a cache, every call but the course's first reads it."""
        hits = max(0, n - 1 if cache_first else n) if cached else 0
        return usage_cost(Usage(input_tokens=tokens * n, cached_tokens=tokens * hits,
                                output_tokens=output_per_call * n,
                                modalities={"audio": audio_tokens * n},
                                cached_modalities={"audio": audio_tokens * hits}),
                          price, batch=batch)

    if settings.batch:
        calls_cost = cost(calls - chapters, True) + cost(chapters, False, batch=True)
    else:
        calls_cost = cost(calls, True)
    hours = expected_hours(calls, settings.max_workers)
    return calls_cost + (storage_cost(tokens, hours, price) if cached else 0.0)


def course_cost(manifest: dict[str, Any]) -> float:
    """What a course cost, from its course.json: its tokens (chapters a batch job wrote at
    the batch discount), plus its explicit cache (the tokens written into it, billed once as
    input, recordings at the audio rate, and their storage)."""
    price = price_for(str(manifest.get("model", "")))
    total = Usage.from_dict(manifest.get("usage"))
    batched = Usage()
    for chapter in manifest.get("chapters") or []:
        if chapter.get("batch"):
            batched = batched + Usage.from_dict(chapter.get("tokens"))
    online = total - batched
    cache = manifest.get("cache") or {}
    cached = int(cache.get("tokens") or 0)
    seconds = float(cache.get("seconds") or 0.0)
    written = Usage(input_tokens=cached,
                    modalities={"audio": int(cache.get("audio_tokens") or 0)})
    return (usage_cost(online, price) + usage_cost(batched, price, batch=True)
            + usage_cost(written, price) + storage_cost(cached, seconds / 3600, price))


def dollars(amount: float) -> str:
    """A cost for people: `$0.0123`, `$1.25`."""
    return f"${amount:.4f}" if amount < 1 else f"${amount:,.2f}"


def token_line(manifest: dict[str, Any]) -> str:
    """A course's tokens for people: `12,345 tokens (10,000 input, 2,000 of them cached,
    2,345 output, 500 thinking)`, for a model without a price."""
    usage = Usage.from_dict(manifest.get("usage"))
    parts = [f"{usage.input_tokens:,} input"]
    if usage.cached_tokens:
        parts.append(f"{usage.cached_tokens:,} of them cached")
    parts.append(f"{usage.output_tokens:,} output")
    if usage.thinking_tokens:
        parts.append(f"{usage.thinking_tokens:,} thinking")
    return f"{usage.total:,} tokens ({', '.join(parts)})"
