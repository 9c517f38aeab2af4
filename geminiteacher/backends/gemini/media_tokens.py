"""What media costs in Gemini tokens before Gemini has counted it: its documented rates per
PDF page, per picture, per second of audio and of video, at each media resolution.

These are estimates for the size check and the cost estimate before the first call; once a
file is uploaded, Gemini's own `countTokens` figure replaces them (kept in course.json).
"""

from __future__ import annotations

from geminiteacher.models import MediaPart

AUDIO_PER_SECOND = 32  # every resolution: audio is tokenised at a fixed rate
# tokens per PDF page, per picture, per second of video (frames at 1 fps plus the audio)
RATES = {
    "auto": {"pdf": 258, "image": 258, "video": 263},
    "low": {"pdf": 66, "image": 66, "video": 98},
    "medium": {"pdf": 258, "image": 258, "video": 263},
    "high": {"pdf": 560, "image": 1120, "video": 312},
}
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


def estimate_media_tokens(item: MediaPart, resolution: str = "auto") -> int:
    """Gemini input tokens for one media part at `resolution` (auto, low, medium, high)."""
    rates = RATES.get(resolution, RATES["auto"])
    if item.kind == "pdf":
        return rates["pdf"] * max(1, item.pages or 1)
    if item.kind == "image":
        return rates["image"]
    if item.kind == "audio":
        return round(AUDIO_PER_SECOND * media_seconds(item))
    return round(rates["video"] * media_seconds(item))
