"""Driving a sandbox from outside: control endpoints over HTTP, options checking, the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from gptedit.sandbox import Sandbox
from gptedit.sandbox.server import main
from sbhelpers import BEARER, encode, pattern

ROOT = Path(__file__).resolve().parents[2]


def test_config_over_http_merges_and_is_checked(sb, http):
    r = http.post(sb.api_url + "/_sandbox/config", json={"outcome": "error", "output_shape": "string"})
    assert r.status_code == 200
    cfg = http.get(sb.api_url + "/_sandbox/config").json()
    assert cfg["outcome"] == "error" and cfg["latency"] == sb.config["latency"]
    assert cfg["output_shape"]["eachlabs"] == cfg["output_shape"]["replicate"] == "string"
    for bad in (
        {"latencyy": 1},
        {"outcome": "maybe"},
        {"latency": -1},
        {"output_shape": {"fal": "string"}},
        {"hold": "succeeded"},
    ):
        r = http.post(sb.api_url + "/_sandbox/config", json=bad)
        assert r.status_code == 400 and r.json()["error"]


def test_faults_stats_and_reset_over_http(sb, http):
    r = http.post(
        sb.api_url + "/_sandbox/faults",
        json={"provider": "openai", "op": "create", "fault": "http_429", "count": 1, "retry_after": 1},
    )
    assert r.status_code == 200 and r.json()["fault"] == "http_429"
    assert (
        http.post(
            sb.api_url + "/_sandbox/faults", json={"provider": "openai", "op": "x", "fault": "reset"}
        ).status_code
        == 400
    )
    files = {"image": ("a.png", encode(pattern()), "image/png")}
    r = http.post(
        sb.base_urls["openai"] + "/images/edits",
        headers=BEARER,
        files=files,
        data={"prompt": "x", "model": "gpt-image-2"},
    )
    assert r.status_code == 429
    stats = http.get(sb.api_url + "/_sandbox/stats").json()
    assert stats["openai"]["creates"] == 1 and stats["faults"]["fired"][0]["fault"] == "http_429"
    assert http.post(sb.api_url + "/_sandbox/reset").json() == {"reset": True}
    stats = http.get(sb.api_url + "/_sandbox/stats").json()
    assert stats["openai"]["creates"] == 0 and stats["jobs"] == [] and stats["leaked_credentials"] == []


def test_stats_name_the_providers_own_status_word(sb, http):
    files = {"image": ("a.png", encode(pattern()), "image/png")}
    http.post(sb.base_urls["openai"] + "/images/edits", headers=BEARER, files=files, data={"prompt": "x"})
    job = sb.stats()["jobs"][0]
    assert (job["status"], job["provider_status"], job["output_count"]) == ("succeeded", "completed", 1)


def test_base_urls_and_unknown_paths(sb, http):
    assert set(sb.base_urls) == {"eachlabs", "openai", "openai-responses", "replicate", "fal"}
    assert sb.base_urls["openai"] == sb.api_url + "/openai/v1"
    # both OpenAI routes live under the same /v1, as on the real host
    assert sb.base_urls["openai-responses"] == sb.base_urls["openai"]
    r = http.get(sb.api_url + "/nowhere")
    assert r.status_code == 404 and r.json()["base_urls"] == sb.base_urls
    assert http.get(sb.api_url + "/_sandbox/urls").json()["cdn"] == sb.cdn_url


def test_a_second_sandbox_runs_side_by_side_and_stops_cleanly():
    with Sandbox(config={"latency": 0.01}) as other:
        assert other.config["latency"] == 0.01
        r = requests.get(other.api_url + "/_sandbox/stats", timeout=5)
        assert r.status_code == 200
        url = other.api_url
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_sandbox/stats", timeout=2)


def test_main_refuses_a_non_loopback_host(capsys):
    assert main(["--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_main_refuses_bad_config(capsys):
    assert main(["--config", '{"outcome": "maybe"}']) == 2
    assert "outcome" in capsys.readouterr().err


def test_command_line_prints_urls_serves_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gptedit.sandbox",
            "--port",
            "0",
            "--latency",
            "0.01",
            "--config",
            '{"outcome": "moderation"}',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.strip())
            if line.startswith("sandbox ready "):
                break
        api = lines[-1].split()[-1]
        urls = dict(line.split(" ", 1) for line in lines[:-1])
        assert urls["eachlabs"] == api + "/eachlabs" and urls["openai"] == api + "/openai/v1"
        assert {"replicate", "fal", "upload-host", "cdn-host"} <= set(urls)
        cfg = requests.get(api + "/_sandbox/config", timeout=5).json()
        assert cfg["latency"] == 0.01 and cfg["outcome"] == "moderation"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
