"""Issue 4 in real Krita: documents of every kind (16-bit, float/linear, grey, CMYK, Lab, 8-bit RGB with a
wide-gamut or linear profile) are converted by Krita for sending and the result is inserted in the document's
own colour space, compared by colour; unusual layers go through their projection; huge documents are
downscaled and scaled back; nothing to edit gives a message and leaves the document alone."""

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

    check_cmyk_lab_and_profiled_rgb(data)

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


#: Bounds on [median, 95th percentile, max] of the per-pixel worst sRGB channel difference (0-255) between what
#: the user sees inside the selection and the ideal sRGB picture (the original, or its inverse). They are not
#: the plugin's error but the colour space's: `vs_krita` below shows the insert equals Krita's own conversion
#: of the ideal picture. Measured in Krita 5.2.9 / 5.3.4.1, and 6.0.4.1 stays within the same bounds (the test
#: pattern covers the whole sRGB cube):
#: - CMYK, default "Chemical proof" profile: sRGB -> CMYK -> sRGB through the profile's perceptual tables is
#:   not an identity even for colours that came from CMYK: identity 11-13 / 21-25 / 44-53. The inverse of
#:   dark, muddy CMYK colours is bright and saturated, far outside the CMYK gamut: invert 14-17 / 70-77 /
#:   120-123, so only median and p95 are bounded there. A naive byte copy would be off by ~100 at the median.
#: - Lab: 8-bit Lab steps and (5.2) lcms's optimised Lab transforms: 0-1 / 6-10 / 18-36 (5.3 U16: all 0).
#: - 8-bit RGB, wide-gamut (WideRGB) or linear (sRGB-g10) profile: 8-bit rounding in the narrower or
#:   curved encoding: 0-1 / 0-4 / 0-19.
SPACE_BOUNDS = {
    ("CMYKA", "identity"): (16, 32, 64), ("CMYKA", "invert"): (24, 96, 255),
    ("LABA", "identity"): (2, 12, 40), ("LABA", "invert"): (2, 12, 40),
    ("RGBA", "identity"): (1, 6, 24), ("RGBA", "invert"): (2, 6, 24),
}
SPACE_KEYS = ("CMYKA-U8", "CMYKA-U16", "LABA-U8", "LABA-U16", "RGBA-U8-WideRGB-elle-V2-g22.icc",
              "RGBA-U8-sRGB-elle-V2-g10.icc")


def check_cmyk_lab_and_profiled_rgb(data):
    for key in SPACE_KEYS:
        case = data[f"space {key}"]
        model, depth = key.split("-")[:2]
        assert case["space"][:2] == [model, depth], case
        for edit in ("identity", "invert"):
            got = case[edit]
            where = (key, edit, got)
            assert got["state"] == "inserted", where
            # the new layer lives in the document's own colour space, profile included
            assert got["layer_space"] == case["space"], where
            # what the user sees is exactly Krita's own conversion of the ideal picture (2: rounding headroom
            # between two conversion paths; measured 0 everywhere)
            assert got["vs_krita"][2] <= 2, where
            assert got["outside"] <= 1, where  # masked by the selection: untouched outside it
            median, p95, worst = SPACE_BOUNDS[(model, edit)]
            assert got["vs_target"][0] <= median and got["vs_target"][1] <= p95 and got["vs_target"][2] <= worst, \
                where
