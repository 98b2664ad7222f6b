"""Jobs, counters and the shared context of one running sandbox.

A job's status is a pure function of time: it is created with a latency, a phase schedule and an outcome,
and every look at it works out where it is now (the `hold` switch stops the clock short of the end until
it is released). The terminal step (rendering the outputs) happens once, on the first look after the end,
under the job's own lock. Nothing runs in the background, so a paused test or a stopped sandbox leaves no
half-finished work behind."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .config import PROVIDERS, defaults, merge
from .edits import EditSpec, ImageProblem
from .faults import FaultBook
from .storage import Storage
from .wire import sleep_until

#: generic phases; each provider maps them to its own words
RUNNING_PHASES = ("queued", "starting", "processing")
TERMINAL_PHASES = ("succeeded", "failed", "moderated", "cancelled", "aborted")

OPS_COUNTED = (
    "creates",
    "polls",
    "cancels",
    "uploads",
    "presigns",
    "deletes",
    "downloads",
    "stream_requests",
    "results",
    "rejected_creates",
    "file_uploads",
    "upload_tokens",
    "schema_reads",
    "inline_rejected",
    "lists",
)


def parse_iso(text: str | None) -> float | None:
    """'2026-11-29T17:04:11Z', with or without fractions or an offset, or a bare date → epoch seconds;
    None when absent. Raises ValueError when present but not a date-time (the API answers 400/422)."""
    if text is None or not text.strip():
        return None
    value = text.strip().replace(" ", "T")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", value)
    if m:  # Python 3.10 reads only 3 or 6 fraction digits
        value = f"{m.group(1)}.{(m.group(2) + '000000')[:6]}{m.group(3)}"
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def iso(wall: float | None) -> str | None:
    if wall is None:
        return None
    return datetime.fromtimestamp(wall, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Job:
    id: str
    provider: str
    model: str
    spec: EditSpec
    images: list[bytes]
    mask: bytes | None
    #: what the client sent, without image bytes (reported by stats so tests can assert on it)
    record: dict[str, Any]
    latency: float
    walk: dict[str, float]
    outcome: str
    cancel_wins: bool
    #: renders and publishes the outputs; returns their URLs (or data for OpenAI)
    on_success: Callable[[Job], None] | None = None
    #: the sandbox's `hold` switch as it is now: the running phase the job may not get past, or None
    held: Callable[[], str | None] = lambda: None
    created: float = field(default_factory=time.monotonic)
    created_wall: float = field(default_factory=time.time)
    cancel_requested: float | None = None
    #: Replicate `Cancel-After`: absolute monotonic time after which the job is stopped
    deadline: float | None = None
    final: str | None = None
    finished: float | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- time line ---------------------------------------------------------------------------------

    @property
    def end(self) -> float:
        return self.created + self.latency

    @property
    def started(self) -> float:
        """When the job left the queue (Replicate `started_at`, fal IN_PROGRESS)."""
        return self.created + self.latency * (self.walk["queued"] + self.walk["starting"])

    def wall(self, mono: float | None) -> float | None:
        return None if mono is None else self.created_wall + (mono - self.created)

    def wait_end(self, stopping: threading.Event) -> bool:
        """Block until the job may end (its latency, then any hold); False if the sandbox is stopping."""
        if not sleep_until(stopping, self.end):
            return False
        while self.held():
            if stopping.wait(0.02):
                return False
        return True

    def _timed(self, now: float) -> tuple[str, float]:
        """(phase, when it began) ignoring rendering; a hold keeps the job from getting past its phase."""
        held = self.held()
        phase, when = self._clocked(now, math.inf if held else self.end)
        if held and phase in RUNNING_PHASES and RUNNING_PHASES.index(phase) > RUNNING_PHASES.index(held):
            return held, self.created
        return phase, when

    def _clocked(self, now: float, end: float) -> tuple[str, float]:
        if self.cancel_requested is not None and self.cancel_wins and self.cancel_requested < end:
            return "cancelled", self.cancel_requested
        if self.deadline is not None and self.deadline < end and now >= self.deadline:
            return ("aborted" if self.deadline < self.started else "cancelled"), self.deadline
        if now >= end:
            return {
                "success": "succeeded",
                "error": "failed",
                "moderation": "moderated",
                "cancelled-remotely": "cancelled",
            }[self.outcome], end
        if now < self.created + self.latency * self.walk["queued"]:
            return "queued", self.created
        if now < self.started:
            return "starting", self.created + self.latency * self.walk["queued"]
        return "processing", self.started

    def phase(self, now: float | None = None) -> str:
        """Where the job is now; the first look after the end renders its outputs."""
        now = time.monotonic() if now is None else now
        with self.lock:
            if self.final is not None:
                return self.final
            phase, when = self._timed(now)
            if phase in TERMINAL_PHASES:
                self._settle(phase, when)
                return self.final  # type: ignore[return-value]
            return phase

    def _settle(self, phase: str, when: float) -> None:
        if phase == "succeeded" and self.on_success is not None:
            try:
                self.on_success(self)
            except ImageProblem as exc:  # an input that decodes at create but not at render
                phase, self.error = "failed", f"could not process the input image: {exc}"
        elif phase == "failed":
            self.error = "the model failed to produce an image"
        elif phase == "moderated":
            self.error = "the request was rejected by the safety system"
        self.final, self.finished = phase, when

    def progress(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        if self.latency <= 0:
            return 1.0
        return max(0.0, min(1.0, (now - self.created) / self.latency))

    def request_cancel(self) -> None:
        with self.lock:
            if self.cancel_requested is None and self.final is None:
                self.cancel_requested = time.monotonic()

    def describe(self) -> dict[str, Any]:
        phase = self.phase()
        return {
            "id": self.id,
            "provider": self.provider,
            "model": self.model,
            "status": phase,
            "request": self.record,
            "edit": self.spec.edit,
            "output_count": len(self.outputs),
            "outputs": [o["url"] for o in self.outputs if o.get("url")],
            "cancel_requested": self.cancel_requested is not None,
            "error": self.error,
            "created_at": iso(self.created_wall),
        }


class JobStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str, provider: str | None = None) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and (provider is None or job.provider == provider) else None

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def all(self, provider: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in jobs if provider is None or j.provider == provider]

    def inflight(self, provider: str) -> int:
        return sum(1 for j in self.all(provider) if j.phase() in RUNNING_PHASES)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._counts = {p: dict.fromkeys(OPS_COUNTED, 0) for p in PROVIDERS}
            self._leaks: list[dict[str, Any]] = []

    def count(self, provider: str, op: str) -> None:
        with self._lock:
            self._counts[provider][op] += 1

    def leak(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._leaks.append(record)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {p: dict(c) for p, c in self._counts.items()}
            out["leaked_credentials"] = list(self._leaks)
            return out


class Context:
    """Everything the listeners share. URLs are filled in once the listeners have their ports."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self._cfg_lock = threading.Lock()
        self._config = merge(defaults(), config or {})
        self.jobs = JobStore()
        self.faults = FaultBook()
        self.stats = Stats()
        self.storage = Storage(self)
        self.stopping = threading.Event()
        self.api_url = ""
        self.upload_url = ""
        self.cdn_url = ""

    @property
    def config(self) -> dict[str, Any]:
        with self._cfg_lock:
            return self._config

    def configure(self, options: dict[str, Any]) -> dict[str, Any]:
        with self._cfg_lock:
            self._config = merge(self._config, options)
            return self._config

    def reset(self) -> None:
        with self._cfg_lock:
            self._config = defaults()
        self.jobs.clear()
        self.faults.clear()
        self.stats.reset()
        self.storage.clear()
