"""One edit in real Krita 5.2 and 5.3 with the built zip installed through the importer's code path: the
action where Krita's menus put it, a slow job that never stalls the GUI, ONE masked layer above the active
layer at the selection's context box, one undo that removes it, and the right pixels (scenario:
scenarios/edit_and_undo.py, run once per Krita version)."""

from __future__ import annotations

import pytest


@pytest.fixture
def edit(krita_once) -> dict:
    def flow(krita):
        # the first job is held running until the scenario has counted the GUI timer's ticks, then released
        krita.sandbox.configure(hold="processing")
        return krita.run("edit_and_undo.py", timeout=150)

    return krita_once("edit_and_undo", flow)


def test_the_action_is_in_tools_scripts_as_the_action_file_says(edit):
    assert edit["menu"] == ["Tools", "Scripts"], edit
    assert edit["action_text"].replace("&", "") == "Edit with GPT Image…"
    # the tooltip exists only in the .action file: Krita read it, so the action is configurable there
    assert edit["action_tooltip"].startswith("Open the GPT Image Edit docker"), edit["action_tooltip"]


def test_the_plugin_loads_from_the_installed_zip(edit):
    assert "gptedit_krita" in edit["plugins"]


def test_the_gui_keeps_running_while_a_slow_job_waits(edit):
    gui = edit["gui"]
    # counted, not timed: the sandbox kept the job running until the GUI timer had ticked 50 times (a GUI
    # thread waiting on the network would stop the ticks for good); the longest gap is the bench's figure
    print(f"GUI timer: {gui['ticks_while_held']} ticks while held, longest gap {gui['max_gap_ms']} ms")
    assert gui["ticks_while_held"] >= 50 and gui["done_while_held"] is False, gui
    assert edit["identity_state"] == "inserted", edit["identity_message"]


def test_the_result_is_one_new_layer_above_the_active_one(edit):
    assert edit["identity_state"] == "inserted", edit["identity_message"]
    layers = edit["layers_after_identity"]
    assert layers[:2] == ["Background", "art"] and len(layers) == 3 and layers[2].startswith("GPT: "), layers


def test_the_new_layer_is_masked_by_the_selection(edit):
    assert edit["result_children"] == [["Selection", "transparencymask"]]
    assert edit["mask_matches"] is True


def test_the_new_layer_sits_inside_the_context_box_which_follows_the_canvas_edge(edit):
    x, y, w, h = edit["context_box"]
    bx, by, bw, bh = edit["result_bounds"]
    assert (bx, by) >= (x, y) and bx + bw <= x + w and by + bh <= y + h, (
        edit["result_bounds"],
        edit["context_box"],
    )
    assert x + w == 160, "the selection touches the right edge, so must the context box"


def test_an_identity_edit_leaves_the_picture_unchanged(edit):
    inside, outside = edit["identity_diff"]
    assert inside <= 1 and outside <= 1, edit["identity_diff"]


def test_one_undo_removes_the_layer_and_its_mask(edit):
    assert edit["layers_after_undo"] == ["Background", "art"]
    assert edit["undo_diff"] == [0, 0]


def test_an_inverting_edit_changes_only_the_selection(edit):
    assert edit["invert_state"] == "inserted", edit["invert_message"]
    assert edit["invert_above"] is True
    inside, outside = edit["invert_diff"]
    assert inside <= 1 and outside == 0, edit["invert_diff"]


def test_a_layer_with_an_offset_smaller_than_the_canvas_is_edited_in_place(edit):
    assert edit["small_bounds"] == [30, 35, 40, 30]
    assert edit["offset_state"] == "inserted"
    inside, outside = edit["offset_diff"]
    assert inside <= 1 and outside == 0, edit["offset_diff"]
    assert edit["offset_changed"] > 100
