"""Finding a job whose create may have arrived: the step a careful person takes by hand after a crash or a
lost answer — look at the account's recent jobs, and pick ours up if it is there.

A job becomes *unknown* when the create request may have reached the provider but its answer never came back
(the program was killed while the request was open, the connection dropped, the read timed out). It is never
sent again on its own. Where the provider lets a client list the account's recent jobs, this module looks
there with free requests only and matches by what we know for sure: the model, the window in which the create
can have arrived, the prompt and every setting sent, the number of input images and the sizes of those shown
inline (and our client tag where the provider takes one). Exactly one candidate that no other job of ours
could also claim turns the job into an ordinary submitted job with that remote id, which `jobs resume` and the
plugins then follow like any other. No candidate, or more than one, leaves it unknown: we never guess."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from .catalog import PROVIDERS
from .errors import GptEditError
from .ledger import JobRecord, Ledger
from .models import JobState
from .providers.base import Candidate, CreatedQuery, Provider
from .providers.registry import PROVIDER_CLASSES

#: the provider's clock and ours may differ by this much (and a listing's times are rounded)
CLOCK_SLACK = 120.0
#: a create reaches the provider within this long after it starts to leave (uploading a large body
#: included); the window closes earlier when the job was marked unknown sooner
LONGEST_SEND = 600.0
#: older unknown jobs are not looked up on their own: providers keep results for an hour or so and fal's
#: history shows the last 24 hours by default (`jobs reconcile ID` still tries any age)
MAX_AGE = 24 * 3600.0
#: at most this many unknown jobs are looked up per sweep, so a start-up stays quick
SWEEP_LIMIT = 5


class Finding(str, Enum):
    FOUND = "found"  # exactly one match: the job is an ordinary submitted job again
    NONE = "none"  # nothing at the provider matches: stays unknown
    AMBIGUOUS = "ambiguous"  # several jobs match equally: stays unknown, we do not guess
    UNSUPPORTED = "unsupported"  # the provider's API offers no way to look
    UNCHECKED = "unchecked"  # could not look now (no key, the network, no record of the sending)
    NOT_UNKNOWN = "not_unknown"  # the job is not unknown; nothing to look for


@dataclass
class Reconciliation:
    job: JobRecord
    finding: Finding
    message: str
    candidates: list[Candidate] = field(default_factory=list)
    #: why the provider could not be asked (the network, the key), when that is what happened
    error: GptEditError | None = None


def client_tag_for(job_id: str) -> str:
    """The tag sent with a job's create where the provider takes one: the ledger id names it exactly."""
    return "gptedit-" + job_id


def query_for(ledger: Ledger, job: JobRecord) -> CreatedQuery | None:
    window = ledger.sending_window(job.id)
    if window is None:
        return None
    start, end = window
    end = min(end, start + LONGEST_SEND)
    return CreatedQuery(
        model=job.model,
        request=job.request,
        sent_after=start - CLOCK_SLACK,
        sent_before=end + CLOCK_SLACK,
        tag=client_tag_for(job.id),
    )


def can_look(protocol: str) -> bool:
    cls = PROVIDER_CLASSES.get(protocol)
    return bool(cls and cls.can_find_created)


def _label(job: JobRecord) -> str:
    info = PROVIDERS.get(job.protocol)
    return info.label if info else job.provider


def _clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


def _cannot_look(job: JobRecord, can_find: bool) -> Reconciliation | None:
    """The outcome for a job that needs no looking, or whose provider cannot be looked at; else None."""
    if job.state is not JobState.UNKNOWN:
        return Reconciliation(
            job,
            Finding.NOT_UNKNOWN,
            f"Job {job.id[:8]} is {job.state.value}; only unknown jobs need looking up.",
        )
    if not can_find:
        return Reconciliation(
            job,
            Finding.UNSUPPORTED,
            f"{_label(job)} offers no way to list an account's recent jobs, so this one "
            f"cannot be looked up. {job.error}".strip(),
        )
    return None


