"""What media costs in Gemini tokens before Gemini has counted it: its documented rates per
PDF page, per picture, per second of audio and of video, at each media resolution.

These are estimates for the size check and the cost estimate before the first call; once a
file is uploaded, Gemini's own `countTokens` figure replaces them (kept in course.json).

Pictures follow Google's token-counting docs (checked 2026-12): Gemini 3 gives a picture a
fixed budget per media resolution (low 280, medium 560, high 1120; left unset it reads at
high); Gemini 2 and older count 258 tokens for a picture of at most 384 pixels a side, else
258 per 768x768 tile it is cut into, or 64 (low) and 256 (medium, high) when a resolution
is set.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

from PIL import Image

from geminiteacher.models import MediaPart

AUDIO_PER_SECOND = 32  # every resolution: audio is tokenised at a fixed rate
# tokens per PDF page, per second of video (frames at 1 fps plus the audio)
RATES = {
    "auto": {"pdf": 258, "video": 263},
    "low": {"pdf": 66, "video": 98},
    "medium": {"pdf": 258, "video": 263},
    "high": {"pdf": 560, "video": 312},
}
PICTURE_BUDGET = {"auto": 1120, "low": 280, "medium": 560, "high": 1120}  # Gemini 3 on
OLDER_BUDGET = {"low": 64, "medium": 256, "high": 256}  # Gemini 2 with a resolution set
TILE_TOKENS, SMALL_SIDE, TILE_SIDE = 258, 384, 768  # Gemini 2 and older, resolution unset
_OLDER = ("gemini-1", "gemini-2")
AUDIO_BYTES_PER_SECOND = 16_000  # 128 kbit/s: a guess when the header did not say
VIDEO_BYTES_PER_SECOND = 125_000  # 1 Mbit/s
YOUTUBE_GUESS_SECONDS = 600.0  # a link's length is not known before Gemini watches it


def media_seconds(item: MediaPart) -> float:
    """The recording's length: from its header, else guessed from its size."""
    if item.seconds:
        return item.seconds
    if item.kind == "youtube":
        return YOUTUBE_GUESS_SECONDS
    rate = AUDIO_BYTES_PER_SECOND if item.kind == "audio" else VIDEO_BYTES_PER_SECOND
    return max(1.0, item.size / rate)


def picture_size(item: MediaPart) -> tuple[int, int] | None:
    """The picture's width and height from its header (nothing is decoded), or None when
    it cannot be read (HEIC without a plugin, a missing file)."""
    try:
        source = io.BytesIO(item.data) if item.data is not None else Path(item.path or "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(source) as image:
                return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def picture_tokens(item: MediaPart, resolution: str = "auto", model: str = "") -> int:
    """One picture's tokens by the documented rule of `model`'s generation (see above)."""
    if not any(old in model.lower() for old in _OLDER):
        return PICTURE_BUDGET.get(resolution, PICTURE_BUDGET["auto"])
    if resolution in OLDER_BUDGET:
        return OLDER_BUDGET[resolution]
    size = picture_size(item)
    if size is None or max(size) <= SMALL_SIDE:
        return TILE_TOKENS
    width, height = size
    return TILE_TOKENS * math.ceil(width / TILE_SIDE) * math.ceil(height / TILE_SIDE)


def estimate_media_tokens(item: MediaPart, resolution: str = "auto", model: str = "") -> int:
    """Gemini input tokens for one media part at `resolution` (auto, low, medium, high) on
    `model` (a Gemini 3 model when not said)."""
    rates = RATES.get(resolution, RATES["auto"])
    if item.kind == "pdf":
        return rates["pdf"] * max(1, item.pages or 1)
    if item.kind == "image":
        return picture_tokens(item, resolution, model)
    if item.kind == "audio":
        return round(AUDIO_PER_SECOND * media_seconds(item))
    return round(rates["video"] * media_seconds(item))
