"""The job state machine: submit, poll on a schedule, fetch, save — recording every step in the ledger.

    queued → submitting → submitted → running → fetched → (inserted by a host adapter)
                       ↘ unknown (the create may have arrived: never re-sent on its own)
    any step → failed / cancelled

The runner is synchronous and thread-agnostic: the command line calls it directly, the host adapters run it
on a worker thread (see `engine.py`). It never touches a host API."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from .errors import (
    BadResponse,
    Cancelled,
    DeadlineExceeded,
    GptEditError,
    NetworkError,
    OutputExpired,
    RateLimited,
    RequestTimeout,
    ServerError,
    SubmissionUnknown,
)
from .imagesniff import sniff
from .ledger import JobRecord, Ledger
from .models import EditRequest, EventKind, JobEvent, JobState, PollResult, Quality, RemoteStatus, Size
from .poll_schedule import PollTiming, next_poll
from .pricing import actual
from .providers.base import Provider
from .reconcile import client_tag_for

Listener = Callable[[JobEvent], None]


class CancelToken:
    """Set from any thread (a Cancel button, Ctrl-C); the runner notices within a poll interval."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`; True when cancelled meanwhile."""
        return self._event.wait(max(0.0, seconds))


@dataclass
class PollPolicy:
    """Notice completion quickly without hammering the API: short first waits, then a slow climb.
    each::labs' own example polls every 2 s (docs/providers.md "each::labs: polling"); edits take
    ~40–170 s. On providers that can only be polled, once a few jobs of the same model, quality and size
    have finished, the polls follow how long those took instead (`poll_schedule`), with no more requests."""

    first: float = 1.0
    factor: float = 1.5
    cap: float = 5.0
    #: long-poll budget per request for providers that can hold a request open (fal's status stream); short
    #: enough that a Cancel click is noticed within a few seconds
    hold: float = 5.0
    #: give up after this many seconds of failing polls in a row (network down), job stays resumable
    max_transient: float = 120.0
    #: learn the poll schedule from the ledger's finished jobs (False: always the fixed climb)
    learn: bool = True

    def timing(self) -> PollTiming:
        return PollTiming(first=self.first, factor=self.factor, cap=self.cap)

    def delays(self):
        d = self.first
        while True:
            # jitter keeps a batch of jobs from polling in lock-step
            yield d * random.uniform(0.9, 1.1)
            d = min(self.cap, d * self.factor)


TRANSIENT = (NetworkError, RequestTimeout, ServerError, RateLimited, BadResponse)