def reconcile_job(
    ledger: Ledger, job: JobRecord, provider: Provider, *, others: list[JobRecord] | tuple = ()
) -> Reconciliation:
    """Look for `job` (unknown) at its provider. `others`: the other unknown jobs, so that a candidate
    two of our jobs could claim is left alone."""
    label = _label(job)
    short = job.id[:8]
    early = _cannot_look(job, provider.can_find_created)
    if early is not None:
        return early
    query = query_for(ledger, job)
    if query is None:
        return Reconciliation(
            job,
            Finding.UNCHECKED,
            f"The ledger has no record of when job {short} was sent, so it cannot be matched.",
        )
    try:
        found = provider.find_created(query)
    except GptEditError as exc:
        return Reconciliation(
            job, Finding.UNCHECKED, f"Could not look at {label}'s recent jobs: {exc}", error=exc
        )
    except Exception as exc:  # noqa: BLE001 - a listing shaped in a way we did not foresee: say so, guess nothing
        problem = GptEditError(f"{label} sent a listing this version cannot read ({exc!r}).")
        return Reconciliation(
            job, Finding.UNCHECKED, f"Could not look at {label}'s recent jobs: {problem}", error=problem
        )
    known = ledger.known_remote_ids(job.protocol, since=query.sent_after - MAX_AGE)
    unique: dict[str, Candidate] = {}
    for candidate in found:
        if candidate.handle.remote_id not in known:
            unique.setdefault(candidate.handle.remote_id, candidate)
    candidates = list(unique.values())
    window = f"sent between {_clock(query.sent_after)} and {_clock(query.sent_before)}"
    if not candidates:
        said = [
            f"Nothing at {label} matches it (same model, prompt and settings, {window}).",
            provider.lookup_later,
            job.error,
        ]
        return Reconciliation(job, Finding.NONE, " ".join(part for part in said if part))
    if len(candidates) > 1:
        ids = ", ".join(c.handle.remote_id for c in candidates[:5])
        return Reconciliation(
            job,
            Finding.AMBIGUOUS,
            f"{len(candidates)} jobs at {label} match it equally ({ids}); not guessing which "
            "one is this job. It stays unknown: look at them in your account.",
            candidates,
        )
    candidate = candidates[0]
    for other in others:
        if (
            other.id == job.id
            or other.protocol != job.protocol
            or other.base_url != job.base_url
            or other.state is not JobState.UNKNOWN
        ):
            continue  # another API or account cannot own this candidate
        other_query = query_for(ledger, other)
        if other_query is not None and provider.could_be(other_query, candidate):
            return Reconciliation(
                job,
                Finding.AMBIGUOUS,
                f"{label} job {candidate.handle.remote_id} matches this job and job "
                f"{other.id[:8]} equally; not guessing which one it belongs to.",
                candidates,
            )
    when = f", created {_clock(candidate.created_at)}" if candidate.created_at else ""
    status = f", {candidate.status}" if candidate.status else ""
    message = f"Found at {label} as {candidate.handle.remote_id}{when}{status}; followed from here on."
    adopted = ledger.adopt(job.id, candidate.handle, message)
    if adopted is None:
        current = ledger.get(job.id)
        return Reconciliation(
            current,
            Finding.NOT_UNKNOWN,
            f"Job {short} was picked up by another program meanwhile ({current.state.value}).",
        )
    return Reconciliation(adopted, Finding.FOUND, message, candidates)


ProviderFactory = Callable[[JobRecord], Provider]


def reconcile_unknown(
    ledger: Ledger,
    provider_for_job: ProviderFactory,
    job_id: str | None = None,
    *,
    limit: int = SWEEP_LIMIT,
    lookable_only: bool = True,
) -> list[Reconciliation]:
    """Look up one job (`job_id`, any age) or the recent unknown jobs (of providers that can be looked at,
    unless `lookable_only` is false). Never raises for a provider's or a key's sake: each job's outcome
    says what happened."""
    unknown = ledger.list(limit=500, states=(JobState.UNKNOWN,))
    if job_id:
        jobs = [ledger.get(job_id)]
    else:
        now = time.time()
        jobs = [
            j for j in unknown if (can_look(j.protocol) or not lookable_only) and now - j.updated < MAX_AGE
        ][:limit]
    outcomes = []
    unreachable: dict[tuple[str, str], str] = {}
    for job in jobs:
        early = _cannot_look(job, can_look(job.protocol))
        if early is not None:
            outcomes.append(early)
            continue
        where = (job.protocol, job.base_url)
        if where in unreachable:  # offline: do not make every job wait for the same failure
            outcomes.append(Reconciliation(job, Finding.UNCHECKED, unreachable[where]))
            continue
        try:
            provider = provider_for_job(job)
        except GptEditError as exc:
            outcomes.append(
                Reconciliation(job, Finding.UNCHECKED, f"Cannot look at {_label(job)} now: {exc}")
            )
            continue
        outcome = reconcile_job(ledger, job, provider, others=unknown)
        if outcome.error is not None:
            unreachable[where] = outcome.message
        outcomes.append(outcome)
    return outcomes
