"""Unknown is not lost: a job whose create answer never came back is looked up at the provider (free
requests only), matched by what we know for sure, and followed like any other job — or left unknown when
nothing, or more than one thing, matches."""

from __future__ import annotations

import time

import pytest
from conformance_helpers import FAST, decoded, edit, picture, request_for, settings_for
from gptedit.engine import reconcile_jobs, resume_job, sweep_orphans
from gptedit.ledger import JobRecord, Ledger
from gptedit.models import JobState, Quality
from gptedit.providers.base import ProviderConfig
from gptedit.providers.registry import make_provider
from gptedit.reconcile import Finding

LOOKABLE = ("replicate", "fal")  # providers whose API lists an account's recent jobs
NOT_LOOKABLE = ("eachlabs", "openai")


def remote_jobs(sandbox, provider):
    return [j for j in sandbox.stats()["jobs"] if j["provider"] == provider]


def wait_until_ended(sandbox, provider, timeout=10.0):
    """fal's history lists a request once it has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = remote_jobs(sandbox, provider)
        if jobs and all(j["status"] not in ("queued", "starting", "processing") for j in jobs):
            return
        time.sleep(0.05)
    raise AssertionError("the sandbox job never ended")


def lost_answer(sandbox, provider, prompt="[identity] lost answer", image=None, **kw):
    """A create that reached the provider whose answer was lost: the job is unknown."""
    sandbox.inject(provider, "create", "reset", after_create=True)
    job, _, ledger = edit(sandbox, provider, prompt, image=image, settings_flags={"wait": 1}, **kw)
    assert job.state is JobState.UNKNOWN, (job.state, job.error)
    return job, ledger


def same_picture(path, img, provider) -> bool:
    out = decoded(path)
    if provider != "replicate":
        return out.tobytes() == img.tobytes()
    back = out.resize(img.size)
    diff = sum(abs(a - b) for a, b in zip(back.tobytes(), img.tobytes(), strict=True))
    return diff / (img.width * img.height * 4) < 12


@pytest.mark.parametrize("provider", LOOKABLE)
def test_a_lost_answer_is_found_and_resumed_with_one_create(sandbox, provider):
    img, image = picture()
    job, ledger = lost_answer(sandbox, provider, image=image)
    wait_until_ended(sandbox, provider)
    [outcome] = reconcile_jobs(ledger, job.id, settings=settings_for(sandbox, provider))
    assert outcome.finding is Finding.FOUND, outcome.message
    remote_id = remote_jobs(sandbox, provider)[0]["id"]
    assert outcome.job.state is JobState.SUBMITTED and outcome.job.handle.remote_id == remote_id
    assert remote_id in outcome.message
    assert sandbox.stats()[provider]["lists"] >= 1
    done = resume_job(job.id, ledger=ledger, policy=FAST, settings=settings_for(sandbox, provider))
    assert done.state is JobState.FETCHED, done.error
    assert same_picture(done.results[0], img, provider)
    assert len(remote_jobs(sandbox, provider)) == 1
    assert sandbox.stats()["leaked_credentials"] == []


@pytest.mark.parametrize("provider", LOOKABLE)
def test_two_indistinguishable_candidates_leave_the_job_unknown(sandbox, provider):
    _, image = picture()
    job, ledger = lost_answer(sandbox, provider, image=image)
    # the same edit, sent by something that is not in this ledger (another machine, a script)
    settings = settings_for(sandbox, provider)
    twin = make_provider(provider, ProviderConfig(provider, settings.base_url, "test-key-123"))
    twin.submit(request_for(settings, "[identity] lost answer", image))
    wait_until_ended(sandbox, provider)
    [outcome] = reconcile_jobs(ledger, job.id, settings=settings)
    assert outcome.finding is Finding.AMBIGUOUS, outcome.message
    assert "not guessing" in outcome.message and len(outcome.candidates) == 2
    after = ledger.get(job.id)
    assert after.state is JobState.UNKNOWN and after.handle is None
    assert len(remote_jobs(sandbox, provider)) == 2


@pytest.mark.parametrize("provider", LOOKABLE)
def test_a_candidate_two_of_our_unknown_jobs_could_claim_is_left_alone(sandbox, provider):
    _, image = picture()
    first, ledger = lost_answer(sandbox, provider, image=image)
    # the same edit again, lost before the provider made anything
    sandbox.inject(provider, "create", "reset")
    second, _, _ = edit(sandbox, provider, "[identity] lost answer", image=image, settings_flags={"wait": 1})
    assert second.state is JobState.UNKNOWN
    wait_until_ended(sandbox, provider)
    outcomes = {o.job.id: o for o in reconcile_jobs(ledger, settings=settings_for(sandbox, provider))}
    assert outcomes[first.id].finding is Finding.AMBIGUOUS, outcomes[first.id].message
    assert second.id[:8] in outcomes[first.id].message
    assert ledger.get(first.id).state is ledger.get(second.id).state is JobState.UNKNOWN


@pytest.mark.parametrize("provider", LOOKABLE)
def test_nothing_matching_keeps_the_job_unknown_with_its_message(sandbox, provider):
    sandbox.inject(provider, "create", "reset")  # the create never made a job
    job, _, ledger = edit(sandbox, provider, settings_flags={"wait": 1})
    assert job.state is JobState.UNKNOWN
    # a different edit in the same minutes is not ours
    edit(sandbox, provider, "[identity] another edit", settings_flags={"wait": 1})
    wait_until_ended(sandbox, provider)
    [outcome] = reconcile_jobs(ledger, job.id, settings=settings_for(sandbox, provider))
    assert outcome.finding is Finding.NONE, outcome.message
    assert job.error in outcome.message
    assert ledger.get(job.id).state is JobState.UNKNOWN and ledger.get(job.id).error == job.error


@pytest.mark.parametrize("provider", LOOKABLE)
def test_a_different_setting_is_not_a_match(sandbox, provider):
    _, image = picture()
    job, ledger = lost_answer(sandbox, provider, image=image, quality=Quality.LOW)
    # same prompt and image, other quality, not in the ledger
    settings = settings_for(sandbox, provider)
    other = make_provider(provider, ProviderConfig(provider, settings.base_url, "test-key-123"))
    other.submit(request_for(settings, "[identity] lost answer", image, quality=Quality.HIGH))
    wait_until_ended(sandbox, provider)
    [outcome] = reconcile_jobs(ledger, job.id, settings=settings)
    assert outcome.finding is Finding.FOUND, outcome.message
    ours = [j for j in remote_jobs(sandbox, provider) if j["request"]["params"].get("quality") == "low"]
    assert outcome.job.handle.remote_id == ours[0]["id"]


@pytest.mark.parametrize("provider", LOOKABLE)
def test_the_listing_is_followed_page_by_page(sandbox, provider):
    sandbox.configure(list_page_size=2)
    _, image = picture()
    job, ledger = lost_answer(sandbox, provider, image=image)
    for i in range(5):  # newer jobs push ours to a later page
        edit(sandbox, provider, f"[identity] later edit {i}", settings_flags={"wait": 1})
    wait_until_ended(sandbox, provider)
    settings = settings_for(sandbox, provider)
    if provider == "fal":
        import gptedit.providers.fal as fal

        fal.HISTORY_PAGE, saved = 2, fal.HISTORY_PAGE
    try:
        [outcome] = reconcile_jobs(ledger, job.id, settings=settings)
    finally:
        if provider == "fal":
            fal.HISTORY_PAGE = saved
    assert outcome.finding is Finding.FOUND, outcome.message
    assert sandbox.stats()[provider]["lists"] >= 3


@pytest.mark.parametrize("provider", NOT_LOOKABLE)
def test_providers_without_a_listing_say_so_and_send_nothing(sandbox, provider):
    job, ledger = lost_answer(sandbox, provider)
    before = sandbox.stats()[provider]
    [outcome] = reconcile_jobs(ledger, job.id, settings=settings_for(sandbox, provider))
    assert outcome.finding is Finding.UNSUPPORTED
    assert "no way to list" in outcome.message and job.error in outcome.message
    assert sandbox.stats()[provider] == before
    assert ledger.get(job.id).state is JobState.UNKNOWN


@pytest.mark.parametrize("provider", LOOKABLE)
def test_the_start_up_sweep_finds_a_job_killed_mid_create(sandbox, provider, monkeypatch):
    """What the plugins do at start-up: the orphan is marked unknown, looked up, and handed back as
    resumable — all through the core's `sweep_orphans`."""
    img, image = picture()
    settings = settings_for(sandbox, provider)
    request = request_for(settings, "[identity] killed", image)
    ledger = Ledger()
    rec = ledger.create(
        JobRecord(
            id="",
            origin="krita",
            provider=provider,
            protocol=provider,
            model=settings.model,
            base_url=settings.base_url,
            prompt=request.prompt,
            request=request.describe(),
            owner="elsewhere:1",
        )
    )
    ledger.update(rec.id, state=JobState.SUBMITTING, message="Sending", heartbeat=0.0)
    # the create reached the provider, then the program died
    make_provider(provider, ProviderConfig(provider, settings.base_url, "k")).submit(request)
    ledger.update(rec.id, heartbeat=0.0, owner="elsewhere:1")
    wait_until_ended(sandbox, provider)
    monkeypatch.setenv({"replicate": "REPLICATE_API_TOKEN", "fal": "FAL_KEY"}[provider], "test-key-123")
    resumable, unknown = sweep_orphans(ledger)
    assert [j.id for j in resumable] == [rec.id] and unknown == []
    states = [e[1] for e in ledger.events(rec.id)]
    assert states[-2:] == ["unknown", "submitted"]
    done = resume_job(rec.id, ledger=ledger, policy=FAST, settings=settings)
    assert done.state is JobState.FETCHED, done.error
    assert same_picture(done.results[0], img, provider)
    assert len(remote_jobs(sandbox, provider)) == 1