class JobRunner:
    def __init__(
        self,
        ledger: Ledger,
        provider: Provider,
        *,
        listener: Listener | None = None,
        cancel: CancelToken | None = None,
        deadline: float = 900.0,
        policy: PollPolicy | None = None,
    ):
        self.ledger = ledger
        self.provider = provider
        self.listener = listener or (lambda e: None)
        self.cancel_token = cancel or CancelToken()
        self.deadline = deadline
        self.policy = policy or PollPolicy()
        self._started = time.monotonic()
        #: monotonic moment the provider accepted the job: the poll schedule counts from it
        self._accepted = self._started
        self._job: JobRecord | None = None
        #: seconds from acceptance to the provider finishing, for the ledger (successful polled jobs)
        self._took: float | None = None

    # --- helpers -------------------------------------------------------------------------------------
    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _emit(self, kind: EventKind, message: str = "", **kw) -> None:
        job = self._job
        try:
            self.listener(
                JobEvent(
                    kind,
                    job.id if job else "",
                    job.state if job else JobState.QUEUED,
                    message,
                    self._elapsed(),
                    **kw,
                )
            )
        except Exception:  # a broken UI callback must not lose a paid job
            pass

    def _move(self, state: JobState, message: str = "", **fields) -> JobRecord:
        self._job = self.ledger.update(self._job.id, state=state, message=message, **fields)
        self._emit(EventKind.STATE, message or state.value)
        return self._job

    def _fail(self, exc: Exception, state: JobState = JobState.FAILED) -> JobRecord:
        kind = getattr(exc, "kind", "error")
        return self._move(state, str(exc), error_kind=kind, error=str(exc))

    # --- entry points --------------------------------------------------------------------------------
    def run(self, job: JobRecord, request: EditRequest) -> JobRecord:
        """Submit a job already written to the ledger (state queued) and drive it to the end."""
        self._job = job
        self._started = time.monotonic()
        try:
            if self.cancel_token.cancelled:
                return self._move(JobState.CANCELLED, "Cancelled before it was sent.")
            self._move(JobState.SUBMITTING, "Sending to " + job.provider)
            if not request.client_tag:
                request = replace(request, client_tag=client_tag_for(job.id))
            submission = self.provider.submit(request, self._submit_listener)
        except SubmissionUnknown as exc:
            return self._fail(exc, JobState.UNKNOWN)
        except GptEditError as exc:
            # The provider answered and refused, or nothing left this machine: nothing was created.
            return self._fail(exc)
        except Exception as exc:  # a bug of ours after the request may have left: do not pretend
            return self._fail(
                SubmissionUnknown(f"Sending failed unexpectedly ({exc!r}); not re-sent."), JobState.UNKNOWN
            )
        self._move(JobState.SUBMITTED, f"Accepted as {submission.handle.remote_id}", handle=submission.handle)
        self._accepted = time.monotonic()
        if submission.result is not None:
            return self._finish(submission.result)
        return self._poll_loop()

    def resume(self, job: JobRecord) -> JobRecord:
        """Continue polling a job another process started (after a crash or a closed document)."""
        self._job = job
        self._started = time.monotonic()
        if job.handle is None:
            raise GptEditError(f"Job {job.id[:8]} never reached {job.provider}; there is nothing to resume.")
        accepted = self.ledger.accepted_at(job.id)
        self._accepted = self._started - max(0.0, time.time() - accepted) if accepted else self._started
        if job.state is not JobState.RUNNING:
            self._move(JobState.RUNNING, "Resumed")
        return self._poll_loop()

    # --- the loop ------------------------------------------------------------------------------------
    def _submit_listener(self, what: str, value) -> None:
        if what == "upload":
            self._emit(EventKind.UPLOAD, "Uploading", progress=float(value))
        elif what == "partial":
            index, data = value
            self._emit(EventKind.PARTIAL, f"Preview {index + 1}", partial=data, partial_index=index)
        else:
            self._emit(EventKind.LOG, str(value))

    def _poll_loop(self) -> JobRecord:
        handle = self._job.handle
        delays = self.policy.delays()
        failing_since: float | None = None
        first = True
        learned = self._learned_history()
        timing = self.policy.timing()
        last_pending: float | None = None
        planned = 0.0
        while True:
            if self.cancel_token.cancelled:
                return self._cancel_remote()
            if self._elapsed() > self.deadline:
                return self._fail(
                    DeadlineExceeded(
                        f"Still not finished after {int(self.deadline)} s; stopped waiting. "
                        "The job keeps its place "
                        f"at {self._job.provider}: resume it later (jobs resume {self._job.id[:8]})."
                    )
                )
            hold = self.policy.hold if self.provider.can_hold_poll else 0.0
            if first:
                wait = 0.0
            elif learned and not hold:
                # the learned plan is in seconds since acceptance; a moment already past is skipped, not
                # caught up on, and a little jitter keeps a batch apart
                now = time.monotonic() - self._accepted
                planned = next_poll(learned, max(planned, now), timing)
                wait = (planned - now) * random.uniform(0.95, 1.05)
            else:
                wait = next(delays)
            first = False
            if wait and not hold and self.cancel_token.sleep(wait):
                return self._cancel_remote()
            asked = time.monotonic()
            try:
                result = self.provider.poll(handle, wait=hold)
                failing_since = None
            except TRANSIENT as exc:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > self.policy.max_transient:
                    return self._fail(exc)
                self._emit(EventKind.PROGRESS, f"Waiting ({exc}); trying again")
                pause = getattr(exc, "retry_after", None) or next(delays)
                if self.cancel_token.sleep(pause):
                    return self._cancel_remote()
                continue
            except GptEditError as exc:
                return self._fail(exc)
            self.ledger.heartbeat(self._job.id)
            if result.status.terminal:
                if result.status is RemoteStatus.SUCCEEDED and not hold:
                    # it finished between the last poll that saw it running and this one
                    self._took = ((last_pending or self._accepted) + asked) / 2 - self._accepted
                return self._finish(result)
            last_pending = asked
            if self._job.state is not JobState.RUNNING or result.detail != self._job.remote_status:
                self._move(JobState.RUNNING, result.detail or "running", remote_status=result.detail)
            msg = result.detail or "running"
            if result.queue_position is not None:
                msg += f" (place {result.queue_position + 1} in queue)"
            self._emit(EventKind.PROGRESS, msg)
            pause = result.retry_after or 0.0
            if hold and not pause and time.monotonic() - asked < min(hold, 1.0):
                # The long poll came back at once (no stream there, or it just changed state): pace
                # ourselves as a plain poller would instead of asking again immediately.
                pause = next(delays)
            if pause and self.cancel_token.sleep(pause):
                return self._cancel_remote()

    def _learned_history(self) -> list[float]:
        """Durations of finished jobs like this one, when the provider can only be polled."""
        if not self.policy.learn or self.provider.can_hold_poll:
            return []
        job, req = self._job, self._job.request
        try:
            history = self.ledger.durations(
                job.protocol, job.base_url, job.model, str(req.get("quality", "")), str(req.get("size", ""))
            )
        except Exception:  # a schedule is never worth losing a paid job over
            return []
        return history if len(history) >= self.policy.timing().min_history else []

    def _cancel_remote(self) -> JobRecord:
        handle = self._job.handle
        note = "Cancelled."
        if handle is not None and self.provider.can_cancel:
            try:
                self.provider.cancel(handle)
                note = f"Cancelled; {self._job.provider} was asked to stop the job."
            except GptEditError as exc:
                note = f"Cancelled here; {self._job.provider} could not be told ({exc})."
        elif handle is not None:
            note = f"Stopped waiting; {self._job.provider} has no way to cancel a running job."
        return self._move(JobState.CANCELLED, note, error_kind=Cancelled.kind, error=note)

    def _finish(self, result: PollResult) -> JobRecord:
        fields = {"remote_status": result.detail or result.status.value}
        if result.usage is not None:
            fields["usage"] = result.usage.to_json()
        if result.cost_usd is not None:
            fields["cost"] = result.cost_usd
        if result.status is RemoteStatus.SUCCEEDED and self._took is not None:
            fields["took"] = round(self._took, 3)
        if result.status is RemoteStatus.CANCELLED:
            return self._move(JobState.CANCELLED, "Cancelled at the provider.", **fields)
        if result.status is RemoteStatus.FAILED:
            exc = result.error or GptEditError(f"{self._job.provider} reported the job failed.")
            self.ledger.update(self._job.id, **fields)
            return self._fail(exc)
        if not result.outputs:
            self.ledger.update(self._job.id, **fields)
            return self._fail(BadResponse(f"{self._job.provider} reported success but sent no image."))
        paths = []
        out_size = None
        for i, ref in enumerate(result.outputs):
            data = self._fetch_with_retry(ref)
            if data is None:
                return self._job
            kind = sniff(data)
            out_size = out_size or Size(kind.width, kind.height)
            paths.append(str(self.ledger.save_result(self._job.id, i, data, kind.extension)))
            # Each saved file is recorded at once: a crash between two downloads keeps the first.
            self.ledger.update(self._job.id, results=paths)
        if "cost" not in fields:
            req = self._job.request
            # With "auto" the size is only known now: price what actually came back.
            cost = actual(
                self._job.protocol,
                self._job.model,
                usage=result.usage,
                reported_cost=None,
                n=len(paths),
                size=Size.parse(req.get("size", "auto")) or out_size,
                quality=Quality(req.get("quality", "auto")),
            )
            if cost is not None:
                fields["cost"] = cost
        return self._move(JobState.FETCHED, f"{len(paths)} image(s) saved", results=paths, **fields)

    def _fetch_with_retry(self, ref) -> bytes | None:
        failing_since = time.monotonic()
        delays = self.policy.delays()
        while True:
            try:
                return self.provider.fetch(ref)
            except OutputExpired as exc:
                self._fail(exc)
                return None
            except TRANSIENT as exc:
                if (
                    time.monotonic() - failing_since > self.policy.max_transient
                    or self._elapsed() > self.deadline
                ):
                    self._fail(exc)
                    return None
                self._emit(EventKind.PROGRESS, f"Downloading failed ({exc}); trying again")
                if self.cancel_token.sleep(next(delays)):
                    self._cancel_remote()
                    return None
            except GptEditError as exc:
                self._fail(exc)
                return None
