"""Provider conformance: the same scenarios, through the real engine (ledger, runner, provider, transport),
against each of the four protocols as the sandbox speaks them."""

from __future__ import annotations

import threading
import time

import pytest
from conformance_helpers import (
    FAST,
    MULTI_MODEL,
    PROVIDERS,
    Recorder,
    decoded,
    edit,
    mask_for,
    picture,
    settings_for,
)
from gptedit.engine import resume_job, sweep_orphans
from gptedit.errors import GptEditError
from gptedit.jobs import CancelToken
from gptedit.ledger import Ledger
from gptedit.models import JobState

CANCELLABLE = ("eachlabs", "openai-responses", "replicate", "fal")
# OpenAI's Images API answers in the create request itself; its Responses route is polled
POLLED = ("eachlabs", "openai-responses", "replicate", "fal")
# results fetched from a URL (OpenAI's routes carry them as base64 in the answer)
DOWNLOADED = ("eachlabs", "replicate", "fal")


def creates(sandbox, provider):
    """Jobs the provider made (a create refused with 429 makes none)."""
    return len([j for j in sandbox.stats()["jobs"] if j["provider"] == provider])


def same_picture(path, img, provider) -> bool:
    """Replicate and each::labs have no "auto" size: their answer comes at the fixed size nearest the
    input's aspect, so compare after scaling back; the others answer at the input's size, pixel for pixel."""
    out = decoded(path)
    if provider not in ("replicate", "eachlabs"):
        return out.tobytes() == img.tobytes()
    back = out.resize(img.size)
    diff = sum(abs(a - b) for a, b in zip(back.tobytes(), img.tobytes(), strict=True))
    return diff / (img.width * img.height * 4) < 12


@pytest.mark.parametrize("provider", PROVIDERS)
def test_identity_edit_returns_the_same_pixels_and_records_every_step(sandbox, provider):
    img, image = picture()
    job, rec, ledger = edit(sandbox, provider, "[identity] nothing", image=image)
    assert job.state is JobState.FETCHED, job.error
    assert len(job.results) == 1
    assert same_picture(job.results[0], img, provider)
    states = [e[1] for e in ledger.events(job.id)]
    assert states[:3] == ["queued", "submitting", "submitted"] and states[-1] == "fetched"
    assert rec.states()[-1] == "fetched"
    assert job.cost is not None and job.cost > 0
    assert job.estimate_low is not None and job.estimate_high >= job.estimate_low
    assert creates(sandbox, provider) == 1
    assert sandbox.stats()["leaked_credentials"] == []


@pytest.mark.parametrize("provider", MULTI_MODEL)  # OpenAI's Responses route makes one image per job
def test_variations_are_numbered_results(sandbox, provider, monkeypatch):
    if provider == "replicate":
        # Replicate's only current model makes one image; its 1.5 wrapper made several until 2026-12-01
        monkeypatch.setenv("GPTEDIT_TODAY", "2026-11-30")
        sandbox.configure(today="2026-11-30")
    job, _, _ = edit(sandbox, provider, "[tint] warm", n=2, settings_flags={"model": MULTI_MODEL[provider]})
    assert job.state is JobState.FETCHED, job.error
    assert len(job.results) == 2
    a, b = (decoded(p) for p in job.results)
    assert a.size == b.size
    assert a.tobytes() != b.tobytes()  # the sandbox's tint differs per variation


@pytest.mark.parametrize("shape", ["array", "string", "object", "object_list"])
def test_eachlabs_output_shapes(sandbox, shape):
    sandbox.configure(output_shape={"eachlabs": shape})
    img, image = picture()
    job, _, _ = edit(sandbox, "eachlabs", image=image)
    assert job.state is JobState.FETCHED, job.error
    assert same_picture(job.results[0], img, "eachlabs")


@pytest.mark.parametrize("shape", ["list", "string"])
def test_replicate_output_shapes(sandbox, shape):
    sandbox.configure(output_shape={"replicate": shape})
    job, _, _ = edit(sandbox, "replicate")
    assert job.state is JobState.FETCHED, job.error


