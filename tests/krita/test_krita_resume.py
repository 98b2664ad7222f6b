"""Issue 4 in real Krita: a job survives Krita being killed mid-job. On the next start it resumes by
itself (engine.sweep_orphans + resume_job), the user is told, and the result inserts from History."""

from __future__ import annotations

import sqlite3


def _ledger_row(home, job_id):
    con = sqlite3.connect(str(home / "jobs.sqlite3"))
    try:
        return con.execute("SELECT state, results, context FROM jobs WHERE id = ?", (job_id,)).fetchone()
    finally:
        con.close()


def test_resume_after_killing_krita(krita):
    krita.sandbox.configure(latency=15)
    proc = krita.start("resume_start.py", timeout=120)
    try:
        report = proc.wait_report(lambda r: r.get("data", {}).get("state") in ("submitted", "running"), 60)
    finally:
        proc.kill_krita()
    job_id = report["data"]["job_id"]
    state, results, _context = _ledger_row(krita.home, job_id)
    assert state in ("submitted", "running") and results in (None, "[]"), state  # killed mid-job

    data = krita.run("resume_finish.py", params={"job_id": job_id}, timeout=150)
    assert "Resuming 1 unfinished job" in data["first_notice"], data["first_notice"]
    assert "Resuming 1 unfinished job" in data["docker_message"]
    assert data["final_notice"].startswith("Resumed job “[invert] survive a crash” finished")
    assert "Insert again" in data["final_notice"]
    assert data["insert_error"] == ""
    assert data["layers"][-1] == "GPT: [invert] survive a crash"
    assert data["masks"] == ["transparencymask"]
    x, y, w, h = data["bounds"]
    assert x >= 0 and y >= 0 and w <= 160 and h <= 100
    state, results, _context = _ledger_row(krita.home, job_id)
    assert state == "inserted" and "result-1" in results


def test_krita_killed_mid_create_finds_the_job_at_start_up(krita):
    """Krita is killed while its create request is still open at Replicate (the prediction exists, its id
    never came back): the job is *unknown*. On the next start the core's sweep looks at the account's
    predictions, recognises it, and it resumes like any other job — with one create at the provider."""
    sandbox = krita.sandbox
    sandbox.configure(latency=2)
    sandbox.inject("replicate", "create", "slow", after_create=True, seconds=60)

    def created():
        return [j for j in sandbox.stats()["jobs"] if j["provider"] == "replicate"]

    proc = krita.start("resume_start.py", env=krita.env("replicate"), timeout=120)
    try:
        report = proc.wait_report(lambda r: bool(r.get("data", {}).get("job_id")) and len(created()) == 1, 60)
    finally:
        proc.kill_krita()
    job_id = report["data"]["job_id"]
    state, results, _context = _ledger_row(krita.home, job_id)
    assert state == "submitting" and results in (None, "[]"), state  # killed with the create open

    data = krita.run("resume_finish.py", params={"job_id": job_id}, env=krita.env("replicate"), timeout=150)
    assert "Resuming 1 unfinished job" in data["first_notice"], data["first_notice"]
    assert data["final_notice"].startswith("Resumed job “[invert] survive a crash” finished")
    assert data["insert_error"] == ""
    assert data["layers"][-1] == "GPT: [invert] survive a crash"
    state, results, _context = _ledger_row(krita.home, job_id)
    assert state == "inserted" and "result-1" in results
    assert len(created()) == 1
    assert sandbox.stats()["replicate"]["lists"] >= 1
