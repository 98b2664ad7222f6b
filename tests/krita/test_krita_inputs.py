"""What the Krita plugin sends, in real Krita (scenario: scenarios/sent_inputs.py, run once per Krita
version): the selection as the provider's mask, other layers as references, the visible image, and
KritaJob.wait() from the scripting API; a document closed while its job ran keeps its result."""

from __future__ import annotations

import pytest


@pytest.fixture
def run(krita_once) -> dict:
    def flow(krita):
        data = krita.run("sent_inputs.py", timeout=150)
        sent = {j["request"]["prompt"]: j["request"] for j in krita.sandbox.stats()["jobs"]}
        return {**data, "sent": sent, "home": krita.home}

    return krita_once("sent_inputs", flow)


def test_the_selection_goes_as_the_mask_and_only_its_inside_changes(run):
    assert run["mask_state"] == "inserted", run["mask_message"]
    # the provider inverted only inside the mask it was sent: the layer's own pixels (before the
    # transparency mask) are inverted inside the selection and unchanged around it
    assert run["inside_vs_inverted"] < 6, run
    assert run["ring_vs_original"] < 6 and run["ring_vs_inverted"] > 40, run
    # a barely selected strip (selectedness 40 of 255) was editable too: the layer shows the answer there
    assert run["faint_pixels"] > 100 and run["faint_vs_inverted"] < 6 and run["faint_vs_original"] > 25, run
    masked = run["sent"]["[invert] masked"]
    assert masked["mask"] is True
    assert (masked["mask_image"]["width"], masked["mask_image"]["height"]) == (
        masked["images"][0]["width"],
        masked["images"][0]["height"],
    )


def test_the_scripting_api_waits_for_the_job(run):
    assert run["waited"] is True


def test_other_visible_layers_go_as_references(run):
    assert run["ref_state"] == "inserted"
    assert run["ref_names"] == ["top"]
    assert (
        len(run["sent"]["[identity] with references"]["images"]) == 2
    )  # the layer + "top" (not the flat white)


def test_the_visible_image_can_be_the_source(run):
    assert (
        len(run["sent"]["[identity] visible"]["images"]) == 1
        and run["sent"]["[identity] visible"]["mask"] is False
    )
    assert run["visible_state"] == "inserted"
    assert run["visible_vs_composite"] <= 1


def test_a_document_closed_while_its_job_ran_keeps_the_result_for_history(run):
    # nothing crashes, the result is saved and History can insert it
    assert run["closed_state"] == "fetched"
    assert "document was closed" in run["closed_message"] and "History" in run["closed_message"]
    assert list((run["home"] / "results" / run["closed_job"]).glob("result-1.*"))
