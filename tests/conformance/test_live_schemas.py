"""Live schemas through the real engine: the client reads each::labs' and Replicate's published input schema
before paying, follows the variant the sandbox publishes, refuses what it does not list before any upload
or create, keeps it a day, and falls back to built-in knowledge when it cannot be read."""

from __future__ import annotations

import pytest
from conformance_helpers import edit, picture
from gptedit.errors import GptEditError
from gptedit.models import JobState


@pytest.mark.parametrize("variant", ["image_urls", "image_url"])
@pytest.mark.parametrize("model", ["gpt-image-v2-edit", "gpt-image-v1-5-edit"])
def test_eachlabs_sends_the_image_field_its_schema_names(sandbox, variant, model):
    sandbox.configure(eachlabs_schema=variant)
    for _ in range(2):
        job, _, _ = edit(sandbox, "eachlabs", settings_flags={"model": model})
        assert job.state is JobState.FETCHED, job.error
    stats = sandbox.stats()
    assert stats["eachlabs"]["schema_reads"] == 1  # the second edit read the day-old copy
    assert stats["eachlabs"]["creates"] == 2


def test_eachlabs_refuses_references_its_schema_cannot_take_before_uploading(sandbox):
    sandbox.configure(eachlabs_schema="image_url")
    _, image = picture()
    _, ref = picture(40, 40)
    try:
        job, _, _ = edit(sandbox, "eachlabs", image=image, images=[image, ref])
    except GptEditError as exc:
        message = str(exc)
    else:
        assert job.state is JobState.FAILED
        message = job.error or ""
    assert "takes one image" in message and "Nothing was sent" in message
    stats = sandbox.stats()["eachlabs"]
    assert stats["presigns"] == 0 and stats["uploads"] == 0 and stats["creates"] == 0


def test_eachlabs_without_its_schema_uses_built_in_knowledge(sandbox):
    sandbox.inject("eachlabs", "schema", "http_500", count=50)
    job, _, _ = edit(sandbox, "eachlabs")
    assert job.state is JobState.FETCHED, job.error
    stats = sandbox.stats()["eachlabs"]
    assert stats["creates"] == 1
    assert stats["schema_reads"] <= 2  # an optional look-up: one retry at most, not minutes of them


@pytest.mark.parametrize("variant", ["2026-08", "2026-11"])
def test_replicate_reads_its_model_schema_once(sandbox, variant):
    sandbox.configure(replicate_schema=variant)
    for _ in range(2):
        job, _, _ = edit(sandbox, "replicate")
        assert job.state is JobState.FETCHED, job.error
    assert sandbox.stats()["replicate"]["schema_reads"] == 1
