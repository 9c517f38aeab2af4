"""Pictures are estimated by Google's documented rule for the model and media resolution:
a fixed budget per resolution on Gemini 3, 258 tokens per 768-pixel tile on Gemini 2."""

from __future__ import annotations

import pytest

from geminiteacher.backends.gemini.media_tokens import estimate_media_tokens
from geminiteacher.models import MediaPart
from tests.media_files import picture


def image(size: tuple[int, int], kind: str = "PNG") -> MediaPart:
    return MediaPart(name="board.png", kind="image", mime_type="image/png",
                     data=picture(kind, size=size))


@pytest.mark.parametrize(("resolution", "tokens"),
                         [("auto", 1120), ("low", 280), ("medium", 560), ("high", 1120)])
def test_gemini_3_gives_a_picture_the_budget_of_its_resolution(resolution, tokens):
    big = image((2000, 1500))
    assert estimate_media_tokens(big, resolution, "gemini-3-flash-preview") == tokens
    assert estimate_media_tokens(big, resolution) == tokens  # unnamed: the current family


def test_gemini_2_counts_a_small_picture_as_one_tile():
    assert estimate_media_tokens(image((384, 300)), "auto", "gemini-2.5-flash") == 258


def test_gemini_2_counts_a_large_picture_by_its_768_pixel_tiles():
    assert estimate_media_tokens(image((1600, 900), "JPEG"), "auto",
                                 "gemini-2.5-flash") == 258 * 3 * 2


def test_gemini_2_with_a_resolution_set_uses_its_fixed_count():
    big = image((1600, 900))
    assert estimate_media_tokens(big, "low", "gemini-2.5-flash") == 64
    assert estimate_media_tokens(big, "high", "gemini-2.5-flash") == 256


def test_a_picture_whose_size_cannot_be_read_counts_as_one_tile_on_gemini_2(tmp_path):
    unreadable = MediaPart(name="x.heic", kind="image", mime_type="image/heic",
                           data=b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    assert estimate_media_tokens(unreadable, "auto", "gemini-2.0-flash") == 258
    kept = tmp_path / "board.png"
    kept.write_bytes(picture(size=(1600, 900)))
    on_disk = MediaPart(name="board.png", kind="image", mime_type="image/png", path=str(kept))
    assert estimate_media_tokens(on_disk, "auto", "gemini-2.0-flash") == 258 * 3 * 2
