"""`python -m gptedit batch`: one prompt over many files, a few jobs at a time, resumable.

Running the same command again picks up where it stopped: finished outputs are skipped, jobs the
provider still knows are resumed, inputs whose earlier create may or may not have arrived are looked up
at the provider where it lists recent jobs, and left alone when not found unless `--resend-unknown` (so
nobody pays twice by accident)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import recipe
from .cli_common import Interrupts, flags, maybe_sandbox
from .cli_images import load_input, write_outputs
from .cli_progress import Progress
from .cli_script import dry_run, emit, job_json, refused_json
from .engine import mark_orphans, reconcile_jobs, resume_job, run_edit
from .errors import BadInput, GptEditError, RateLimited
from .job_context import CLI, JobContext
from .jobs import CancelToken
from .ledger import JobRecord, Ledger
from .models import JobState


class RateGate:
    """When one worker is told to slow down, every worker waits: the limit is per account, not per job."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def block(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def wait(self, token: CancelToken) -> None:
        while True:
            with self._lock:
                remaining = self._until - time.monotonic()
            if remaining <= 0 or token.sleep(min(remaining, 1.0)):
                return


def batch_id(prompt: str, inputs: list[Path], settings) -> str:
    key = json.dumps(
        [
            prompt,
            sorted(str(p.resolve()) for p in inputs),
            settings.provider,
            settings.model,
            settings.quality.value,
            settings.size,
            settings.n,
            settings.output_format.value,
        ]
    )
    return "b" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _latest_jobs(ledger: Ledger, batch: str) -> dict[str, JobRecord]:
    latest: dict[str, JobRecord] = {}
    for job in sorted(ledger.list(limit=100000, batch=batch), key=lambda j: j.created):
        latest[job.context.input] = job
    return latest


def cmd_batch(args) -> int:
    if args.concurrency < 1:
        raise BadInput("--concurrency must be at least 1.")
    inputs = [p for p in args.inputs]
    missing = [str(p) for p in inputs if not p.is_file()]
    if missing:
        raise BadInput("Not found: " + ", ".join(missing))
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    ledger = Ledger()
    progress = Progress(quiet=args.quiet)
    token = CancelToken()
    gate = RateGate()
    refs = [load_input(r) for r in args.ref]
    failures: list[str] = []
    lock = threading.Lock()
    as_json = getattr(args, "json", False)

    with maybe_sandbox(args, flags(args)) as settings:
        if getattr(args, "dry_run", False):
            return _dry_run(args, settings, inputs, refs, progress)
        bid = batch_id(args.prompt, inputs, settings)
        mark_orphans(ledger)  # a batch killed mid-create left jobs "submitting": they are unknown now
        previous = _latest_jobs(ledger, bid)
        ext = settings.output_format.extension
        progress.line(f"batch {bid}: {len(inputs)} file(s), {args.concurrency} at a time")

        def one(path: Path) -> None:
            key = str(path.resolve())
            output = out_dir / f"{path.stem}.{ext}"
            tag = Progress(quiet=args.quiet, prefix=f"{path.name}: ")
            done_before = output.exists() or (out_dir / f"{path.stem}-1.{ext}").exists()
            if done_before:
                progress.line(f"{path.name}: already done, skipped")
                if as_json:
                    emit(
                        {
                            **refused_json(GptEditError("already done"), input_path=key),
                            "state": "skipped",
                            "error": None,
                            "error_kind": None,
                        }
                    )
                return
            prev = previous.get(key)
            if prev is not None and prev.state is JobState.UNKNOWN:
                # look at the provider first: found there, it is an ordinary job again and is never sent twice
                for outcome in reconcile_jobs(ledger, prev.id):
                    tag.line(outcome.message)
                prev = ledger.get(prev.id)
            job = None
            if prev is not None and prev.state in (JobState.FETCHED, JobState.INSERTED) and prev.results:
                job = prev
            elif prev is not None and prev.can_resume:
                job = resume_job(prev.id, ledger=ledger, listener=tag, cancel=token)
            elif prev is not None and prev.state is JobState.UNKNOWN and not args.resend_unknown:
                if as_json:
                    emit(job_json(prev, outputs=[]))
                with lock:
                    failures.append(
                        f"{path.name}: an earlier job may have reached the provider; not re-sent "
                        "(use --resend-unknown to send it again)"
                    )
                return
            attempts = 0
            while job is None or (
                job.state is JobState.FAILED and job.error_kind == RateLimited.kind and attempts < 5
            ):
                if token.cancelled:
                    return
                gate.wait(token)
                attempts += 1
                image = load_input(path)
                request = recipe.build_request(settings, args.prompt, [image, *refs])
                job = run_edit(
                    settings,
                    request,
                    origin="cli-batch",
                    listener=tag,
                    cancel=token,
                    ledger=ledger,
                    batch=bid,
                    context=JobContext(host=CLI, input=key, output=str(output)),
                )
                if job.state is JobState.FAILED and job.error_kind == RateLimited.kind:
                    gate.block(10.0 * attempts)
            if job.state is JobState.FETCHED or (job.state is JobState.INSERTED and job.results):
                written = write_outputs(job.result_paths, output)
                for item in written:
                    progress.line(f"{path.name}: wrote {item}")
                if as_json:
                    emit(job_json(job, outputs=[str(w) for w in written]))
            else:
                if as_json:
                    emit(job_json(job, outputs=[]))
                with lock:
                    failures.append(f"{path.name}: {job.state.value}: {job.error}")

        with Interrupts(token), ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for fut in [pool.submit(one, p) for p in inputs]:
                try:
                    fut.result()
                except Exception as exc:  # one bad file must not stop the others
                    if as_json:
                        emit(refused_json(exc))
                    with lock:
                        failures.append(str(exc))
    for line in failures:
        progress.line("failed: " + line)
    progress.line(f"batch {bid}: {len(inputs) - len(failures)} ok, {len(failures)} failed")
    return 0 if not failures else 1


def _dry_run(args, settings, inputs: list[Path], refs, progress: Progress) -> int:
    """Each input's plan, request and estimate; nothing is sent and nothing is written."""
    low = high = 0.0
    for path in inputs:
        request = recipe.build_request(settings, args.prompt, [load_input(path), *refs])
        plan = dry_run(settings, request, input_path=str(path.resolve()))
        emit(plan, pretty=not args.json)
        low, high = low + plan["estimate"]["low"], high + plan["estimate"]["high"]
    progress.line(f"dry run: {len(inputs)} file(s), nothing sent; estimated ${low:.3f}–${high:.3f} in all")
    return 0