def test_the_sweep_without_a_key_leaves_the_job_unknown(sandbox):
    ledger = Ledger()
    rec = ledger.create(
        JobRecord(
            id="",
            origin="gimp",
            provider="replicate",
            protocol="replicate",
            model="openai/gpt-image-2",
            base_url=sandbox.base_urls["replicate"],
            prompt="x",
            request={"prompt": "x"},
            owner="elsewhere:1",
        )
    )
    ledger.update(rec.id, state=JobState.SUBMITTING, heartbeat=0.0, owner="elsewhere:1")
    resumable, unknown = sweep_orphans(ledger)
    assert resumable == [] and [j.id for j in unknown] == [rec.id]
    assert sandbox.stats()["replicate"]["lists"] == 0


def test_a_provider_that_cannot_be_reached_is_asked_once_per_look(sandbox):
    """Offline or refused: every unknown job says so, and the provider is not asked again for each one."""
    ledger = None
    jobs = []
    for i in range(3):
        sandbox.inject("replicate", "create", "reset", after_create=True)
        job, _, ledger = edit(sandbox, "replicate", f"[identity] lost {i}", settings_flags={"wait": 1})
        jobs.append(job)
    sandbox.inject("replicate", "list", "http_401", count=10)
    outcomes = reconcile_jobs(ledger, settings=settings_for(sandbox, "replicate"))
    assert sorted(o.job.id for o in outcomes) == sorted(j.id for j in jobs)
    assert all(o.finding is Finding.UNCHECKED and "Could not look" in o.message for o in outcomes)
    assert sandbox.stats()["replicate"]["lists"] == 1
    assert all(ledger.get(j.id).state is JobState.UNKNOWN for j in jobs)


