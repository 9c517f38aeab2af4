"""Shared pytest set-up: the fake Gemini fixtures live in tests/fakes/plugin.py."""

pytest_plugins = ["tests.fakes.plugin"]
