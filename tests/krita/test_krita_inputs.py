"""Issue 4 in real Krita: what is sent — the selection as the provider's mask, other layers as
references, the visible image — and KritaJob.wait() from the scripting API."""

from __future__ import annotations


def test_mask_references_and_visible_source(krita):
    data = krita.run("sent_inputs.py", timeout=150)

    assert data["mask_state"] == "inserted", data["mask_message"]
    assert data["waited"] is True
    # the provider inverted only inside the mask it was sent: the layer's own pixels (before the
    # transparency mask) are inverted inside the selection and unchanged around it
    assert data["inside_vs_inverted"] < 6, data
    assert data["ring_vs_original"] < 6 and data["ring_vs_inverted"] > 40, data

    assert data["ref_state"] == "inserted"
    assert data["ref_names"] == ["top"]
    seen = {j["request"]["prompt"]: j["request"] for j in krita.sandbox.stats()["jobs"]}
    masked = seen["[invert] masked"]
    assert masked["mask"] is True
    assert (masked["mask_image"]["width"], masked["mask_image"]["height"]) == (
        masked["images"][0]["width"], masked["images"][0]["height"])
    assert len(seen["[identity] with references"]["images"]) == 2  # the layer + "top" (not the flat white)
    assert len(seen["[identity] visible"]["images"]) == 1 and seen["[identity] visible"]["mask"] is False

    assert data["visible_state"] == "inserted"
    assert data["visible_vs_composite"] <= 1

    # a document closed while its job ran: the result is saved (History can insert it), nothing crashes
    assert data["closed_state"] == "fetched"
    assert "document was closed" in data["closed_message"] and "History" in data["closed_message"]
    assert list((krita.home / "results" / data["closed_job"]).glob("result-1.*"))
