"""Issue 3, Krita part: the built zip installed through the importer's code path into real Krita 5.2 and
5.3; an edit with the sandbox adds ONE masked layer above the active layer at the selection's context
box, one undo removes it, the pixels are right, and the GUI never stalls while the job waits."""

from __future__ import annotations

LATENCY_S = 3.0
MAX_GUI_GAP_MS = 500.0


def test_edit_inserts_masked_layer_without_freezing(krita, sandbox):
    sandbox.configure(latency=LATENCY_S)
    data = krita.run("phase1_edit.py", timeout=150)

    # the action is in Tools ▸ Scripts with the text from the .action file; the plugin loaded from the zip
    assert data["menu"] == ["Tools", "Scripts"], data
    assert data["action_text"].replace("&", "") == "Edit with GPT Image…"
    # the tooltip exists only in the .action file: Krita read it, so the action is configurable there
    assert data["action_tooltip"].startswith("Open the GPT Image Edit docker"), data["action_tooltip"]
    assert "gptedit_krita" in data["plugins"]

    # the GUI kept running while the job waited (slow sandbox)
    gui = data["gui"]
    print(f"GUI timer during a {data['job_seconds']} s job: {gui['ticks']} ticks, longest gap {gui['max_gap_ms']} ms")
    assert data["job_seconds"] >= LATENCY_S * 0.9, data
    assert gui["ticks"] >= data["job_seconds"] * 1000 / gui["interval_ms"] * 0.3, gui
    assert gui["max_gap_ms"] <= MAX_GUI_GAP_MS, gui

    # identity: one new layer above "art", with a transparency mask holding the selection
    assert data["identity_state"] == "inserted", data["identity_message"]
    layers = data["layers_after_identity"]
    assert layers[:2] == ["Background", "art"] and len(layers) == 3 and layers[2].startswith("GPT: "), layers
    assert data["result_children"] == [["Selection", "transparencymask"]]
    assert data["mask_matches"] is True
    x, y, w, h = data["context_box"]
    bx, by, bw, bh = data["result_bounds"]
    assert (bx, by) >= (x, y) and bx + bw <= x + w and by + bh <= y + h, (data["result_bounds"], data["context_box"])
    assert x + w == 160, "the selection touches the right edge, so must the context box"
    inside, outside = data["identity_diff"]
    assert inside <= 1 and outside <= 1, data["identity_diff"]

    # one undo removes layer and mask
    assert data["layers_after_undo"] == ["Background", "art"]
    assert data["undo_diff"] == [0, 0]

    # invert: inside the selection inverted, outside untouched
    assert data["invert_state"] == "inserted", data["invert_message"]
    assert data["invert_above"] is True
    inside, outside = data["invert_diff"]
    assert inside <= 1 and outside == 0, data["invert_diff"]

    # a layer with an offset, smaller than the canvas
    assert data["small_bounds"] == [30, 35, 40, 30]
    assert data["offset_state"] == "inserted"
    inside, outside = data["offset_diff"]
    assert inside <= 1 and outside == 0, data["offset_diff"]
    assert data["offset_changed"] > 100
