"""The command line for scripts: `--json` gives one JSON object per job on stdout, `--dry-run` the plan, the
request and the estimate with nothing sent — on `edit` and `batch`, for every provider."""

from __future__ import annotations

import json

import pytest
from conformance_helpers import PROVIDERS, picture
from gptedit.ledger import Ledger
from test_cli import created, gptedit, keyed

FIELDS = {"id", "state", "outputs", "estimate", "cost", "error"}


def objects(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def two(tmp_path):
    paths = []
    for i, (w, h) in enumerate([(64, 48), (48, 64)]):
        path = tmp_path / f"in{i}.png"
        picture(w, h)[0].save(path)
        paths.append(path)
    return paths


@pytest.mark.parametrize("provider", PROVIDERS)
def test_edit_json_is_one_object_with_the_job(sandbox, two, tmp_path, provider):
    out = tmp_path / "out.png"
    proc = gptedit(
        "edit",
        two[0],
        "-p",
        "[identity] same",
        "-o",
        out,
        "--provider",
        provider,
        "--json",
        "--base-url",
        sandbox.base_urls[provider],
        "--quality",
        "low",
        env_extra=keyed(provider),
        check=0,
    )
    (obj,) = objects(proc.stdout)
    assert FIELDS <= set(obj)
    assert obj["state"] == "fetched" and obj["error"] is None and obj["outputs"] == [str(out)]
    assert obj["cost"] > 0 and obj["estimate"]["high"] >= obj["estimate"]["low"] > 0
    assert Ledger().get(obj["id"]).state.value == "fetched"
    assert "test-key" not in proc.stdout + proc.stderr


def test_edit_json_for_a_refused_edit_and_a_failed_one(sandbox, two, tmp_path):
    proc = gptedit(
        "edit",
        two[0],
        "-p",
        "x",
        "-o",
        tmp_path / "o.png",
        "--provider",
        "openai",
        "--json",
        "--base-url",
        sandbox.base_urls["openai"],
        "--size",
        "1000x1000",
        env_extra=keyed("openai"),
        check=2,
    )
    (obj,) = objects(proc.stdout)
    assert obj["state"] == "refused" and obj["id"] is None and "1000x1000" in obj["error"]
    sandbox.configure(outcome="error")
    proc = gptedit(
        "edit",
        two[0],
        "-p",
        "x",
        "-o",
        tmp_path / "o.png",
        "--provider",
        "fal",
        "--json",
        "--base-url",
        sandbox.base_urls["fal"],
        env_extra=keyed("fal"),
        check=1,
    )
    (obj,) = objects(proc.stdout)
    assert obj["state"] == "failed" and obj["error"] and obj["outputs"] == [] and obj["id"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_edit_dry_run_shows_plan_request_and_estimate_and_sends_nothing(sandbox, two, tmp_path, provider):
    out = tmp_path / "out.png"
    base = sandbox.base_urls[provider]
    proc = gptedit(
        "edit",
        two[0],
        "-p",
        "[tint] warm",
        "-o",
        out,
        "--provider",
        provider,
        "--dry-run",
        "--json",
        "--base-url",
        base,
        "--quality",
        "low",
        env_extra=keyed(provider),
        check=0,
    )
    (obj,) = objects(proc.stdout)
    assert obj["dry_run"] is True and obj["plan"]["provider"] == provider
    assert obj["plan"]["images"][0]["width"] == 64 and obj["estimate"]["high"] > 0
    creates = [r for r in obj["requests"] if r["method"] == "POST" and r["url"].startswith(base)]
    assert creates and all(r["auth"] in ("Bearer", "Key") for r in creates)
    body = json.dumps(creates[-1])
    assert "[tint] warm" in body and "test-key" not in proc.stdout + proc.stderr
    assert created(sandbox, provider) == 0 and sandbox.requests() == []
    assert not out.exists() and Ledger().list() == []


def test_batch_json_is_one_object_per_job_and_dry_run_sends_nothing(sandbox, two, tmp_path):
    base = sandbox.base_urls["replicate"]

    def batch(out_dir, *flags):
        return gptedit(
            "batch",
            *two,
            "-p",
            "[tint] warm",
            "-O",
            out_dir,
            "--provider",
            "replicate",
            "--base-url",
            base,
            *flags,
            env_extra=keyed("replicate"),
            check=0,
        )

    proc = batch(tmp_path / "dry", "--dry-run", "--json")
    plans = objects(proc.stdout)
    assert [p["input"] for p in plans] == [str(p.resolve()) for p in two]
    assert created(sandbox, "replicate") == 0 and "nothing sent" in proc.stderr
    proc = batch(tmp_path / "out", "--json")
    jobs = objects(proc.stdout)
    assert len(jobs) == 2 and all(FIELDS <= set(j) and j["state"] == "fetched" for j in jobs)
    assert sorted(j["input"] for j in jobs) == sorted(str(p.resolve()) for p in two)
    assert all(len(j["outputs"]) == 1 for j in jobs)
    proc = batch(tmp_path / "out", "--json")
    assert [j["state"] for j in objects(proc.stdout)] == ["skipped", "skipped"]
