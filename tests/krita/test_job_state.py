"""The Krita job's state is typed like the core's: every core JobState has its KritaJobState of the same
text, plus the plugin's own two steps; it still reads and compares as text (scripts, reports, the list)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("PyQt6.QtGui", reason="pip install PyQt6 (the `test` extra)")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "krita_plugin"))

from gptedit.models import JobState  # noqa: E402
from gptedit_krita.session import KritaJobState  # noqa: E402


def test_every_core_state_has_a_krita_state_of_the_same_text():
    for state in JobState:
        assert KritaJobState.of(state).value == state.value
    own = {s.value for s in KritaJobState} - {s.value for s in JobState}
    assert own == {"preparing", "inserting"}


def test_a_krita_state_reads_as_its_text():
    s = KritaJobState.INSERTED
    assert s == "inserted" and str(s) == "inserted" and f"{s}" == "inserted"
    assert json.dumps({"state": s}) == '{"state": "inserted"}'
    assert s in ("fetched", "inserted")


def test_only_inserted_and_fetched_end_with_a_result():
    assert {s for s in KritaJobState if s.ended_well} == {KritaJobState.INSERTED, KritaJobState.FETCHED}
