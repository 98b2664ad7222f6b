"""Issue 4, the docker in real Krita: driven through the same public methods its buttons call."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docker_edit_cancel_errors_settings(krita, krita_host):
    data = krita.run("docker_flow.py", params={"version": krita_host.spec.version}, timeout=150)

    assert data["docker_found"] and data["docker_title"] == "GPT Image Edit"
    assert data["action_enabled_without_doc"] is True
    assert data["docker_visible_after_action"] is True

    assert data["no_doc_job"] is False and "No document is open" in data["no_doc_message"]
    assert data["empty_job"] is False and "prompt is empty" in data["empty_message"]
    assert data["empty_untouched"] is True

    assert data["estimate_before"].startswith("Estimated cost: $"), data["estimate_before"]

    assert data["job_rows_started"] >= 1
    assert data["edit_state"] == "inserted", data["edit_message"]
    assert data["edit_message"].startswith("Added “GPT: Turn the sky into a warm sunset”")
    prompt, state, elapsed, cost = data["row"]
    assert prompt == "Turn the sky into a warm sunset" and state == "inserted" and ":" in elapsed
    assert cost.startswith("$") or cost.startswith("~$"), data["row"]
    assert data["layers_after_edit"][-1].startswith("GPT: ")
    assert data["recent"] == ["Turn the sky into a warm sunset"]
    assert data["first_result_changed"] is True

    assert data["cancel_seen_state"] in ("submitted", "running")
    assert data["cancel_state"] == "cancelled", data["cancel_message"]
    assert data["cancel_untouched"] is True
    slow = [j for j in krita.sandbox.stats()["jobs"] if j["request"]["prompt"] == "[invert] slow one"]
    assert len(slow) == 1 and slow[0]["cancel_requested"] is True  # each::labs was asked to stop it

    assert data["error_state"] == "failed"
    assert data["error_message"] and "Traceback" not in data["error_message"], data["error_message"]
    assert data["error_untouched"] is True

    assert data["config_mode"] == "0o600"
    assert data["config_fal_key"] == "fal-secret-key-98765"
    assert data["config_replicate_url"] == "http://127.0.0.1:9/replicate"
    assert data["fal_status"] == "saved: …8765"
    assert data["eachlabs_status"].startswith("from EACHLABS_API_KEY (environment wins)")
    assert data["fal_field_text"] == "" and "98765" not in data["fal_placeholder"].replace("8765", "")
    assert data["eachlabs_resolved_from"] == "env"
    assert data["test_busy"] is True
    said = data["test_result"]
    assert "Key accepted" in said and "gpt-4.1-mini" in said and "…4321" in said, said
    assert "typed-openai" not in said and "Traceback" not in said

    shot = Path(data["screenshot"])
    assert shot.stat().st_size > 5000
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(shot, artifacts / shot.name)
