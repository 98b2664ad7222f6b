"""The front door every front end uses once `recipe` has built a request: check it, record it, run it (here
or on a worker thread), resume what a crash left behind. The command line, the Krita docker and the GIMP
procedure all go through these few functions, so they behave the same."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from . import recipe
from .errors import GptEditError
from .job_context import JobContext
from .jobs import CancelToken, JobRunner, Listener, PollPolicy
from .ledger import JobRecord, Ledger, SentRegion
from .models import EditRequest, JobState
from .providers.base import Provider, ProviderConfig
from .providers.registry import make_provider
from .reconcile import Finding, Reconciliation, reconcile_unknown
from .settings import Settings, require_key, resolve
from .transport import RetryPolicy

#: unknown jobs `jobs reconcile` looks at in one go (the start-up sweep looks at fewer)
RECONCILE_LIMIT = 50
#: listings are free and can be asked again on the next look: a short retry budget
LOOKUP_RETRY = RetryPolicy(attempts=2, base_delay=1.0, max_delay=5.0, total_cap=20.0)


def provider_for(settings: Settings, **options) -> Provider:
    config = ProviderConfig(name=settings.protocol, base_url=settings.base_url, api_key=require_key(settings))
    return make_provider(settings.protocol, config, **options)


def provider_options(settings: Settings) -> dict:
    """Per-provider knobs that come from settings rather than the request."""
    if settings.protocol == "openai":
        return {"stream": settings.stream}
    if settings.protocol == "openai-responses":
        return {"mainline_model": settings.text_model}
    if settings.protocol == "replicate":
        return {"wait": settings.wait}
    return {}


def preflight(settings: Settings, request: EditRequest) -> Provider:
    """Every check that needs no network: the request, the key, the base URL, what the provider can do.
    Returns the provider, ready to use."""
    recipe.check(settings, request)  # before the key is looked at: a bad request is the first thing to fix
    provider = provider_for(settings, **provider_options(settings))
    provider.check(request)
    return provider


def new_job(
    ledger: Ledger,
    settings: Settings,
    request: EditRequest,
    *,
    origin: str,
    context: JobContext | None = None,
    batch: str = "",
    provider: Provider | None = None,
    selection: bytes | None = None,
    sent: SentRegion | None = None,
) -> tuple[JobRecord, Provider]:
    """Check the request, then write the job to the ledger (state queued) — before any request is made.
    `selection`: 1 byte per pixel of the context box, kept beside the results (`Ledger.save_selection`).
    `sent`: the region that was sent, as the front end measures its answers against it; kept with a
    selection (`Ledger.save_sent`) so that an answer inserted later is corrected like a fresh one."""
    if provider is None:
        provider = preflight(settings, request)
    else:
        provider.check(request)
    est = recipe.quote_request(settings, request)
    rec = JobRecord(
        id="",
        origin=origin,
        provider=settings.provider,
        protocol=settings.protocol,
        model=request.model,
        base_url=settings.base_url,
        prompt=request.prompt,
        request=request.describe(),
        estimate_low=est.low,
        estimate_high=est.high,
        context=context or JobContext(),
        batch=batch,
    )
    rec.id = uuid.uuid4().hex
    if selection is not None:
        # Kept before the row exists: a job in the ledger can always be masked again by any front end.
        try:
            ledger.save_selection(rec.id, selection)
            if sent is not None:
                ledger.save_sent(rec.id, sent)
        except OSError as exc:
            msg = f"The selection could not be kept for this job ({exc}); nothing was sent."
            raise GptEditError(msg) from exc
    return ledger.create(rec), provider


def run_edit(
    settings: Settings,
    request: EditRequest,
    *,
    origin: str = "cli",
    context: JobContext | None = None,
    listener: Listener | None = None,
    cancel: CancelToken | None = None,
    ledger: Ledger | None = None,
    policy: PollPolicy | None = None,
    batch: str = "",
    provider: Provider | None = None,
    selection: bytes | None = None,
    sent: SentRegion | None = None,
) -> JobRecord:
    """Run one edit to the end on this thread. Returns the final record (fetched, failed, …).
    `provider`: the one `preflight` returned, so it is not built a second time."""
    ledger = ledger or Ledger()
    job, provider = new_job(
        ledger,
        settings,
        request,
        origin=origin,
        context=context,
        batch=batch,
        provider=provider,
        selection=selection,
        sent=sent,
    )
    runner = JobRunner(
        ledger, provider, listener=listener, cancel=cancel, deadline=settings.deadline, policy=policy
    )
    try:
        return runner.run(job, request)
    finally:
        ledger.release(job.id)


def settings_for_job(job: JobRecord, flags: dict | None = None) -> Settings:
    """Settings to continue a job: its own provider and base URL; the key from the environment or config
    (keys are never stored in the ledger)."""
    merged = {"provider": job.provider, "base_url": job.base_url, "model": job.model}
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    return resolve(merged)


def resume_job(
    job_id: str,
    *,
    ledger: Ledger | None = None,
    listener: Listener | None = None,
    cancel: CancelToken | None = None,
    policy: PollPolicy | None = None,
    settings: Settings | None = None,
    force: bool = False,
) -> JobRecord:
    ledger = ledger or Ledger()
    job = ledger.get(job_id)
    if not job.can_resume:
        raise GptEditError(_why_not_resumable(job))
    if not ledger.claim(job.id, force=force):
        raise GptEditError(
            f"Job {job.id[:8]} is being followed by another running program; not resumed twice."
        )
    settings = settings or settings_for_job(job)
    provider = provider_for(settings, **provider_options(settings))
    runner = JobRunner(
        ledger, provider, listener=listener, cancel=cancel, deadline=settings.deadline, policy=policy
    )
    try:
        return runner.resume(job)
    finally:
        ledger.release(job.id)


def _why_not_resumable(job: JobRecord) -> str:
    short = job.id[:8]
    if job.state is JobState.FETCHED or job.state is JobState.INSERTED:
        return f"Job {short} already has its result: {', '.join(job.results)}"
    if job.state is JobState.UNKNOWN:
        return (
            f"Job {short} may or may not have reached {job.provider}; it is not re-sent automatically so "
            "you are never charged twice. Check your account, then run the edit again if needed."
        )
    if job.handle is None:
        return f"Job {short} never reached {job.provider}; there is nothing to resume. Run the edit again."
    if job.protocol == "openai":
        return (
            f"Job {short}: OpenAI answers in one request, so an interrupted edit cannot be picked up again."
        )
    return f"Job {short} is {job.state.value}; there is nothing to resume."


def reconcile_jobs(
    ledger: Ledger, job_id: str | None = None, *, settings: Settings | None = None, every: bool = False
) -> list[Reconciliation]:
    """Look up unknown jobs at their providers (free requests only): one job, or the recent ones of
    providers that can be looked at (`every`: all recent unknown jobs, each saying why it was or was not
    looked up). A job found there becomes an ordinary submitted job, ready for `resume_job`."""

    def make(job: JobRecord) -> Provider:
        s = settings or settings_for_job(job)
        # a look is a bonus, often at start-up: give up on a provider quickly rather than keep a host waiting
        return provider_for(s, **provider_options(s), retry=LOOKUP_RETRY)

    if every:
        return reconcile_unknown(ledger, make, job_id, limit=RECONCILE_LIMIT, lookable_only=False)
    return reconcile_unknown(ledger, make, job_id)


def mark_orphans(ledger: Ledger) -> tuple[list[JobRecord], list[JobRecord]]:
    """After a crash: jobs whose create may have left are marked unknown (never re-sent); jobs the provider
    knows are returned for resuming. Returns (resumable, marked unknown now)."""
    resumable, unknown = [], []
    for job in ledger.orphans():
        if job.state is JobState.SUBMITTING:
            msg = (
                f"The program stopped while sending this job; it may or may not have reached {job.provider}. "
                "It is not re-sent automatically."
            )
            unknown.append(
                ledger.update(
                    job.id, state=JobState.UNKNOWN, message=msg, error_kind="submission_unknown", error=msg
                )
            )
        elif job.state is JobState.QUEUED:
            msg = "The program stopped before this job was sent; nothing was charged."
            ledger.update(job.id, state=JobState.FAILED, message=msg, error_kind="interrupted", error=msg)
        elif job.can_resume:
            resumable.append(job)
    return resumable, unknown


def sweep_orphans(
    ledger: Ledger,
    on_lookup: Callable[[Reconciliation], None] | None = None,
) -> tuple[list[JobRecord], list[JobRecord]]:
    """After a crash (`mark_orphans`), then a look at the providers that list an account's recent jobs for
    the recent unknown jobs: those found there are returned for resuming with the others. `on_lookup`
    hears what each look found. Returns (resumable, still unknown of those marked now)."""
    resumable, unknown = mark_orphans(ledger)
    try:
        outcomes = reconcile_jobs(ledger)
    except Exception:  # noqa: BLE001 - looking up is a bonus; it must never stop a start-up
        outcomes = []
    for outcome in outcomes:
        if on_lookup is not None:
            on_lookup(outcome)
    found = {o.job.id: o.job for o in outcomes if o.finding is Finding.FOUND}
    resumable += [job for job in found.values() if job.id not in {j.id for j in resumable}]
    unknown = [job for job in unknown if job.id not in found]
    return resumable, unknown


@dataclass
class EditJob:
    """A job running on its own worker thread, for the host adapters. The listener is called on that worker
    thread: adapters forward events to their GUI thread (queued Qt signal, GLib.idle_add)."""

    cancel_token: CancelToken = field(default_factory=CancelToken)
    record: JobRecord | None = None
    error: Exception | None = None
    _thread: threading.Thread | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def id(self) -> str:
        return self.record.id if self.record else ""

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


def start_in_thread(work: Callable[[EditJob], JobRecord], name: str = "gptedit-job") -> EditJob:
    job = EditJob()

    def body() -> None:
        try:
            job.record = work(job)
        except Exception as exc:  # reported to the UI as a message, never a traceback
            job.error = exc
        finally:
            job._done.set()

    job._thread = threading.Thread(target=body, name=name, daemon=True)
    job._thread.start()
    return job
