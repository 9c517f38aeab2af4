"""pytest fixtures for the fake Gemini and OpenAI-compatible servers (loaded by
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.web_server import FakeWeb

TEST_KEY = "test-key"


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started FakeGemini with no latency or faults; stopped after the test."""
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def gemini_env(fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    """The environment a configured user has, pointed at the fake: base URL and a test key."""
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.url)
    monkeypatch.setenv("GEMINI_API_KEY", TEST_KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    yield fake_gemini


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI of the "openai" flavour; stopped after the test."""
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def openai_env(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A user configured for an OpenAI-compatible server: OPENAI_BASE_URL at the fake, no
    Gemini key (so `auto` picks it), no OpenAI key."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    yield fake_openai


@pytest.fixture
def fake_web(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeb]:
    """A started FakeWeb on 127.0.0.1, with private addresses allowed so links can reach it."""
    monkeypatch.setenv("GEMINITEACHER_ALLOW_PRIVATE_URLS", "1")
    with FakeWeb() as web:
        yield web
