"""Variations, History and streaming previews in real Krita (scenario: scenarios/variations_history.py, run
once per Krita version): variations in one masked group (switch, Keep, save and reopen), History's Insert
again at the original place in another document and Edit again, and partial images shown while a
streaming provider works."""

from __future__ import annotations

import pytest


@pytest.fixture
def run(krita_once) -> dict:
    return krita_once("variations_history", lambda krita: krita.run("variations_history.py", timeout=180))


def test_variations_arrive_as_one_group_of_masked_layers_with_the_first_visible(run):
    assert run["var_state"] == "inserted"
    assert run["var_type"] == "grouplayer"
    kids = run["var_children"]
    assert [k[1] for k in kids] == ["paintlayer"] * 3, kids
    assert all(k[3] == ["transparencymask"] for k in kids), kids
    assert [k[2] for k in kids[:3]] == [True, False, False]
    assert run["var_layers"][:2] == ["Background", "art"] and len(run["var_layers"]) == 3
    assert run["panel_visible"] is True and run["panel_buttons"] == 3


def test_a_thumbnail_click_shows_that_variation_only(run):
    assert [k[2] for k in run["after_select"][:3]] == [False, False, True]
    assert run["select_changed"] is True and run["outside_same"] is True


def test_variations_survive_save_and_reopen(run):
    assert run["saved"] is True
    assert [k[2] for k in run["reopened_children"][:3]] == [False, False, True]
    assert run["reopened_panel"] is True and run["reopened_buttons"] == 3


def test_keep_removes_the_other_variations(run):
    after_keep = run["after_keep"]
    assert [k[1] for k in after_keep] == ["paintlayer"], after_keep
    assert after_keep[0][0].endswith("#3")


def test_history_lists_the_job_with_its_saved_results(run):
    assert run["history_prompt"] == "[tint] warm light" and run["history_results"] == 3
    assert run["history_state"] == "inserted" and run["history_items"] >= 1


def test_insert_again_rebuilds_the_group_in_another_document(run):
    assert run["insert_error"] == ""
    assert run["insert_type"] == "grouplayer"
    assert [k[1] for k in run["insert_children"]] == ["paintlayer"] * 3
    assert all(k[3] == ["transparencymask"] for k in run["insert_children"])
    assert run["insert_same_pixels"] is True
    assert run["insert_layers"][-1].startswith("GPT: [tint] warm light")


def test_edit_again_sends_the_saved_result_as_the_input(run):
    assert run["again_state"] == "inserted", run["again_message"]
    assert run["again_same_pixels"] is True


def test_a_streaming_provider_shows_partial_images_while_it_works(run):
    assert run["stream_state"] == "inserted", run["stream_message"]
    assert run["preview_seen"] is True
    assert max(run["preview_size"]) <= 256
