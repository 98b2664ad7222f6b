"""The command line as a user runs it: a real `python -m gptedit` process against the sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conformance_helpers import PROVIDERS, picture
from gptedit.ledger import Ledger
from gptedit.models import JobState
from gptedit.settings import KEY_ENV
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def gptedit(*args, env_extra=None, timeout=120, check=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_extra or {})
    proc = subprocess.run(
        [sys.executable, "-m", "gptedit", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def keyed(provider: str) -> dict:
    return {KEY_ENV[provider]: "test-key"}


@pytest.fixture
def sample(tmp_path) -> tuple[Image.Image, Path]:
    img, _ = picture(64, 48)
    path = tmp_path / "in.png"
    img.save(path)
    return img, path


def created(sandbox, provider):
    return len([j for j in sandbox.stats()["jobs"] if j["provider"] == provider])


def nearly_same(answer: Image.Image, img: Image.Image) -> bool:
    """The same picture once an answer at another size is scaled back: a small mean difference."""
    back = answer.convert("RGBA").resize(img.size)
    diff = sum(abs(x - y) for x, y in zip(back.tobytes(), img.tobytes(), strict=True))
    return diff / (img.width * img.height * 4) < 12


@pytest.mark.parametrize("provider", PROVIDERS)
def test_edit_against_each_provider(sandbox, sample, tmp_path, provider):
    img, src = sample
    out = tmp_path / "out.png"
    proc = gptedit(
        "edit",
        src,
        "-p",
        "[identity] same",
        "-o",
        out,
        "--provider",
        provider,
        "--base-url",
        sandbox.base_urls[provider],
        "--quality",
        "low",
        env_extra=keyed(provider),
        check=0,
    )
    assert "estimated $" in proc.stderr and "cost $" in proc.stderr
    assert "test-key" not in proc.stderr + proc.stdout
    result = Image.open(out).convert("RGBA")
    if provider in ("replicate", "eachlabs"):
        # both answer at the fixed size nearest the picture's aspect (64x48 → 1536x1024), never a square
        assert result.size == (1536, 1024) and nearly_same(result, img)
    else:
        assert result.tobytes() == img.tobytes()
    assert created(sandbox, provider) == 1


def test_the_responses_text_model_comes_from_its_setting(sandbox, sample, tmp_path):
    _, src = sample
    route = ("--provider", "openai-responses", "--base-url", sandbox.base_urls["openai-responses"])
    out = tmp_path / "out.png"
    done = gptedit(
        "edit", src, "-p", "[identity] same", "-o", out, *route, "--text-model", "gpt-5-mini",
        env_extra=keyed("openai-responses"), check=0,
    )  # fmt: skip
    assert "done" in done.stderr
    assert [j["request"]["mainline"] for j in sandbox.stats()["jobs"]] == ["gpt-5-mini"]
    refused = gptedit(
        "edit", src, "-p", "x", "-o", out, *route, "--text-model", "gpt-image-2",
        env_extra=keyed("openai-responses"),
    )  # fmt: skip
    assert refused.returncode != 0 and "makes images" in refused.stderr and "Traceback" not in refused.stderr
    assert len(sandbox.stats()["jobs"]) == 1  # nothing more was sent


def test_variations_are_numbered_and_the_private_sandbox_works(sample, tmp_path):
    _, src = sample
    out = tmp_path / "v.webp"
    proc = gptedit(
        "edit",
        src,
        "-p",
        "[tint] hello",
        "-o",
        out,
        "--provider",
        "sandbox",
        "-n",
        "3",
        "--format",
        "webp",
        check=0,
    )
    names = sorted(p.name for p in tmp_path.glob("v-*.webp"))
    assert names == ["v-1.webp", "v-2.webp", "v-3.webp"], proc.stderr
    assert all(Image.open(tmp_path / n).format == "WEBP" for n in names)


def test_a_mask_edits_only_where_it_is_transparent(sandbox, sample, tmp_path):
    img, src = sample
    mask = Image.new("RGBA", img.size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (8, 8, 24, 20))
    mask.save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    gptedit(
        "edit",
        src,
        "-p",
        "[invert] x",
        "-o",
        out,
        "--mask",
        tmp_path / "mask.png",
        "--provider",
        "openai",
        "--base-url",
        sandbox.base_urls["openai"],
        env_extra=keyed("openai"),
        check=0,
    )
    res = Image.open(out).convert("RGBA")
    r, g, b, a = img.getpixel((10, 10))
    assert res.getpixel((10, 10)) == (255 - r, 255 - g, 255 - b, a)
    assert res.getpixel((30, 30)) == img.getpixel((30, 30))


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["-p", "   "], 2, "prompt is empty"),
        (["-p", "x", "--size", "1000x1000", "--provider", "openai"], 2, "multiples of 16"),
        (["-p", "x", "--size", "512x512", "--provider", "eachlabs"], 2, "1024x1024"),
        (["-p", "x", "-n", "5", "--provider", "replicate"], 2, "1 to 1"),
        (["-p", "x", "--provider", "openai"], 3, "OPENAI_API_KEY"),
        (["-p", "x", "--provider", "fal", "--base-url", "http://example.com"], 3, "plain http"),
    ],
)
def test_bad_input_gets_one_clear_line_and_sends_nothing(sandbox, sample, tmp_path, args, code, words):
    _, src = sample
    proc = gptedit(
        "edit",
        src,
        "-o",
        tmp_path / "o.png",
        *args,
        env_extra={"FAL_KEY": "k", "REPLICATE_API_TOKEN": "k", "EACHLABS_API_KEY": "k"},
    )
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o.png").exists()


def test_missing_or_garbage_input_file(tmp_path):
    proc = gptedit("edit", tmp_path / "nope.png", "-p", "x", "-o", tmp_path / "o.png")
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    proc = gptedit("edit", tmp_path / "junk.png", "-p", "x", "-o", tmp_path / "o.png")
    assert proc.returncode == 2 and "not an image" in proc.stderr


def test_a_provider_failure_exits_non_zero_with_the_reason(sandbox, sample, tmp_path):
    _, src = sample
    sandbox.configure(outcome="moderation")
    proc = gptedit(
        "edit",
        src,
        "-p",
        "x",
        "-o",
        tmp_path / "o.png",
        "--provider",
        "eachlabs",
        "--base-url",
        sandbox.base_urls["eachlabs"],
        env_extra=keyed("eachlabs"),
    )
    assert proc.returncode == 1
    assert "failed" in proc.stderr.splitlines()[-1]
    assert not (tmp_path / "o.png").exists()


def test_batch_runs_bounded_and_resumes_without_paying_twice(sandbox, tmp_path):
    inputs = []
    for i in range(4):
        img, _ = picture(40 + i * 8, 32)
        p = tmp_path / f"img{i}.png"
        img.save(p)
        inputs.append(p)
    sandbox.configure(latency=0.5)
    out_dir = tmp_path / "out"
    common = [
        "-p",
        "[tint] batch",
        "-O",
        out_dir,
        "-j",
        "2",
        "--provider",
        "fal",
        "--base-url",
        sandbox.base_urls["fal"],
    ]
    proc = gptedit("batch", *inputs, *common, env_extra=keyed("fal"), check=0)
    assert "4 ok, 0 failed" in proc.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == [f"img{i}.png" for i in range(4)]
    assert created(sandbox, "fal") == 4
    # lose one output: the re-run takes it from the ledger, the others are skipped, nothing is re-sent
    (out_dir / "img2.png").unlink()
    proc = gptedit("batch", *inputs, *common, env_extra=keyed("fal"), check=0)
    assert proc.stderr.count("already done") == 3
    assert (out_dir / "img2.png").exists()
    assert created(sandbox, "fal") == 4


def test_batch_waits_out_rate_limits(sandbox, tmp_path):
    inputs = []
    for i in range(3):
        img, _ = picture(32, 32)
        p = tmp_path / f"r{i}.png"
        img.save(p)
        inputs.append(p)
    sandbox.inject("eachlabs", "create", "http_429", count=2, retry_after=0.5)
    proc = gptedit(
        "batch",
        *inputs,
        "-p",
        "x",
        "-O",
        tmp_path / "o",
        "-j",
        "3",
        "--provider",
        "eachlabs",
        "--base-url",
        sandbox.base_urls["eachlabs"],
        env_extra=keyed("eachlabs"),
        check=0,
    )
    assert "3 ok, 0 failed" in proc.stderr
    assert created(sandbox, "eachlabs") == 3


def test_jobs_list_show_and_export(sandbox, sample, tmp_path):
    _, src = sample
    gptedit(
        "edit",
        src,
        "-p",
        "[identity] keep",
        "-o",
        tmp_path / "a.png",
        "--provider",
        "eachlabs",
        "--base-url",
        sandbox.base_urls["eachlabs"],
        env_extra=keyed("eachlabs"),
        check=0,
    )
    listing = gptedit("jobs", "list", check=0).stdout
    job_id = listing.split()[0]
    assert "fetched" in listing and "'[identity] keep'" in listing
    shown = gptedit("jobs", "show", job_id, check=0).stdout
    assert "submitting" in shown and "fetched" in shown
    gptedit("jobs", "export", job_id, "-o", tmp_path / "again.png", check=0)
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "a.png").read_bytes()


def test_config_set_stores_the_key_privately_and_show_masks_it(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gptedit", "config", "set", "api_key", "--provider", "openai"],
        input="sk-test-abcdef123456\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    shown = gptedit("config", "show", "--provider", "openai", check=0).stdout
    assert "sk-test-abcdef123456" not in shown and "…3456" in shown and "(config)" in shown


def _spawn_edit(sandbox, provider, src, out, prompt) -> subprocess.Popen:
    """A `gptedit edit` process against the sandbox, left running for the test to kill or wait on."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gptedit",
            "edit",
            src,
            "-p",
            prompt,
            "-o",
            out,
            "--provider",
            provider,
            "--base-url",
            sandbox.base_urls[provider],
        ],
        env=dict(os.environ, **keyed(provider)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_job(ledger, ready, pause):
    """The newest job in the ledger once `ready(job)` holds for it, or None after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = ledger.list(limit=5)
        if jobs and ready(jobs[0]):
            return jobs[0]
        time.sleep(pause)
    return None


@pytest.mark.parametrize("provider", ["eachlabs", "openai-responses"])
def test_sigkill_mid_poll_then_resume_gets_the_result_with_one_create(sandbox, sample, tmp_path, provider):
    """The crash test: the command line dies while polling; `jobs resume` finishes the job, and the
    provider saw exactly one create. OpenAI's Responses route survives it like the polled providers."""
    img, src = sample
    sandbox.configure(latency=0.0, hold="processing")  # the job runs until the test lets it end
    out = tmp_path / "crash.png"
    proc = _spawn_edit(sandbox, provider, src, out, "[identity] crash")
    ledger = Ledger()
    job = _wait_for_job(ledger, lambda j: j.state is JobState.RUNNING, pause=0.05)
    assert job is not None, "the command line never reached polling"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert ledger.get(job.id).state is JobState.RUNNING
    assert not out.exists()
    sandbox.configure(hold=None)
    resumed = gptedit("jobs", "resume", env_extra=keyed(provider), check=0, timeout=60)
    assert f"wrote {out}" in resumed.stderr, resumed.stderr
    assert nearly_same(Image.open(out).convert("RGBA"), img)  # each::labs answers at a fixed size
    assert ledger.get(job.id).state is JobState.FETCHED
    assert created(sandbox, provider) == 1


def _kill_mid_create(sandbox, provider, src, out, prompt):
    """Start an edit and SIGKILL it while its create request is still open at the sandbox (the job
    exists there, the answer has not come back): the case that used to end as *unknown* for good."""
    proc = _spawn_edit(sandbox, provider, src, out, prompt)
    ledger = Ledger()
    ready = lambda j: j.state is JobState.SUBMITTING and created(sandbox, provider) == 1  # noqa: E731
    job = _wait_for_job(ledger, ready, pause=0.02)
    assert job is not None, "the command line never had its create open at the sandbox"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert ledger.get(job.id).state is JobState.SUBMITTING and ledger.get(job.id).handle is None
    return ledger, job


def _hold_the_create_open(sandbox, provider):
    if provider == "replicate":
        sandbox.configure(latency=4.0)  # `Prefer: wait` holds the create until the prediction ends …
    # … and the answer is late on top (the job exists meanwhile), so a loaded machine cannot miss the moment
    sandbox.inject(provider, "create", "slow", after_create=True, seconds=30)


def _wait_ended(sandbox, provider):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        jobs = [j for j in sandbox.stats()["jobs"] if j["provider"] == provider]
        if jobs and jobs[0]["status"] not in ("queued", "starting", "processing"):
            return
        time.sleep(0.05)


@pytest.mark.parametrize("provider", ["replicate", "fal"])
def test_sigkill_mid_create_then_resume_finds_the_job_with_one_create(sandbox, sample, tmp_path, provider):
    """Providers that list an account's recent jobs: `jobs resume` looks there first, recognises the job
    and fetches its result; the sandbox saw exactly one create."""
    img, src = sample
    out = tmp_path / "found.png"
    _hold_the_create_open(sandbox, provider)
    ledger, job = _kill_mid_create(sandbox, provider, src, out, "[identity] killed mid-create")
    _wait_ended(sandbox, provider)  # fal lists a request in its history once it has ended
    resumed = gptedit("jobs", "resume", env_extra=keyed(provider), check=0, timeout=60)
    remote_id = [j for j in sandbox.stats()["jobs"] if j["provider"] == provider][0]["id"]
    assert f"Found at {'Replicate' if provider == 'replicate' else 'fal'} as {remote_id}" in resumed.stderr
    assert f"wrote {out}" in resumed.stderr, resumed.stderr
    result = Image.open(out).convert("RGBA")
    if provider == "replicate":  # Replicate answers at its aspect ratio's fixed size: compare scaled back
        result = result.resize(img.size)
        diff = sum(abs(a - b) for a, b in zip(result.tobytes(), img.tobytes(), strict=True))
        assert diff / (img.width * img.height * 4) < 12
    else:
        assert result.tobytes() == img.tobytes()
    done = ledger.get(job.id)
    assert done.state is JobState.FETCHED and done.handle.remote_id == remote_id
    events = ledger.events(job.id)
    states = [e[1] for e in events]
    lost = states.index("unknown")
    assert states[lost - 1] == "submitting" and states[lost + 1] == "submitted" and states[-1] == "fetched"
    assert events[lost + 1][2].startswith("Found at")
    assert created(sandbox, provider) == 1
    assert sandbox.stats()[provider]["lists"] >= 1


def test_sigkill_mid_create_on_eachlabs_stays_unknown_and_says_why(sandbox, sample, tmp_path):
    """each::labs documents no list of an account's predictions: the job stays unknown, is never re-sent,
    and `jobs reconcile` says why."""
    _, src = sample
    out = tmp_path / "lost.png"
    _hold_the_create_open(sandbox, "eachlabs")
    ledger, job = _kill_mid_create(sandbox, "eachlabs", src, out, "[identity] killed mid-create")
    looked = gptedit("jobs", "reconcile", env_extra=keyed("eachlabs"), check=0)
    assert f"job {job.id[:8]}: unsupported:" in looked.stdout and "no way to list" in looked.stdout
    resumed = gptedit("jobs", "resume", env_extra=keyed("eachlabs"), check=0)
    assert "nothing to resume" in resumed.stderr
    assert ledger.get(job.id).state is JobState.UNKNOWN and not out.exists()
    assert created(sandbox, "eachlabs") == 1


def test_jobs_reconcile_reports_two_indistinguishable_candidates_and_picks_neither(sandbox, sample, tmp_path):
    img, src = sample
    out = tmp_path / "twin.png"
    _hold_the_create_open(sandbox, "replicate")
    ledger, job = _kill_mid_create(sandbox, "replicate", src, out, "[identity] twin")
    # the very same edit, sent by something outside this ledger (another machine, a script)
    twin = gptedit(
        "edit",
        src,
        "-p",
        "[identity] twin",
        "-o",
        tmp_path / "other.png",
        "--provider",
        "replicate",
        "--base-url",
        sandbox.base_urls["replicate"],
        env_extra={**keyed("replicate"), "GPTEDIT_HOME": str(tmp_path / "h2")},
        check=0,
        timeout=60,
    )
    assert "wrote" in twin.stderr
    looked = gptedit("jobs", "reconcile", job.id[:8], env_extra=keyed("replicate"), check=0)
    assert f"job {job.id[:8]}: ambiguous:" in looked.stdout and "not guessing" in looked.stdout
    assert ledger.get(job.id).state is JobState.UNKNOWN
    resumed = gptedit("jobs", "resume", job.id[:8], env_extra=keyed("replicate"), timeout=60)
    assert resumed.returncode == 1 and "not re-sent automatically" in resumed.stderr, resumed.stderr
    assert "not guessing" in resumed.stderr
    assert not out.exists()
    assert created(sandbox, "replicate") == 2


def test_a_batch_killed_mid_create_finds_its_job_when_run_again(sandbox, sample, tmp_path):
    _, src = sample
    out_dir = tmp_path / "out"
    _hold_the_create_open(sandbox, "fal")
    env = dict(os.environ, **keyed("fal"))
    common = [
        "-p",
        "[identity] batch lost",
        "-O",
        out_dir,
        "--provider",
        "fal",
        "--base-url",
        sandbox.base_urls["fal"],
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gptedit", "batch", src, *common],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ledger = Ledger()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = ledger.list(limit=1)
        if jobs and jobs[0].state is JobState.SUBMITTING and created(sandbox, "fal") == 1:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    _wait_ended(sandbox, "fal")
    again = gptedit("batch", src, *common, env_extra=keyed("fal"), check=0, timeout=60)
    assert "Found at fal as" in again.stderr and "1 ok, 0 failed" in again.stderr, again.stderr
    assert (out_dir / "in.png").exists()
    assert created(sandbox, "fal") == 1


def test_jobs_cancel_stops_an_openai_responses_job_at_openai(sandbox, sample, tmp_path):
    """The Responses route has a real cancel: `jobs cancel` from another process stops the background
    response, and the program that was waiting ends with it."""
    _, src = sample
    sandbox.configure(latency=0.0, hold="processing")  # the response cannot end before the cancel
    proc = _spawn_edit(sandbox, "openai-responses", src, tmp_path / "never.png", "[tint] stop")
    ledger = Ledger()
    job = _wait_for_job(ledger, lambda j: j.state is JobState.RUNNING, pause=0.05)
    assert job is not None
    gptedit("jobs", "cancel", job.id[:8], env_extra=keyed("openai-responses"), check=0)
    try:
        proc.wait(30)
    finally:
        proc.kill()
    remote = [j for j in sandbox.stats()["jobs"] if j["provider"] == "openai-responses"]
    assert remote[-1]["status"] == "cancelled" and sandbox.stats()["openai-responses"]["cancels"] >= 1
    assert ledger.get(job.id).state is JobState.CANCELLED
    assert not (tmp_path / "never.png").exists()