def test_a_fal_request_still_running_is_found_by_a_later_look(sandbox):
    """fal's history lists a request once it has ended: the first look finds nothing and says a later one
    will; the later one finds it."""
    sandbox.configure(latency=1.5)
    job, ledger = lost_answer(sandbox, "fal")
    settings = settings_for(sandbox, "fal")
    [early] = reconcile_jobs(ledger, job.id, settings=settings)
    assert early.finding is Finding.NONE and "later" in early.message
    assert ledger.get(job.id).state is JobState.UNKNOWN
    wait_until_ended(sandbox, "fal")
    [later] = reconcile_jobs(ledger, job.id, settings=settings)
    assert later.finding is Finding.FOUND, later.message


@pytest.mark.parametrize("provider", LOOKABLE)
def test_the_same_edit_of_another_picture_is_not_a_match(sandbox, provider):
    """Same prompt and settings, a picture of another size sent inline: not ours."""
    _, image = picture(96, 64)
    job, ledger = lost_answer(sandbox, provider, image=image)
    settings = settings_for(sandbox, provider)
    other = make_provider(provider, ProviderConfig(provider, settings.base_url, "test-key-123"))
    other.submit(request_for(settings, "[identity] lost answer", picture(90, 60)[1]))  # same 3:2 ratio
    wait_until_ended(sandbox, provider)
    [outcome] = reconcile_jobs(ledger, job.id, settings=settings)
    assert outcome.finding is Finding.FOUND, outcome.message
    ours = [j for j in remote_jobs(sandbox, provider) if j["request"]["images"][0]["width"] == 96]
    assert outcome.job.handle.remote_id == ours[0]["id"]