@pytest.mark.parametrize(
    "provider,reading",
    [("openai", "alpha"), ("openai-responses", "alpha"), ("fal", "alpha"), ("fal", "brightness")],
)
def test_mask_limits_the_edit(sandbox, provider, reading):
    """fal's page does not say how `mask_url` is read, so fal's mask must work under both readings."""
    sandbox.configure(fal_mask_reading=reading)
    img, image = picture()
    box = (10, 5, 50, 40)
    job, _, _ = edit(sandbox, provider, "[invert] flip", image=image, mask=mask_for(96, 64, box))
    assert job.state is JobState.FETCHED, job.error
    out = decoded(job.results[0])
    for x, y in [(10, 5), (49, 39), (30, 20)]:
        r, g, b, a = img.getpixel((x, y))
        assert out.getpixel((x, y)) == (255 - r, 255 - g, 255 - b, a)
    for x, y in [(0, 0), (9, 5), (50, 39), (95, 63)]:
        assert out.getpixel((x, y)) == img.getpixel((x, y))


@pytest.mark.parametrize("provider", ["eachlabs", "replicate"])
def test_mask_is_refused_before_sending_where_unsupported(sandbox, provider):
    _, image = picture()
    with pytest.raises(GptEditError, match="mask"):
        edit(sandbox, provider, image=image, mask=mask_for(96, 64, (0, 0, 5, 5)))
    assert creates(sandbox, provider) == 0
    assert Ledger().list() == []  # nothing written: nothing was attempted


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_key_is_an_auth_failure_with_the_variable_named(sandbox, provider):
    job, _, _ = edit(sandbox, provider, settings_flags={"api_key": "invalid"})
    assert job.state is JobState.FAILED
    assert job.error_kind == "auth"
    from gptedit.settings import KEY_ENV

    assert KEY_ENV[provider] in job.error
    assert creates(sandbox, provider) == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_out_of_credit(sandbox, provider):
    sandbox.inject(provider, "create", "quota" if provider.startswith("openai") else "http_402")
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FAILED and job.error_kind == "payment", job.error


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_rate_limited_create_waits_and_is_sent_again_once(sandbox, provider):
    sandbox.inject(provider, "create", "http_429", retry_after=0.3)
    t0 = time.monotonic()
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FETCHED, job.error
    assert time.monotonic() - t0 >= 0.3  # Retry-After honoured
    assert creates(sandbox, provider) == 1  # the refused one made nothing


@pytest.mark.parametrize("provider", POLLED)
@pytest.mark.parametrize("fault", ["http_500", "http_503", "malformed_json", "reset", "http_429"])
def test_poll_faults_are_survived(sandbox, provider, fault):
    sandbox.configure(latency=0.6)
    params = {"retry_after": 0.2} if fault == "http_429" else {}
    sandbox.inject(provider, "poll", fault, count=2, **params)
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FETCHED, job.error
    assert creates(sandbox, provider) == 1


@pytest.mark.parametrize("provider", POLLED)
def test_an_undocumented_status_word_means_still_running(sandbox, provider):
    sandbox.configure(latency=0.6)
    sandbox.inject(provider, "poll", "unknown_status", count=2, status="warming")
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FETCHED, job.error


@pytest.mark.parametrize("provider", PROVIDERS)
def test_moderation_is_reported_as_such(sandbox, provider):
    sandbox.configure(outcome="moderation")
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FAILED
    assert job.error_kind == "moderation", (job.error_kind, job.error)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_failed_run_carries_the_providers_words(sandbox, provider):
    sandbox.configure(outcome="error")
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FAILED
    assert job.error and "Traceback" not in job.error


@pytest.mark.parametrize("provider", DOWNLOADED)
def test_an_expired_output_link_is_named(sandbox, provider):
    sandbox.inject(provider, "download", "expired_output", count=5)
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FAILED and job.error_kind == "output_expired", job.error


@pytest.mark.parametrize("provider", DOWNLOADED)
def test_a_truncated_download_is_fetched_again(sandbox, provider):
    img, image = picture()
    sandbox.inject(provider, "download", "truncated_image", count=1)
    job, _, _ = edit(sandbox, provider, image=image)
    assert job.state is JobState.FETCHED, job.error
    assert same_picture(job.results[0], img, provider)


