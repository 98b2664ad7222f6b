"""When to ask a polled provider again: a pure function of how long similar jobs took and how long this one
has been running.

Without history the schedule is the fixed climb every job had before (first poll at once, then 1 s, ×1.5,
capped at 5 s): on a one-minute job that notices completion ~2.5 s late on average. With a few finished jobs
of the same model, quality and size, the polls are placed where those jobs ended: sparse while nothing has
ever finished, dense where most did, back to the fixed pace past the longest one. The gap at time x is
c / sqrt(hazard(x)) (hazard = the chance of finishing right now given not finished yet), which minimises the
mean notice delay for a given number of requests; c is chosen so that the mean delay over the history meets
the target while the expected number of requests stays at or below what the fixed climb would spend on
those same jobs.

Times are seconds since the provider accepted the job. Nothing here does I/O or reads a clock."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache


@dataclass(frozen=True)
class PollTiming:
    """The fixed climb (seconds); the learned schedule's bounds follow from its pace, so a policy scaled
    down for tests or benchmarks scales them too."""

    first: float = 1.0
    factor: float = 1.5
    cap: float = 5.0
    #: fewer finished jobs than this: not enough to learn from, the fixed climb is used
    min_history: int = 3

    @property
    def target(self) -> float:
        """Mean notice delay the learned schedule aims for: 0.4 s at the real pace, below the 1 s goal
        because real jobs jitter more than any history shows."""
        return 0.08 * self.cap

    @property
    def min_gap(self) -> float:
        """Never ask more often than this (0.5 s), whatever the history says."""
        return 0.05 * self.cap

    @property
    def max_gap(self) -> float:
        """Never leave a job unasked longer than this (15 s): an early failure is still noticed."""
        return 3.0 * self.cap

    def scaled(self, k: float) -> PollTiming:
        """Every time multiplied by k (benchmarks run minute-long jobs in seconds)."""
        return replace(self, first=self.first * k, cap=self.cap * k)


def fixed_times(timing: PollTiming, until: float) -> list[float]:
    """Poll moments of the fixed climb up to and including the first one at or after `until`."""
    times, t, gap = [0.0], 0.0, timing.first
    while t < until:
        t += gap
        times.append(t)
        gap = min(timing.cap, gap * timing.factor)
    return times


def _spread(history: Sequence[float]) -> float:
    n = len(history)
    mean = sum(history) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in history) / max(1, n - 1))
    median = sorted(history)[n // 2]
    # Silverman's rule, never narrower than 4 % of the typical length: a handful of jobs that happened to
    # end close together must not make the schedule bet on one instant
    return max(1.06 * sd * n**-0.2, 0.04 * median, 1e-3)


#: share of the fixed climb's requests (on the same jobs) the learned schedule may spend
BUDGET_SHARE = 0.9
#: weight and relative spread of the broad guess mixed into the history
WIDE_SHARE = 0.15
WIDE_SPREAD = 0.35

_Z = (-1.8, -1.2, -0.7, -0.25, 0.25, 0.7, 1.2, 1.8)  # roughly equal-mass points of a normal


def _samples(history: Sequence[float], bw: float) -> list[float]:
    """Durations the plan is scored on: each past job smeared over its neighbourhood."""
    return [max(0.0, d + z * bw) for d in history for z in _Z]


def _score(times: Sequence[float], timing: PollTiming, samples: Sequence[float]) -> tuple[float, float]:
    """(mean notice delay, mean requests per job) of a plan over these durations; past the plan's end
    the fixed pace (cap) continues."""
    delay = asks = 0.0
    for d in samples:
        i = bisect.bisect_left(times, d)
        if i < len(times):
            delay += times[i] - d
            asks += i + 1
        else:
            extra = math.ceil((d - times[-1]) / timing.cap - 1e-9)
            delay += times[-1] + extra * timing.cap - d
            asks += len(times) + extra
    return delay / len(samples), asks / len(samples)


def _plan(history: Sequence[float], timing: PollTiming, c: float, bw: float) -> list[float]:
    root2 = math.sqrt(2.0)
    end = max(history) + 3 * bw
    # The history is mixed with a broad guess around its median (weight WIDE_SHARE): the next job may end
    # where none of the last few did, and it must not then wait max_gap to be noticed.
    centres = [(d, bw, (1 - WIDE_SHARE) / len(history)) for d in history]
    median = sorted(history)[len(history) // 2]
    centres.append((median, WIDE_SPREAD * median, WIDE_SHARE))

    def gap(x: float) -> float:
        dens = sum(
            w * math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)) for m, s, w in centres
        )
        surv = sum(w * 0.5 * math.erfc((x - m) / (s * root2)) for m, s, w in centres)
        if dens <= 0.0:
            return timing.max_gap
        # c is a pure number: the gap scales with the pace, so a scaled-down timing gives a scaled plan
        return min(timing.max_gap, max(timing.min_gap, c * math.sqrt(timing.cap * surv / dens)))

    times, t = [0.0], 0.0
    while t < end:
        # evaluate at the middle of the coming gap: a gap that would jump over the busy window shrinks
        g = gap(t)
        g = gap(t + g / 2)
        t += g
        times.append(t)
    return times


@lru_cache(maxsize=64)
def _learned(history: tuple[float, ...], timing: PollTiming) -> tuple[float, ...] | None:
    bw = _spread(history)
    samples = _samples(history, bw)
    # never more requests than the fixed climb would spend on jobs like these
    budget = BUDGET_SHARE * _score(fixed_times(timing, max(samples) + timing.cap), timing, samples)[1]
    best: tuple[float, ...] | None = None
    c = 0.02
    while c < 10.0:
        # the gaps only widen as c grows: the first plan within budget notices soonest
        times = _plan(history, timing, c, bw)
        delay, asks = _score(times, timing, samples)
        if asks <= budget:
            best = tuple(times) if delay < timing.target or best is None else best
            if delay >= timing.target:
                break
        c *= 1.2
    return best


def planned_times(history: Sequence[float], timing: PollTiming) -> tuple[float, ...] | None:
    """The learned poll moments for jobs like these, or None when there is too little history (or none
    that beats the fixed climb within its budget)."""
    usable = tuple(sorted(float(d) for d in history if d > 0 and math.isfinite(d)))
    if len(usable) < timing.min_history:
        return None
    return _learned(usable, timing)


def next_poll(history: Sequence[float], elapsed: float, timing: PollTiming) -> float:
    """Seconds since acceptance at which to poll next, given the job has run `elapsed` seconds and was last
    seen unfinished then."""
    times = planned_times(history, timing)
    if times is None:
        fixed = fixed_times(timing, elapsed + 1e-9)
        return next(t for t in fixed if t > elapsed + 1e-9)
    for t in times:
        if t > elapsed + 1e-9:
            return t
    # past everything the history knows: the fixed pace
    return elapsed + timing.cap
