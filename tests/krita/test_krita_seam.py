"""A drifted sandbox answer inserted into real Krita (5.2 and 5.3): the composite matches the original outside
and at the edge of the selection within the seam benchmark's tolerance."""

from __future__ import annotations

from gptedit.sandbox.drift import NOISE_SIGMA, DriftSpec, draw

#: mean level difference allowed at the selection's edge after correction: the sandbox's noise (a
#: two-uniform noise of NOISE_SIGMA has a mean absolute value of about 0.8·sigma) plus its slight blur
EDGE_TOLERANCE = NOISE_SIGMA + 1.5


def test_a_drifted_answer_blends_at_the_selection_edge(krita):
    data = krita.run("seam_drift.py", timeout=300)
    assert data["state"] == "inserted", data["message"]
    seam = data["seam"]
    assert seam and seam["aligned"] and seam["colour_matched"], data
    assert "Seam: shifted" in data["message"]
    # what the plugin measured is the drift the sandbox drew (in answer pixels), in region pixels
    drift = draw(DriftSpec(1.0, 5))
    bw, aw = data["box"][2], data["answer_size"][0]
    assert abs(seam["shift_x"] - drift.dx * bw / aw) <= 0.5, (seam, drift)
    assert abs(seam["zoom_percent"] - (drift.zoom - 1) * 100) <= 0.15
    # outside the selection nothing changed at all; at its edge and inside, only noise-level differences
    assert data["outside_max"] == 0
    assert data["band_after"] <= EDGE_TOLERANCE, data
    assert data["centre_after"] <= EDGE_TOLERANCE, data
    assert data["band_raw"] > 2 * data["band_after"], data  # the uncorrected answer shows the drift
    # the transparency mask fades in from the selection's edge
    row = data["mask_row"]
    assert row[0] < 64 and row[-1] == 255 and row == sorted(row[:-1]) + row[-1:], row
    assert data["undo_max"] == 0 and data["undo_restores_layers"]
    # Insert again lays the result in with the same correction and soft edge
    assert not data["again_error"], data["again_error"]
    assert data["again_outside_max"] == 0 and data["again_band"] <= EDGE_TOLERANCE, data
    # each step can be switched off (settings seam_align, seam_colour, seam_blend)
    assert data["off_state"] == "inserted", data["off_message"]
    assert data["off_steps"] == [False, False, 0] and "nothing corrected" in data["off_message"], data
