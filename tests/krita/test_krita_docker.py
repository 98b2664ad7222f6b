"""The docker in real Krita, driven through the same public methods its buttons call (scenario:
scenarios/docker_flow.py, run once per Krita version): it opens from its action, refuses what cannot be
edited with a message, quotes the cost, runs and lists an edit, cancels one, reports a provider failure
without a traceback, and keeps keys in the shared config file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def docker(krita_once, krita_host) -> dict:
    def flow(krita):
        data = krita.run("docker_flow.py", params={"version": krita_host.spec.version}, timeout=150)
        return {**data, "sent": krita.sandbox.stats()["jobs"]}

    return krita_once("docker_flow", flow)


def test_the_docker_opens_from_its_action(docker):
    assert docker["docker_found"] and docker["docker_title"] == "GPT Image Edit"
    assert docker["docker_visible_after_action"] is True


def test_the_menu_entry_is_enabled_without_a_document(docker):
    assert docker["action_enabled_without_doc"] is True


def test_no_document_and_an_empty_prompt_are_refused_with_a_message(docker):
    assert docker["no_doc_job"] is False and "No document is open" in docker["no_doc_message"]
    assert docker["empty_job"] is False and "prompt is empty" in docker["empty_message"]
    assert docker["empty_untouched"] is True


def test_the_estimated_cost_shows_before_the_edit(docker):
    assert docker["estimate_before"].startswith("Estimated cost: $"), docker["estimate_before"]


def test_an_edit_is_inserted_and_listed_with_its_cost(docker):
    assert docker["job_rows_started"] >= 1
    assert docker["edit_state"] == "inserted", docker["edit_message"]
    assert docker["edit_message"].startswith("Added “GPT: Turn the sky into a warm sunset”")
    prompt, state, elapsed, cost = docker["row"]
    assert prompt == "Turn the sky into a warm sunset" and state == "inserted" and ":" in elapsed
    assert cost.startswith("$") or cost.startswith("~$"), docker["row"]
    assert docker["layers_after_edit"][-1].startswith("GPT: ")
    assert docker["recent"] == ["Turn the sky into a warm sunset"]
    assert docker["first_result_changed"] is True


def test_cancel_stops_the_job_at_the_provider_and_leaves_the_document_alone(docker):
    assert docker["cancel_seen_state"] in ("submitted", "running")
    assert docker["cancel_state"] == "cancelled", docker["cancel_message"]
    assert docker["cancel_untouched"] is True
    slow = [j for j in docker["sent"] if j["request"]["prompt"] == "[invert] slow one"]
    assert len(slow) == 1 and slow[0]["cancel_requested"] is True  # each::labs was asked to stop it


def test_a_provider_failure_shows_a_message_without_a_traceback(docker):
    assert docker["error_state"] == "failed"
    assert docker["error_message"] and "Traceback" not in docker["error_message"], docker["error_message"]
    assert docker["error_untouched"] is True


def test_settings_save_keys_in_the_private_shared_config_file(docker):
    assert docker["config_mode"] == "0o600"
    assert docker["config_fal_key"] == "fal-secret-key-98765"
    assert docker["config_replicate_url"] == "http://127.0.0.1:9/replicate"
    assert docker["fal_status"] == "saved: …8765"


def test_settings_say_when_the_environment_wins_and_never_show_a_saved_key(docker):
    assert docker["eachlabs_status"].startswith("from EACHLABS_API_KEY (environment wins)")
    assert docker["fal_field_text"] == "" and "98765" not in docker["fal_placeholder"].replace("8765", "")
    assert docker["eachlabs_resolved_from"] == "env"


def test_test_connection_checks_the_typed_key_in_the_background(docker):
    assert docker["test_busy"] is True
    said = docker["test_result"]
    assert "Key accepted" in said and "gpt-4.1-mini" in said and "…4321" in said, said
    assert "typed-openai" not in said and "Traceback" not in said


def test_the_docker_renders(docker):
    shot = Path(docker["screenshot"])
    assert shot.stat().st_size > 5000
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(shot, artifacts / shot.name)