def test_a_truncated_openai_answer_fails_without_sending_again(sandbox):
    sandbox.inject("openai", "create", "truncated_image")
    job, _, _ = edit(sandbox, "openai")
    assert job.state is JobState.FAILED and job.error_kind == "bad_response", job.error
    assert creates(sandbox, "openai") == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_answer_lost_after_create_is_unknown_and_never_resent(sandbox, provider):
    sandbox.inject(provider, "create", "reset", after_create=True)
    job, _, ledger = edit(sandbox, provider)
    assert job.state is JobState.UNKNOWN, (job.state, job.error)
    assert "unknown" in job.error
    time.sleep(0.2)
    assert creates(sandbox, provider) == 1
    with pytest.raises(GptEditError, match="charged twice|not re-sent|never"):
        resume_job(job.id, ledger=ledger, policy=FAST, settings=settings_for(sandbox, provider))
    assert creates(sandbox, provider) == 1


@pytest.mark.parametrize("provider", CANCELLABLE)
def test_cancel_stops_the_remote_job(sandbox, provider):
    sandbox.configure(latency=0.0, hold="processing")  # the job cannot end before the cancel
    token = CancelToken()
    rec = Recorder()
    result = {}

    def run():
        result["job"], _, _ = edit(sandbox, provider, cancel=token, listener=rec, settings_flags={"wait": 1})

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 10
    while "submitted" not in rec.states() and time.monotonic() < deadline:
        time.sleep(0.02)
    token.cancel()
    t.join(10)
    assert not t.is_alive()
    job = result["job"]
    assert job.state is JobState.CANCELLED
    assert sandbox.stats()[provider]["cancels"] == 1
    remote = [j for j in sandbox.stats()["jobs"] if j["provider"] == provider]
    assert remote and remote[-1]["status"] == "cancelled"


@pytest.mark.parametrize("provider", POLLED)
def test_a_job_that_outlives_its_deadline_resumes_later_with_one_create(sandbox, provider):
    sandbox.configure(latency=2.5)
    img, image = picture()
    flags = {"deadline": 0.4, "wait": 1}
    job, _, ledger = edit(sandbox, provider, image=image, settings_flags=flags)
    assert job.state is JobState.FAILED and job.error_kind == "deadline", job.error
    assert job.can_resume
    done = resume_job(job.id, ledger=ledger, policy=FAST, settings=settings_for(sandbox, provider))
    assert done.state is JobState.FETCHED, done.error
    assert same_picture(done.results[0], img, provider)
    assert creates(sandbox, provider) == 1


def test_orphans_submitting_become_unknown_and_running_ones_resume(sandbox):
    sandbox.configure(latency=0.3)
    ledger = Ledger()
    job, _, _ = edit(sandbox, "eachlabs", settings_flags={"deadline": 0.01})
    # pretend the process that drove it died while polling
    ledger.update(job.id, state=JobState.RUNNING, owner="elsewhere:1", heartbeat=0.0)
    from gptedit.ledger import JobRecord

    lost = ledger.create(
        JobRecord(
            id="",
            origin="test",
            provider="eachlabs",
            protocol="eachlabs",
            model="gpt-image-v2-edit",
            base_url=sandbox.base_urls["eachlabs"],
            prompt="x",
            state=JobState.SUBMITTING,
            owner="elsewhere:1",
        )
    )
    ledger.update(lost.id, heartbeat=0.0)
    resumable, unknown = sweep_orphans(ledger)
    assert [j.id for j in resumable] == [job.id]
    assert [j.id for j in unknown] == [lost.id]
    assert ledger.get(lost.id).state is JobState.UNKNOWN


def test_openai_responses_moderation_in_either_shape(sandbox):
    """The Responses API may report a refused picture on the image call of a completed response, or as a
    failed response; both are a moderation failure, with nothing saved."""
    for shape in ("call", "response"):
        sandbox.configure(outcome="moderation", responses_moderation=shape)
        job, _, _ = edit(sandbox, "openai-responses")
        assert job.state is JobState.FAILED and job.error_kind == "moderation", (shape, job.error)
        assert job.results == []


