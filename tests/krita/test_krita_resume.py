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
