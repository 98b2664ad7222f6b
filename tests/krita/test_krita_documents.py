"""Documents of every kind in real Krita (scenario: scenarios/doc_kinds.py, run once per Krita version):
16-bit, float/linear, grey, CMYK, Lab and 8-bit RGB with a wide-gamut or linear profile are converted by Krita
for sending and the result is inserted in the document's own colour space, compared by colour; unusual layers
go through their projection; huge documents are downscaled and scaled back; nothing to edit gives a message
and leaves the document alone."""

from __future__ import annotations

import pytest


@pytest.fixture
def kinds(krita_once) -> dict:
    return krita_once("doc_kinds", lambda krita: krita.run("doc_kinds.py", timeout=240))


@pytest.mark.parametrize("key", ["RGBA-U16", "RGBA-F32", "GRAYA-U8"])
def test_high_bit_depth_and_grey_documents_get_a_layer_in_their_own_space(kinds, key):
    case = kinds[key]
    model, depth = key.split("-")
    assert case["space"][:2] == [model, depth], case
    assert case["state"] == "inserted", case["message"]
    assert case["layer_space"] == [model, depth], case
    inside, outside = case["diff"]
    # the picture the user sees is inverted inside the selection (sRGB), untouched outside
    assert inside <= 3 and outside <= 1, (key, case["diff"])
    # 16-bit and float sRGB/linear-sRGB results are converted on the worker; grey is left to Krita
    assert case["gui_converted"] is (model == "GRAYA"), case


def test_a_float_document_is_linear_so_a_byte_copy_would_be_wrong(kinds):
    assert "g10" in kinds["RGBA-F32"]["space"][2]  # linear: a naive byte copy would be visibly wrong


def test_cmyk_lab_and_profiled_rgb_look_as_krita_would_convert_them(kinds):
    check_cmyk_lab_and_profiled_rgb(kinds)


def test_a_group_layer_is_edited_through_its_projection(kinds):
    assert kinds["group_state"] == "inserted", kinds["group_message"]
    assert kinds["group_diff"][0] <= 1 and kinds["group_diff"][1] == 0, kinds["group_diff"]


def test_a_vector_layer_is_edited_through_its_projection(kinds):
    assert kinds["vector_state"] == "inserted", kinds["vector_message"]
    assert kinds["vector_has_pixels"] is True
    assert kinds["vector_inside"] <= 1 and kinds["vector_composite"][1] == 0


def test_nothing_to_edit_gets_a_message_and_leaves_the_document_alone(kinds):
    assert "no pixels" in kinds["empty_message"]
    assert "Nothing is visible" in kinds["hidden_message"]
    assert kinds["untouched"] is True


def test_a_huge_document_is_sent_downscaled_and_the_answer_scaled_back(kinds):
    assert kinds["huge_state"] == "inserted", kinds["huge_message"]
    assert kinds["huge_send"] == [1024, 683]
    assert kinds["huge_bounds"] == [0, 0, 3000, 2000]
    assert kinds["huge_worst"] <= 4, kinds["huge_worst"]


#: Bounds on [median, 95th percentile, max] of the per-pixel worst sRGB channel difference (0-255) between
#: what the user sees inside the selection and the ideal sRGB picture (the original, or its inverse). They are
#: not the plugin's error but the colour space's: `vs_krita` below shows the insert equals Krita's own
#: conversion of the ideal picture. Measured in Krita 5.2.9 / 5.3.4.1, and 6.0.4.1 stays within the same
#: bounds (the test pattern covers the whole sRGB cube):
#: - CMYK, default "Chemical proof" profile: sRGB -> CMYK -> sRGB through the profile's perceptual tables is
#:   not an identity even for colours that came from CMYK: identity 11-13 / 21-25 / 44-53. The inverse of
#:   dark, muddy CMYK colours is bright and saturated, far outside the CMYK gamut: invert 14-17 / 70-77 /
#:   120-123, so only median and p95 are bounded there. A naive byte copy would be off by ~100 at the median.
#: - Lab: 8-bit Lab steps and (5.2) lcms's optimised Lab transforms: 0-1 / 6-10 / 18-36 (5.3 U16: all 0).
#: - 8-bit RGB, wide-gamut (WideRGB) or linear (sRGB-g10) profile: 8-bit rounding in the narrower or
#:   curved encoding: 0-1 / 0-4 / 0-19.
SPACE_BOUNDS = {
    ("CMYKA", "identity"): (16, 32, 64),
    ("CMYKA", "invert"): (24, 96, 255),
    ("LABA", "identity"): (2, 12, 40),
    ("LABA", "invert"): (2, 12, 40),
    ("RGBA", "identity"): (1, 6, 24),
    ("RGBA", "invert"): (2, 6, 24),
}
SPACE_KEYS = (
    "CMYKA-U8",
    "CMYKA-U16",
    "LABA-U8",
    "LABA-U16",
    "RGBA-U8-WideRGB-elle-V2-g22.icc",
    "RGBA-U8-sRGB-elle-V2-g10.icc",
)


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
            assert (
                got["vs_target"][0] <= median and got["vs_target"][1] <= p95 and got["vs_target"][2] <= worst
            ), where