def test_openai_responses_a_damaged_image_is_read_again(sandbox):
    img, image = picture()
    sandbox.inject("openai-responses", "poll", "truncated_image")
    job, _, _ = edit(sandbox, "openai-responses", image=image)
    assert job.state is JobState.FETCHED, job.error
    assert same_picture(job.results[0], img, "openai-responses")
    assert creates(sandbox, "openai-responses") == 1


def test_openai_responses_sends_a_background_request_with_one_tool_call(sandbox):
    _, image = picture()
    ref = picture(40, 30)[1]
    job, _, _ = edit(
        sandbox,
        "openai-responses",
        "[invert] flip",
        image=image,
        refs=[ref],
        mask=mask_for(96, 64, (0, 0, 8, 8)),
    )
    assert job.state is JobState.FETCHED, job.error
    seen = sandbox.stats()["jobs"][-1]["request"]
    assert seen["background"] is True and seen["store"] is True
    assert seen["mainline"] and not seen["mainline"].startswith("gpt-image")
    assert seen["params"]["tool_choice"] == {"type": "image_generation"}
    assert seen["params"]["max_tool_calls"] == 1 and seen["params"]["action"] == "edit"
    assert seen["mask_encoding"] == "data_url"
    assert [i["width"] for i in seen["images"]] == [96, 40]
    assert seen["metadata"].get("client") == "gptedit"


def test_openai_streaming_shows_partial_previews(sandbox):
    rec = Recorder()
    job, _, _ = edit(
        sandbox,
        "openai",
        "[tint] stream it",
        listener=rec,
        settings_flags={"model": "gpt-image-2.6-flare", "stream": True},
    )
    assert job.state is JobState.FETCHED, job.error
    partials = [e for e in rec.events if e.kind.value == "partial"]
    assert partials and all(e.partial[:4] == b"\x89PNG" for e in partials)
    assert sandbox.stats()["openai"]["stream_requests"] >= 1


def test_openai_stream_error_mid_way_fails_cleanly(sandbox):
    sandbox.inject("openai", "stream", "stream_error", after_events=1)
    job, _, _ = edit(sandbox, "openai", settings_flags={"model": "gpt-image-2.6-flare", "stream": True})
    assert job.state in (JobState.FAILED, JobState.UNKNOWN)
    assert job.error


def test_fal_waits_on_the_status_stream(sandbox):
    sandbox.configure(latency=1.0)
    job, _, _ = edit(sandbox, "fal")
    assert job.state is JobState.FETCHED, job.error
    assert sandbox.stats()["fal"]["stream_requests"] >= 1


def test_replicate_prefer_wait_finishes_in_the_create(sandbox):
    sandbox.configure(latency=0.2)
    job, _, _ = edit(sandbox, "replicate")
    assert job.state is JobState.FETCHED, job.error
    assert sandbox.stats()["replicate"]["polls"] == 0  # answered within Prefer: wait


def test_keys_never_reach_upload_or_download_hosts(sandbox):
    for provider in PROVIDERS:
        edit(sandbox, provider)
    stats = sandbox.stats()
    assert stats["eachlabs"]["uploads"] >= 1 and stats["eachlabs"]["downloads"] >= 1
    assert stats["leaked_credentials"] == []


def test_fal_without_its_status_stream_still_polls_at_a_gentle_pace(sandbox):
    """If the status stream is unavailable the long poll returns at once; the runner must then pace itself
    like a plain poller instead of asking again in a tight loop."""
    sandbox.configure(latency=2.0)
    sandbox.inject("fal", "stream", "http_500", count=100)
    job, _, _ = edit(sandbox, "fal")
    assert job.state is JobState.FETCHED, job.error
    stats = sandbox.stats()["fal"]
    # FAST paces at most every 0.05–0.2 s: a 2 s job is a few dozen requests, a tight loop thousands
    assert stats["polls"] + stats["stream_requests"] < 80, stats
