"""A job survives Krita being killed mid-job (scenarios resume_start.py, then resume_finish.py, run once per
Krita version): on the next start it resumes by itself (engine.sweep_orphans + resume_job), the user is
told, and the result inserts from History, corrected for drift like a fresh answer (its job kept the region
it sent)."""

from __future__ import annotations

import sqlite3

import pytest
from test_krita_seam import EDGE_TOLERANCE

#: the job killed mid-poll: a drifted answer (the sandbox's tag) from fal, which takes the mask
DRIFTED = "[identity] [drift:1:5] survive a crash"


def _ledger_row(home, job_id):
    con = sqlite3.connect(str(home / "jobs.sqlite3"))
    try:
        return con.execute("SELECT state, results, context FROM jobs WHERE id = ?", (job_id,)).fetchone()
    finally:
        con.close()


@pytest.fixture
def resumed(krita_once) -> dict:
    def flow(krita):
        krita.sandbox.configure(latency=15)
        env = krita.env("fal")
        proc = krita.start("resume_start.py", params={"drift": True}, env=env, timeout=120)
        try:
            report = proc.wait_report(
                lambda r: r.get("data", {}).get("state") in ("submitted", "running"), 60
            )
        finally:
            proc.kill_krita()
        job_id = report["data"]["job_id"]
        killed = _ledger_row(krita.home, job_id)
        data = krita.run("resume_finish.py", params={"job_id": job_id, "drift": True}, env=env, timeout=150)
        return {**data, "killed_row": killed, "final_row": _ledger_row(krita.home, job_id)}

    return krita_once("resume", flow)


def test_killing_krita_mid_job_leaves_the_job_waiting_in_the_ledger(resumed):
    state, results, _context = resumed["killed_row"]
    assert state in ("submitted", "running") and results in (None, "[]"), state  # killed mid-job


def test_the_next_start_resumes_the_job_and_says_so(resumed):
    assert "Resuming 1 unfinished job" in resumed["first_notice"], resumed["first_notice"]
    assert "Resuming 1 unfinished job" in resumed["docker_message"]
    assert resumed["final_notice"].startswith(f"Resumed job “{DRIFTED}” finished")
    assert "Insert again" in resumed["final_notice"]


def test_the_resumed_result_inserts_from_history_with_its_mask(resumed):
    assert resumed["insert_error"] == ""
    assert resumed["layers"][-1] == f"GPT: {DRIFTED}"
    assert resumed["masks"] == ["transparencymask"]
    x, y, w, h = resumed["bounds"]
    assert x >= 0 and y >= 0 and x + w <= 900 and y + h <= 600


def test_the_resumed_drifted_result_is_corrected_like_a_fresh_one(resumed):
    # measured against the region the job kept before it was sent: aligned, colour matched, soft edge
    seam = resumed["seam"]
    assert seam and seam["aligned"] and seam["colour_matched"] and seam["feather_px"] >= 6, resumed
    assert "Seam: shifted" in resumed["status"], resumed["status"]
    # outside the selection nothing changed; at its edge only noise-level differences remain, where the
    # answer laid in uncorrected shows the drift
    assert resumed["outside_max"] == 0
    assert resumed["band_after"] <= EDGE_TOLERANCE, resumed
    assert resumed["band_raw"] > 2 * resumed["band_after"], resumed


def test_the_ledger_records_the_resumed_job_as_inserted(resumed):
    state, results, _context = resumed["final_row"]
    assert state == "inserted" and "result-1" in results


@pytest.fixture
def found_at_start_up(krita_once) -> dict:
    """Krita is killed while its create request is still open at Replicate (the prediction exists, its id
    never came back): the job is *unknown*. On the next start the core's sweep looks at the account's
    predictions, recognises it, and it resumes like any other job."""

    def flow(krita):
        sandbox = krita.sandbox
        sandbox.configure(latency=2)
        sandbox.inject("replicate", "create", "slow", after_create=True, seconds=60)

        def created():
            return [j for j in sandbox.stats()["jobs"] if j["provider"] == "replicate"]

        proc = krita.start("resume_start.py", env=krita.env("replicate"), timeout=120)
        try:
            report = proc.wait_report(
                lambda r: bool(r.get("data", {}).get("job_id")) and len(created()) == 1, 60
            )
        finally:
            proc.kill_krita()
        job_id = report["data"]["job_id"]
        killed = _ledger_row(krita.home, job_id)
        data = krita.run(
            "resume_finish.py", params={"job_id": job_id}, env=krita.env("replicate"), timeout=150
        )
        return {
            **data,
            "killed_row": killed,
            "final_row": _ledger_row(krita.home, job_id),
            "creates": len(created()),
            "lists": sandbox.stats()["replicate"]["lists"],
        }

    return krita_once("resume_mid_create", flow)


def test_killed_while_the_create_is_open_leaves_the_job_submitting(found_at_start_up):
    state, results, _context = found_at_start_up["killed_row"]
    assert state == "submitting" and results in (None, "[]"), state  # killed with the create open


def test_the_next_start_finds_the_job_at_the_provider_and_resumes_it(found_at_start_up):
    data = found_at_start_up
    assert "Resuming 1 unfinished job" in data["first_notice"], data["first_notice"]
    assert data["final_notice"].startswith("Resumed job “[invert] survive a crash” finished")
    assert data["lists"] >= 1  # it looked at the account's predictions


def test_the_job_found_at_start_up_inserts_and_was_created_once(found_at_start_up):
    data = found_at_start_up
    assert data["insert_error"] == ""
    assert data["layers"][-1] == "GPT: [invert] survive a crash"
    state, results, _context = data["final_row"]
    assert state == "inserted" and "result-1" in results
    assert data["creates"] == 1
