"""Polled jobs record how long the provider took, and later jobs like them are polled from that history."""

from __future__ import annotations

from conformance_helpers import FAST, edit
from gptedit.jobs import JobRunner


class PolledOnly:
    can_hold_poll = False


def test_a_polled_job_records_its_duration_and_the_next_one_learns_from_it(sandbox):
    sandbox.configure(latency=0.4)
    jobs = [edit(sandbox, "eachlabs")[0] for _ in range(3)]
    assert all(j.state.value == "fetched" for j in jobs)
    # the sandbox took 0.4 s from the create; the record counts from the accepted answer, so a little less
    assert all(j.took is not None and 0.0 < j.took < 2.0 for j in jobs)
    job, _, ledger = edit(sandbox, "eachlabs")
    runner = JobRunner(ledger, PolledOnly(), policy=FAST)
    runner._job = job
    assert len(runner._learned_history()) == 4


def test_a_job_answered_at_once_records_no_duration(sandbox):
    job = edit(sandbox, "openai")[0]
    assert job.state.value == "fetched" and job.took is None
