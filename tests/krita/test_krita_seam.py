"""A drifted sandbox answer inserted into real Krita (scenario: scenarios/seam_drift.py, run once per Krita
version): the composite matches the original outside and at the edge of the selection within the seam
benchmark's tolerance."""

from __future__ import annotations

import pytest
from gptedit.sandbox.drift import NOISE_SIGMA, DriftSpec, draw

#: mean level difference allowed at the selection's edge after correction: the sandbox's noise (a
#: two-uniform noise of NOISE_SIGMA has a mean absolute value of about 0.8·sigma) plus its slight blur
EDGE_TOLERANCE = NOISE_SIGMA + 1.5


@pytest.fixture
def seam_run(krita_once) -> dict:
    return krita_once("seam_drift", lambda krita: krita.run("seam_drift.py", timeout=300))


def test_a_drifted_answer_is_inserted_aligned_and_colour_matched(seam_run):
    assert seam_run["state"] == "inserted", seam_run["message"]
    seam = seam_run["seam"]
    assert seam and seam["aligned"] and seam["colour_matched"], seam_run
    assert "Seam: shifted" in seam_run["message"]


def test_the_measured_drift_is_the_drift_the_sandbox_drew(seam_run):
    # what the plugin measured is the drift the sandbox drew (in answer pixels), in region pixels
    seam = seam_run["seam"]
    drift = draw(DriftSpec(1.0, 5))
    bw, aw = seam_run["box"][2], seam_run["answer_size"][0]
    assert abs(seam["shift_x"] - drift.dx * bw / aw) <= 0.5, (seam, drift)
    assert abs(seam["zoom_percent"] - (drift.zoom - 1) * 100) <= 0.15


def test_nothing_changes_outside_the_selection_and_its_edge_blends(seam_run):
    # outside the selection nothing changed at all; at its edge and inside, only noise-level differences
    assert seam_run["outside_max"] == 0
    assert seam_run["band_after"] <= EDGE_TOLERANCE, seam_run
    assert seam_run["centre_after"] <= EDGE_TOLERANCE, seam_run
    # the uncorrected answer shows the drift
    assert seam_run["band_raw"] > 2 * seam_run["band_after"], seam_run


def test_the_transparency_mask_fades_in_from_the_selection_edge(seam_run):
    row = seam_run["mask_row"]
    assert row[0] < 64 and row[-1] == 255 and row == sorted(row[:-1]) + row[-1:], row


def test_one_undo_removes_the_corrected_result(seam_run):
    assert seam_run["undo_max"] == 0 and seam_run["undo_restores_layers"]


def test_insert_again_lays_the_result_in_with_the_same_correction(seam_run):
    assert not seam_run["again_error"], seam_run["again_error"]
    assert seam_run["again_outside_max"] == 0 and seam_run["again_band"] <= EDGE_TOLERANCE, seam_run


def test_each_correction_step_can_be_switched_off(seam_run):
    # each step can be switched off (settings seam_align, seam_colour, seam_blend, seam_sharpen)
    assert seam_run["off_state"] == "inserted", seam_run["off_message"]
    assert seam_run["off_steps"] == [False, False, 0, 0], seam_run
    assert "nothing corrected" in seam_run["off_message"], seam_run


def test_line_art_that_came_back_softer_is_sharpened_back(seam_run):
    """Line art comes back softer (the sandbox's blur, and Qt's resampling that lines it up): the plugin
    fits how much and sharpens it back, which brings the selection's edge closer to the original than the
    same edit with sharpening switched off (setting seam_sharpen)."""
    assert seam_run["art_sharp_state"] == "inserted", seam_run["art_sharp_message"]
    assert "sharpness restored" in seam_run["art_sharp_message"], seam_run["art_sharp_message"]
    assert 0.25 <= seam_run["art_sharp_sharpened"] <= 2.0, seam_run
    assert seam_run["art_plain_sharpened"] == 0 and "sharpness" not in seam_run["art_plain_message"]
    assert seam_run["art_sharp_band"] < 0.85 * seam_run["art_plain_band"], seam_run
