"""One sandbox for the whole run (starting listeners is cheap but not free), reset before every test."""

from __future__ import annotations

import pytest
import requests
from gptedit.sandbox import Sandbox
from sbhelpers import TEST_LATENCY


@pytest.fixture(scope="session")
def _server():
    sb = Sandbox().start()
    yield sb
    sb.stop()


@pytest.fixture
def sb(_server: Sandbox) -> Sandbox:
    _server.reset()
    _server.configure(latency=TEST_LATENCY, today="2026-11-29")  # the day the tests describe (tests/conftest.py)
    return _server


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
