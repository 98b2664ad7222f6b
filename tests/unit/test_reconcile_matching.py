"""Matching a listed job to an unknown one: timestamps as providers write them, the facts that must agree,
the window the ledger gives, and the tag every create carries."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from gptedit.jobs import JobRunner
from gptedit.ledger import JobRecord, Ledger
from gptedit.models import EditRequest, ImageInput, JobState, RemoteHandle, Size, Submission
from gptedit.providers.base import Provider
from gptedit.providers.fal import expected_input as fal_expected
from gptedit.providers.lookup import agrees, image_count_agrees, iso, parse_time
from gptedit.providers.replicate import expected_input as replicate_expected
from gptedit.reconcile import CLOCK_SLACK, LONGEST_SEND, client_tag_for, query_for

EPOCH = datetime(2026, 11, 29, 17, 4, 11, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-29T17:04:11Z", EPOCH),
        ("2026-11-29T17:04:11.5Z", EPOCH + 0.5),
        ("2026-11-29T17:04:11.123456789Z", EPOCH + 0.123456789),
        ("2026-11-29T18:04:11+01:00", EPOCH),
        ("2026-11-29T17:04:11", EPOCH),
        ("2026-11-29 17:04:11z", EPOCH),
    ],
)
def test_provider_timestamps_are_read_in_every_documented_spelling(text, expected):
    assert parse_time(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", [None, "", "yesterday", "2026-13-40T00:00:00Z", 1764436000])
def test_anything_else_is_no_time(text):
    assert parse_time(text) is None


def test_iso_round_trips_whole_seconds():
    assert iso(EPOCH + 0.9) == "2026-11-29T17:04:11Z" and parse_time(iso(EPOCH)) == EPOCH


def test_a_shown_field_must_agree_and_a_missing_one_is_no_evidence():
    expected = {"prompt": "sky", "quality": "low", "number_of_images": 1}
    assert agrees(expected, {"prompt": " sky ", "quality": "low"})
    assert not agrees(expected, {"prompt": "sky", "quality": "high"})
    assert not agrees(expected, {"prompt": "sea", "quality": "low"})
    assert agrees(expected, {"prompt": "sky", "number_of_images": "1"})  # a form-style echo


def test_without_the_prompt_nothing_is_sure():
    assert not agrees({"prompt": "sky"}, {"quality": "low"})
    assert not agrees({"prompt": "sky"}, None)


def test_image_counts_agree_only_when_shown():
    assert image_count_agrees(2, ["a", "b"]) and image_count_agrees(2, None)
    assert not image_count_agrees(2, ["a"])


def described(**kw) -> dict:
    req = EditRequest(prompt=" a red sky ", images=[ImageInput(b"", width=300, height=200)], model="m", **kw)
    return req.describe()


def test_replicate_expects_what_its_create_sent():
    assert replicate_expected(described()) == {
        "prompt": "a red sky",
        "aspect_ratio": "3:2",
        "number_of_images": 1,
        "quality": "auto",
        "background": "auto",
        "output_format": "png",
    }
    assert replicate_expected(described(size=Size(1024, 1536)))["aspect_ratio"] == "2:3"


def test_fal_expects_what_its_create_sent():
    assert fal_expected(described()) == {
        "prompt": "a red sky",
        "image_size": "auto",
        "num_images": 1,
        "output_format": "png",
        "background": "auto",
        "quality": "auto",
    }
    assert fal_expected(described(size=Size(1024, 1024)))["image_size"] == {"width": 1024, "height": 1024}


def test_the_window_runs_from_sending_to_being_marked_unknown_with_slack():
    ledger = Ledger()
    job = ledger.create(
        JobRecord(
            id="",
            origin="test",
            provider="replicate",
            protocol="replicate",
            model="openai/gpt-image-2",
            base_url="",
            prompt="p",
            request={"prompt": "p"},
        )
    )
    assert query_for(ledger, job) is None  # never sent: nothing to look for
    ledger.update(job.id, state=JobState.SUBMITTING)
    sent = ledger.events(job.id)[-1][0]
    time.sleep(0.05)
    ledger.update(job.id, state=JobState.UNKNOWN)
    lost = ledger.events(job.id)[-1][0]
    query = query_for(ledger, ledger.get(job.id))
    assert query.sent_after == pytest.approx(sent - CLOCK_SLACK)
    assert query.sent_before == pytest.approx(lost + CLOCK_SLACK)
    assert query.tag == client_tag_for(job.id) and query.model == "openai/gpt-image-2"


def test_a_crash_found_much_later_keeps_the_window_short():
    ledger = Ledger()
    job = ledger.create(
        JobRecord(id="", origin="test", provider="fal", protocol="fal", model="m", base_url="", prompt="p")
    )
    ledger.update(job.id, state=JobState.SUBMITTING)
    sent = ledger.events(job.id)[-1][0]
    with ledger._conn() as c:  # the sweep that marks it unknown runs a day later
        c.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (job.id, sent + 86_400, "unknown", "later"))
    query = query_for(ledger, job)
    assert query.sent_before == pytest.approx(sent + LONGEST_SEND + CLOCK_SLACK)


def test_only_an_unknown_job_is_adopted_and_known_ids_are_listed():
    ledger = Ledger()
    job = ledger.create(
        JobRecord(
            id="",
            origin="test",
            provider="fal",
            protocol="fal",
            model="m",
            base_url="",
            prompt="p",
            state=JobState.UNKNOWN,
        )
    )
    handle = RemoteHandle("fal", "req-1", {"status": "s"})
    adopted = ledger.adopt(job.id, handle, "Found at fal as req-1")
    assert adopted.state is JobState.SUBMITTED and adopted.handle == handle and adopted.can_resume
    assert ledger.adopt(job.id, RemoteHandle("fal", "req-2"), "again") is None
    assert ledger.known_remote_ids("fal") == {"req-1"} and ledger.known_remote_ids("replicate") == set()


class _Recording(Provider):
    name = "replicate"

    def __init__(self):
        self.sent: list[EditRequest] = []

    def check(self, request):
        pass

    def submit(self, request, listener=None):
        self.sent.append(request)
        return Submission(RemoteHandle("replicate", "r1"), None)

    def poll(self, handle, wait=0.0):
        raise AssertionError("not polled in this test")

    def fetch(self, ref):
        return b""


def test_every_create_carries_the_jobs_tag():
    ledger = Ledger()
    job = ledger.create(
        JobRecord(
            id="",
            origin="test",
            provider="replicate",
            protocol="replicate",
            model="m",
            base_url="",
            prompt="p",
        )
    )
    provider = _Recording()
    runner = JobRunner(ledger, provider, deadline=0.0)
    runner.run(job, EditRequest(prompt="p", images=[ImageInput(b"x")], model="m"))
    assert provider.sent[0].client_tag == client_tag_for(job.id) == "gptedit-" + job.id
