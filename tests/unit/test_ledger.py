import os
import subprocess
import sys
import threading
import time

from gptedit.ledger import JobRecord, Ledger, owner_alive, owner_id
from gptedit.models import JobState, RemoteHandle
from gptedit.paths import ledger_path


def _job(**kw) -> JobRecord:
    base = dict(
        id="",
        origin="test",
        provider="eachlabs",
        protocol="eachlabs",
        model="gpt-image-v2-edit",
        base_url="http://127.0.0.1:1/eachlabs",
        prompt="make it blue",
        request={"n": 1},
    )
    base.update(kw)
    return JobRecord(**base)


def test_rows_and_transitions_are_recorded_in_order():
    ledger = Ledger()
    job = ledger.create(_job())
    assert ledger.path == ledger_path()
    handle = RemoteHandle("eachlabs", "abc", {"get": "http://x/1"})
    ledger.update(job.id, state=JobState.SUBMITTING, message="sending")
    ledger.update(job.id, state=JobState.SUBMITTED, handle=handle)
    got = ledger.update(job.id, state=JobState.RUNNING, remote_status="processing")
    assert got.state is JobState.RUNNING
    assert got.handle == handle
    assert [e[1] for e in ledger.events(job.id)] == ["queued", "submitting", "submitted", "running"]
    # a second connection (another process) sees the same
    other = Ledger(ledger.path)
    assert other.get(job.id[:8]).remote_status == "processing"


def test_results_are_saved_durably_and_listed():
    ledger = Ledger()
    job = ledger.create(_job())
    p = ledger.save_result(job.id, 0, b"\x89PNG fake", "png")
    assert p.read_bytes() == b"\x89PNG fake"
    assert not list(p.parent.glob("*.part"))
    ledger.update(job.id, state=JobState.FETCHED, results=[str(p)])
    assert ledger.get(job.id).result_paths == [p]
    assert [j.id for j in ledger.list(states=(JobState.FETCHED,))] == [job.id]


def test_resumable_states():
    h = RemoteHandle("eachlabs", "x")
    assert _job(state=JobState.RUNNING, handle=h).can_resume
    assert not _job(state=JobState.RUNNING).can_resume  # never reached the provider
    assert not _job(state=JobState.UNKNOWN, handle=h).can_resume
    assert _job(state=JobState.FAILED, handle=h, error_kind="deadline").can_resume
    assert not _job(state=JobState.FAILED, handle=h, error_kind="moderation").can_resume
    assert not _job(state=JobState.RUNNING, handle=h, protocol="openai").can_resume


def test_orphans_are_jobs_whose_owner_died():
    ledger = Ledger()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    host = owner_id().rpartition(":")[0]
    orphan = ledger.create(_job(state=JobState.RUNNING, owner=f"{host}:{dead}"))
    mine = ledger.create(_job(state=JobState.RUNNING))
    ids = {j.id for j in ledger.orphans()}
    assert orphan.id in ids and mine.id not in ids


def test_owner_liveness_needs_a_fresh_heartbeat():
    assert owner_alive(owner_id(), time.time())
    assert not owner_alive(owner_id(), time.time() - 3600)
    assert not owner_alive("", time.time())


def test_claim_is_exclusive_between_live_owners():
    ledger = Ledger()
    job = ledger.create(_job(state=JobState.RUNNING, owner="otherhost:1"))
    ledger.heartbeat(job.id)  # fresh heartbeat from "another machine"
    assert not ledger.claim(job.id)
    assert ledger.claim(job.id, force=True)
    assert ledger.get(job.id).owner == owner_id()


def test_concurrent_writers_do_not_lose_updates():
    ledger = Ledger()
    jobs = [ledger.create(_job()) for _ in range(4)]

    def work(job):
        local = Ledger(ledger.path)
        for i in range(25):
            local.update(job.id, remote_status=f"step {i}")

    threads = [threading.Thread(target=work, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(ledger.get(j.id).remote_status == "step 24" for j in jobs)
    assert os.path.exists(ledger.path)


def test_durations_of_finished_jobs_of_the_same_model_quality_and_size_newest_first():
    ledger = Ledger()
    req = {"n": 1, "quality": "high", "size": "auto"}
    for took in (50.0, 55.0, 60.0):
        job = ledger.create(_job(request=req))
        ledger.update(job.id, state=JobState.FETCHED, took=took)
    ledger.update(ledger.create(_job(request={**req, "quality": "low"})).id, took=20.0)
    ledger.update(ledger.create(_job(request={**req, "size": "1024x1024"})).id, took=30.0)
    ledger.update(ledger.create(_job(request=req, model="gpt-image-1.5")).id, took=40.0)
    ledger.create(_job(request=req))  # still running: nothing to learn from
    got = ledger.durations("eachlabs", "http://127.0.0.1:1/eachlabs", "gpt-image-v2-edit", "high", "auto")
    assert sorted(got) == [50.0, 55.0, 60.0]
    assert ledger.durations("eachlabs", "http://elsewhere", "gpt-image-v2-edit", "high", "auto") == []
    assert (
        ledger.durations(
            "eachlabs", "http://127.0.0.1:1/eachlabs", "gpt-image-v2-edit", "high", "auto", limit=2
        )
        and len(
            ledger.durations(
                "eachlabs", "http://127.0.0.1:1/eachlabs", "gpt-image-v2-edit", "high", "auto", limit=2
            )
        )
        == 2
    )


def test_accepted_at_is_the_latest_submitted_event():
    ledger = Ledger()
    job = ledger.create(_job())
    assert ledger.accepted_at(job.id) is None
    before = time.time()
    ledger.update(job.id, state=JobState.SUBMITTED)
    at = ledger.accepted_at(job.id)
    assert at is not None and before <= at <= time.time()
