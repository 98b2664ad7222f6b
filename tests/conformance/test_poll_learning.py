"""Polled jobs record how long the provider took, and later jobs like them are polled from that history."""

from __future__ import annotations

import time

from conformance_helpers import FAST, edit
from gptedit.jobs import JobRunner


class PolledOnly:
    can_hold_poll = False


def test_a_polled_job_records_its_duration_and_the_next_one_learns_from_it(sandbox):
    sandbox.configure(latency=0.4)
    for _ in range(3):
        started = time.monotonic()
        job = edit(sandbox, "eachlabs")[0]
        spent = time.monotonic() - started
        assert job.state.value == "fetched"
        # counted from the accepted create to the end: inside the time the whole edit took, however long
        assert job.took is not None and 0.0 < job.took <= spent, (job.took, spent)
    job, _, ledger = edit(sandbox, "eachlabs")
    runner = JobRunner(ledger, PolledOnly(), policy=FAST)
    runner._job = job
    assert len(runner._learned_history()) == 4


def test_a_job_answered_at_once_records_no_duration(sandbox):
    job = edit(sandbox, "openai")[0]
    assert job.state.value == "fetched" and job.took is None
