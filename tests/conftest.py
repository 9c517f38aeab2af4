"""Shared pytest set-up. The fake Gemini fixtures live in tests/fakes/plugin.py.

Browser tests skip only where Chromium is absent; with GEMINITEACHER_REQUIRE_BROWSER=1
(set by .ci/run, which installs Chromium) such a skip is reported as a failure.
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.fakes.plugin"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    required = os.environ.get("GEMINITEACHER_REQUIRE_BROWSER") == "1"
    if required and report.skipped and item.get_closest_marker("browser"):
        report.outcome = "failed"
        report.longrepr = f"browser test skipped but CI requires it: {report.longrepr}"
