"""Issue 4 in real Krita: documents of every kind are converted by Krita for sending and the result is
inserted in the document's own colour space; unusual layers go through their projection; huge documents
are downscaled and scaled back; nothing to edit gives a message and leaves the document alone."""

from __future__ import annotations


def test_colour_spaces_layer_kinds_and_sizes(krita):
    data = krita.run("doc_kinds.py", timeout=240)

    for key in ("RGBA-U16", "RGBA-F32", "GRAYA-U8"):
        case = data[key]
        model, depth = key.split("-")
        assert case["space"][:2] == [model, depth], case
        assert case["state"] == "inserted", case["message"]
        assert case["layer_space"] == [model, depth], case
        inside, outside = case["diff"]
        # the picture the user sees is inverted inside the selection (sRGB), untouched outside
        assert inside <= 3 and outside <= 1, (key, case["diff"])
    assert "g10" in data["RGBA-F32"]["space"][2]  # linear: a naive byte copy would be visibly wrong

    assert data["group_state"] == "inserted", data["group_message"]
    assert data["group_diff"][0] <= 1 and data["group_diff"][1] == 0, data["group_diff"]
    assert data["vector_state"] == "inserted", data["vector_message"]
    assert data["vector_has_pixels"] is True
    assert data["vector_inside"] <= 1 and data["vector_composite"][1] == 0

    assert "no pixels" in data["empty_message"]
    assert "Nothing is visible" in data["hidden_message"]
    assert data["untouched"] is True

    assert data["huge_state"] == "inserted", data["huge_message"]
    assert data["huge_send"] == [1024, 683]
    assert data["huge_bounds"] == [0, 0, 3000, 2000]
    assert data["huge_worst"] <= 4, data["huge_worst"]
