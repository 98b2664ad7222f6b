"""Issue 4 in real Krita: variations in one masked group (switch, Keep, save/reopen), History (Insert
again at the original place in another document, Edit again), and streaming previews."""

from __future__ import annotations


def test_variations_history_and_streaming(krita):
    data = krita.run("variations_history.py", timeout=180)

    # n=3 → one group of three paint layers, each masked to the selection, only the first visible
    assert data["var_state"] == "inserted"
    assert data["var_type"] == "grouplayer"
    kids = data["var_children"]
    assert [k[1] for k in kids] == ["paintlayer"] * 3, kids
    assert all(k[3] == ["transparencymask"] for k in kids), kids
    assert [k[2] for k in kids[:3]] == [True, False, False]
    assert data["var_layers"][:2] == ["Background", "art"] and len(data["var_layers"]) == 3
    assert data["panel_visible"] is True and data["panel_buttons"] == 3

    # a thumbnail click shows that variation only; pixels change inside the selection only
    assert [k[2] for k in data["after_select"][:3]] == [False, False, True]
    assert data["select_changed"] is True and data["outside_same"] is True

    # the layer stack keeps it: after save and reopen the panel comes back; Keep removes the others
    assert data["saved"] is True
    assert [k[2] for k in data["reopened_children"][:3]] == [False, False, True]
    assert data["reopened_panel"] is True and data["reopened_buttons"] == 3
    after_keep = data["after_keep"]
    assert [k[1] for k in after_keep] == ["paintlayer"], after_keep
    assert after_keep[0][0].endswith("#3")

    # history lists the job with its three saved results; Insert again rebuilds it in another document
    assert data["history_prompt"] == "[tint] warm light" and data["history_results"] == 3
    assert data["history_state"] == "inserted" and data["history_items"] >= 1
    assert data["insert_error"] == ""
    assert data["insert_type"] == "grouplayer"
    assert [k[1] for k in data["insert_children"]] == ["paintlayer"] * 3
    assert all(k[3] == ["transparencymask"] for k in data["insert_children"])
    assert data["insert_same_pixels"] is True
    assert data["insert_layers"][-1].startswith("GPT: [tint] warm light")

    # Edit again sends the saved result as the input
    assert data["again_state"] == "inserted", data["again_message"]
    assert data["again_same_pixels"] is True

    # a streaming provider's partial images appear as a preview while it works
    assert data["stream_state"] == "inserted", data["stream_message"]
    assert data["preview_seen"] is True
    assert max(data["preview_size"]) <= 256
