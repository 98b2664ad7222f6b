"""The interactive GIMP experience in real GUI GIMP 3.0 and 3.2 under Xvfb: the edit dialog, the progress
window and its Cancel, last-used values, the recent-results dialog.

Nobody clicks under Xvfb, so plugin_seams.py, loaded into the plug-in's Python by the test, answers the
dialogs and press Cancel; everything else — GIMP, GTK, the worker thread, the sandbox over HTTP — is real.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from gimp_harness import GIMP_PROVIDERS, hostenv, run_all_cases
from gptedit.ledger import Ledger
from gptedit.models import JobState
from pixel_checks import CANCEL, SEL, SUCCESS, check_composite, check_new_layer, raw

pytestmark = [pytest.mark.hosts, pytest.mark.slow]

UI_CASES = [
    "ui-edit",
    "ui-last-values",
    "ui-cancel",
    "ui-dialog-cancel",
    "ui-recent",
    "ui-stream",
    "ui-settings",
    "ui-window-closed",
    "ui-large-insert",
]


@pytest.fixture(scope="module", params=hostenv.GIMP_HOSTS, ids=lambda s: s.id)
def gui(request, gimp_zip, sandbox_server, sandbox_env, tmp_path_factory):
    keep = os.environ.get("GPTEDIT_GIMP_RUNS_DIR")
    base = (
        Path(keep) / (request.param.id + "-ui") if keep else tmp_path_factory.mktemp(request.param.id + "-ui")
    )
    return run_all_cases(
        request.param,
        gimp_zip,
        sandbox_server,
        sandbox_env(providers=GIMP_PROVIDERS),
        base,
        UI_CASES,
        timeout=180,
        gui=True,
        config=request.config,
    )


def case(gui, name) -> dict:
    rep = gui["cases"].get(name)
    assert rep is not None, f"case {name} did not run; GIMP stderr:\n{gui['stderr']}"
    assert "crash" not in rep, rep["crash"]
    return rep


def telemetry(gui, name) -> dict:
    merged: dict = {}
    path = Path(gui["out"]) / f"{name}.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        merged.update(json.loads(line))
    return merged


def ledger(gui) -> Ledger:
    return Ledger(Path(gui["home"]) / "jobs.sqlite3")


def test_dialog_edit_inserts_masked_layer_and_shows_cost(gui):
    rep = case(gui, "ui-edit")
    assert rep["status"] == SUCCESS, rep["message"]
    check_new_layer(rep, (120, 80), SEL)
    check_composite(gui, "ui-edit", SEL)
    seen = telemetry(gui, "ui-edit")
    assert seen["dialog_summary"].startswith("Estimated cost: $"), seen
    assert "each::labs" in seen["dialog_summary"]
    assert seen["window_cost"].startswith("Estimated cost: $")
    # after the insert the window said what the seam correction did: each::labs takes no mask and was asked to
    # invert the whole region, so nothing could be corrected and the plain warning says the edit will not
    # blend well
    assert seen["window_result"].startswith("Seam:") and "takes no mask" in seen["window_result"], seen
    assert "tighter selection" in seen["window_warning"], seen


def test_progress_window_keeps_responding_while_waiting(gui):
    seen = telemetry(gui, "ui-edit")
    # Counted, not timed: the sandbox held the job running until the window's own timer had ticked 8 times,
    # then the job ended and was inserted. A main thread blocked on the network would never tick, and the
    # job would never end.
    assert case(gui, "ui-edit")["status"] == SUCCESS
    assert seen["window_ticks_held"] >= 8 and seen["window_ticks"] >= seen["window_ticks_held"], seen


def test_progress_window_keeps_ticking_through_the_insert(gui):
    rep = case(gui, "ui-large-insert")
    assert rep["status"] == SUCCESS, rep["message"]
    box = rep["new"]
    assert (box["w"], box["h"]) != (2048, 2048)  # the answer came at the sent size and was scaled back
    seen = telemetry(gui, "ui-large-insert")
    steps = [text for text, _turns, _seconds in seen["insert_turns"]]
    # the window was told every step, in order
    assert seen["window_steps"] == steps, seen
    assert steps[0] == "Loading the result", steps
    assert steps[1] == "Comparing the result with the picture around the selection", steps
    assert steps[2] == f"Scaling the result to {box['w']}×{box['h']}", steps
    assert steps[3:] == ["Adding the layer", "Masking the result to the selection", "Showing the result"], (
        steps
    )
    # the comparison ran on a thread (slowed down by a second here) while the main loop turned: the window
    # ticked meanwhile
    ticks = dict(zip(seen["window_steps"], seen["window_step_ticks"], strict=True))
    assert ticks[steps[1]] >= 1, seen
    # the scale runs a strip of rows at a time in GEGL, and the main loop turns after each one
    turns = {text: n for text, n, _seconds in seen["insert_turns"]}
    rows = max(1, 256 * 1024 // box["w"])
    assert turns[steps[2]] >= -(-box["h"] // rows), seen


def test_last_used_values_are_remembered(gui):
    first, again = case(gui, "ui-edit"), case(gui, "ui-last-values")
    assert again["status"] == SUCCESS, again["message"]
    jobs = ledger(gui)
    assert jobs.get(again["job"]).prompt == jobs.get(first["job"]).prompt == "[invert] from the dialog"


def test_cancel_in_progress_window_stops_the_job_cleanly(gui):
    rep = case(gui, "ui-cancel")
    assert rep["status"] == CANCEL, rep
    assert len(rep["tree"]) == rep["layers_before"]  # nothing inserted
    # (INTERACTIVE runs start from the last-used values, so the prompt is the dialog's, not the one passed)
    cancelled = ledger(gui).list(limit=50, states=(JobState.CANCELLED,))
    assert len(cancelled) == 1 and not cancelled[0].results
    assert "asked to stop" in cancelled[0].error  # each::labs has a cancel endpoint and was told


def test_cancelled_dialog_sends_nothing(gui):
    rep = case(gui, "ui-dialog-cancel")
    assert rep["status"] == CANCEL
    assert not [j for j in ledger(gui).list(limit=50) if j.prompt == "[invert] never sent"]


def test_recent_dialog_inserts_the_chosen_job(gui):
    rep = case(gui, "ui-recent")
    assert rep["status"] == SUCCESS, rep["message"]
    assert rep["new"]["name"].startswith("GPT: ")
    assert len(rep["tree"]) == rep["layers_before"] + 1


def test_streamed_partial_previews_appear_in_the_window(gui):
    rep = case(gui, "ui-stream")
    assert rep["status"] == SUCCESS, rep["message"]
    seen = telemetry(gui, "ui-stream")
    assert "OpenAI" in seen["dialog_summary"] and "GPT Image 2.6 Flare" in seen["dialog_summary"], seen
    assert seen["window_partials"] >= 1, seen
    check_new_layer(rep, (120, 80), SEL, provider="openai", model="gpt-image-2.6-flare", size="1536x1024")
    # GPT Image 2.6 makes at least 0.65 megapixels, so the 120x80 picture goes up and the answer comes back
    # down (resampling moves sharp edges of the test pattern a little): outside the selection the picture
    # is exactly as it was, inside it is the inverse on average
    before, after = raw(gui, "ui-stream", "before.rgba"), raw(gui, "ui-stream", "after.rgba")
    x0, y0, sw, sh = SEL
    outside, inside = [], []
    for y in range(80):
        for x in range(120):
            i = 4 * (y * 120 + x)
            if x0 <= x < x0 + sw and y0 <= y < y0 + sh:
                inside += [abs(after[i + c] - (255 - before[i + c])) for c in range(3)]
            else:
                outside.append(max(abs(after[i + c] - before[i + c]) for c in range(4)))
    assert max(outside) <= 1 and sum(inside) / len(inside) < 12, (max(outside), sum(inside) / len(inside))
    assert ledger(gui).get(rep["job"]).provider == "openai"


def test_settings_dialog_keeps_the_key_out_of_gimps_profile(gui):
    rep = case(gui, "ui-settings")
    assert rep["status"] == SUCCESS, rep["message"]
    config = Path(gui["home"]) / "config.json"
    assert config.stat().st_mode & 0o777 == 0o600
    data = json.loads(config.read_text())
    assert data["providers"]["fal"]["api_key"] == "fal-secret-123456"
    assert data["defaults"]["quality"] == "low"
    leaked = [p for p in Path(gui["profile"]).rglob("*") if p.is_file() and b"fal-secret" in p.read_bytes()]
    assert not leaked, leaked  # GIMP stores last-used values in its profile: the key must not be one
    # Test connection checked the typed (not yet saved) fal key against the sandbox and said so in words
    said = telemetry(gui, "ui-settings").get("connection_test", "")
    assert "Key accepted" in said and "…3456" in said and "fal-secret" not in said, said


def test_window_closed_mid_job_keeps_the_result_for_later(gui):
    rep = case(gui, "ui-window-closed")
    seen = telemetry(gui, "ui-window-closed")
    assert seen["display_at_start"] is True, seen  # the run knew which window it came from
    assert rep["status"] == 0, rep  # EXECUTION_ERROR with a message, nothing inserted
    assert "window was closed" in rep["message"] and "Recent GPT Image results" in rep["message"]
    kept = [j for j in ledger(gui).list(limit=50) if j.state is JobState.FETCHED]
    assert kept and kept[0].results and all(Path(p).exists() for p in kept[0].results)
