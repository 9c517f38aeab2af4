"""Fixtures for the browser tests: one Chromium per module, streamlit servers, sample files."""

from __future__ import annotations

import pytest

from tests.browser.harness import CHROMIUM, launch

SAMPLES = {
    "rivers.md": (
        "# Rivers\n\nA river carries water from high ground to the sea. Rain and melting snow "
        "feed it through streams called tributaries.\n\n## Erosion\n\nFast water wears away "
        "rock and carries sand downstream. Meanders form where the current cuts the outer "
        "bank and drops sediment on the inner bank.\n\n## Deltas\n\nWhere a river meets the "
        "sea it slows down and drops its load, building a delta of fertile land.\n"
    ),
    "lakes.txt": (
        "Lakes form where water collects in a basin. Glaciers dug many lake basins during "
        "the ice ages. A lake slowly fills with sediment and may become a marsh. Deep lakes "
        "have layers of water at different temperatures that mix in spring and autumn.\n"
    ),
}


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium; the tests skip only when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (CI installs it; .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory):
    """Two small documents to upload, as paths."""
    folder = tmp_path_factory.mktemp("uploads")
    paths = []
    for name, text in SAMPLES.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
