"""python-fu-gptedit-recent: list the shared ledger's jobs and insert or resume one.

This is how nothing paid for is lost: a result whose image was closed, a job whose plug-in process was killed
(GIMP's own progress-bar Cancel kills the plug-in, docs/hosts.md "GIMP: cancelling") or a job started from
Krita or the command line can be put into the image in front of the user. Orphans are swept first: a job that
was being sent when its process died becomes `unknown` and is never re-sent; one the provider knows is
resumed.
"""

from __future__ import annotations

import time

from gi.repository import Gimp
from gptedit.engine import resume_job, sweep_orphans
from gptedit.errors import BadInput, Cancelled, GptEditError
from gptedit.ledger import JobRecord, Ledger
from gptedit.models import JobState

from . import messages
from .run_edit import GimpProgress, finish
from .wait import WorkerWait

LIST_LIMIT = 30


def describe(job: JobRecord) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.created))
    prompt = " ".join(job.prompt.split())
    prompt = prompt if len(prompt) <= 50 else prompt[:49] + "…"
    extra = f"{len(job.results)} image(s)" if job.results else (job.error[:80] if job.error else "")
    return f"{job.id[:8]}  {when}  {job.state.value:<10} {job.origin:<6} {prompt}  {extra}".rstrip()


def listing(ledger: Ledger) -> str:
    jobs = ledger.list(limit=LIST_LIMIT)
    return "\n".join(describe(j) for j in jobs) if jobs else "No GPT Image jobs yet."


def pick(ledger: Ledger, job_id: str) -> JobRecord:
    """The named job, or the newest one whose result is waiting to be inserted, or the newest resumable."""
    if job_id:
        return ledger.get(job_id)
    jobs = ledger.list(limit=200)
    for job in jobs:
        if job.state is JobState.FETCHED:
            return job
    for job in jobs:
        if job.can_resume:
            return job
    raise BadInput(
        "No job has a result waiting to be inserted and none can be resumed. "
        "Give a job id to insert an older result again."
    )


def run(procedure, run_mode, image, drawables, config, run_data=None):
    try:
        ledger = Ledger()
        # After a crash: unknown creates are flagged (never re-sent), known remote jobs become resumable.
        sweep_orphans(ledger)
        action = config.get_property("action") or "insert"
        job_id = (config.get_property("job-id") or "").strip()
        if run_mode == Gimp.RunMode.INTERACTIVE:
            from .recent_dialog import choose_job

            chosen = choose_job(ledger)
            if chosen is None:
                return messages.cancelled(procedure)
            job_id, action = chosen
        if action == "list":
            return messages.success(None, "", listing(ledger))
        job = pick(ledger, job_id)
        interactive = run_mode == Gimp.RunMode.INTERACTIVE
        record = _ensure_result(job, action, interactive=interactive)
        target = image if image is not None and image.is_valid() else None
        above = None
        if target is not None:
            layers = [d for d in (drawables or []) if d.is_valid() and d.is_layer()]
            above = layers[0] if layers else None
        # what the seam correction did is said as after a fresh edit: in the status bar and the returned
        # message, and a warning in GIMP's messages when a person is there
        view = GimpProgress(f"GPT Image: inserting job {record.id[:8]}")
        try:
            return finish(procedure, record, target, above, interactive=interactive, views=[view])
        finally:
            view.close()
    except Cancelled:
        return messages.cancelled(procedure)
    except Exception as exc:
        return messages.failure(procedure, exc)


def _ensure_result(job: JobRecord, action: str, *, interactive: bool) -> JobRecord:
    if job.state in (JobState.FETCHED, JobState.INSERTED):
        if action == "resume" and job.state is JobState.INSERTED:
            pass  # nothing to wait for: inserting again is what "resume" can still do
        return job
    if not job.can_resume:
        raise GptEditError(_not_resumable(job))
    views = [GimpProgress(f"GPT Image: resuming job {job.id[:8]}")]
    if interactive:
        from .progress_window import ProgressWindow

        views.append(ProgressWindow(None, None, job.prompt, title=f"Resuming job {job.id[:8]}"))
    waiter = WorkerWait(
        on_event=lambda e: [v.on_event(e) for v in views], on_tick=lambda t: [v.on_tick(t) for v in views]
    )
    for view in views:
        if hasattr(view, "connect_cancel"):
            view.connect_cancel(waiter.cancel)
    try:
        done = waiter.run(
            lambda edit_job: resume_job(job.id, listener=waiter.listener, cancel=edit_job.cancel_token)
        )
    finally:
        for view in views:
            view.close()
    if done.error is not None:
        raise done.error
    return done.record


def _not_resumable(job: JobRecord) -> str:
    if job.state is JobState.UNKNOWN:
        return (
            f"Job {job.id[:8]} may or may not have reached {job.provider}; it is never re-sent automatically "
            "so you are not charged twice. Check your account, then run the edit again if needed."
        )
    if job.state is JobState.CANCELLED:
        return f"Job {job.id[:8]} was cancelled; there is no result to insert."
    if job.state is JobState.FAILED:
        return f"Job {job.id[:8]} failed: {job.error or 'no details'}"
    return f"Job {job.id[:8]} is {job.state.value}; there is nothing to insert or resume yet."
