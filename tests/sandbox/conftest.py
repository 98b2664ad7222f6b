"""The module's sandbox (tests/conftest.py), reset and set to a short latency before every test."""

from __future__ import annotations

import pytest
import requests
from gptedit.sandbox import Sandbox
from sbhelpers import TEST_LATENCY


@pytest.fixture
def sb(sandbox) -> Sandbox:
    sandbox.configure(
        latency=TEST_LATENCY, today="2026-11-29"
    )  # the day the tests describe (tests/conftest.py)
    return sandbox


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
