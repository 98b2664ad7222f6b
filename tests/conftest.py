"""Every test gets its own data folder and config file, and none of the caller's provider settings or keys:
a test must never read a developer's real keys or write into their ledger."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

_LEAKY = ("EACHLABS_API_KEY", "OPENAI_API_KEY", "REPLICATE_API_TOKEN", "FAL_KEY")
#: the day the tests describe: the clock for model shutdowns is pinned so a test run gives the same answers
#: on any date (GPTEDIT_TODAY on the client, the sandbox's `today` switch); tests about shutdowns set their own
TESTS_TODAY = "2026-11-29"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("gptedit-home")
    monkeypatch.setenv("GPTEDIT_HOME", str(home))
    monkeypatch.delenv("GPTEDIT_CONFIG", raising=False)
    for name in list(os.environ):
        if name.startswith("GPTEDIT_") and name not in ("GPTEDIT_HOME", "GPTEDIT_REQUIRE_HOSTS",
                                                        "GPTEDIT_KRITA_ZIP", "GPTEDIT_GIMP_ZIP",
                                                        "GPTEDIT_HOSTS_ROOT"):
            monkeypatch.delenv(name, raising=False)
    for name in _LEAKY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GPTEDIT_TODAY", TESTS_TODAY)
    return home
