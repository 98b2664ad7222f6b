"""How soon a finished job is noticed on a provider that can only be polled (run by `python3 build.py bench`).

Sandbox each::labs jobs of realistic lengths — low quality ~30 s, medium ~60 s, high ~120 s, each job ±10 %
(log-normal) — run through the real engine and ledger, scaled down in time (every time divided by SCALE,
the poll timing too) so the whole bench takes well under a minute. Three rounds of the same jobs:

1. today's fixed climb (poll at once, then 1 s, ×1.5, capped at 5 s); its jobs write their durations to the
   ledger as any job does;
2. the learned schedule, from the durations round 1 recorded (coarse: measured with 5 s gaps);
3. the learned schedule again, from round 2's finer measurements.

Prints, per round, the mean delay between the sandbox finishing a job and the engine noticing it, and the
status requests per job, in full-scale seconds and as ratios to round 1. The delay runs from the job's end to
the moment the poll that saw it finished was sent: the request's own time is the same under any schedule
(and would count SCALE times over here). A loaded machine still makes every wait overshoot a little."""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared")]
os.environ["GPTEDIT_HOME"] = tempfile.mkdtemp(prefix="gptedit-poll-bench-")

#: full-scale seconds per bench second
SCALE = 10.0
CLASSES = {"low": 30.0, "medium": 60.0, "high": 120.0}
JOBS_PER_CLASS = 6
SPREAD = 0.1


class Counting:
    """The real provider, with each create given its own sandbox latency and each status request counted."""

    def __init__(self, inner, sandbox, lock):
        self._inner, self._sb, self._lock = inner, sandbox, lock
        self.latency = 0.0
        self.polls = 0
        self.delay: float | None = None

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def submit(self, request, listener=None):
        with self._lock:  # the sandbox takes the latency in force when the create arrives
            self._sb.configure(latency=self.latency)
            return self._inner.submit(request, listener)

    def poll(self, handle, wait=0.0):
        self.polls += 1
        sent = time.monotonic()
        result = self._inner.poll(handle, wait=wait)
        if result.status.terminal and self.delay is None:
            # from the job's end to the poll that saw it leaving: what the schedule decides (the request's
            # own time is the same under any schedule, and SCALE times larger here)
            self.delay = max(0.0, sent - self._sb.ctx.jobs.get(handle.remote_id).end)
        return result


def run_round(sb, ledger, policy, durations, lock) -> tuple[float, float, int]:
    from gptedit.engine import preflight, run_edit
    from gptedit.models import EditRequest, ImageInput, Quality
    from gptedit.pngio import encode_png
    from gptedit.settings import resolve

    settings = resolve(
        {"provider": "eachlabs", "base_url": sb.base_urls["eachlabs"], "api_key": "bench"}, env={}, config={}
    )
    png = encode_png(64, 64, bytes([90, 140, 200, 255]) * 64 * 64, 4)
    image = ImageInput(png, "image/png", 64, 64)
    providers, threads, finals = [], [], []

    def one(quality: str, seconds: float) -> None:
        request = EditRequest(
            prompt="[identity] bench", model=settings.model, quality=Quality(quality), images=[image]
        )
        provider = Counting(preflight(settings, request), sb, lock)
        provider.latency = seconds / SCALE
        providers.append(provider)
        finals.append(
            run_edit(settings, request, origin="bench", ledger=ledger, policy=policy, provider=provider)
        )

    for quality, seconds in durations:
        threads.append(threading.Thread(target=one, args=(quality, seconds)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [
        p
        for p, f in zip(providers, finals, strict=False)
        if f.state.value == "fetched" and p.delay is not None
    ]
    if not ok:
        return float("nan"), float("nan"), 0
    delay = sum(p.delay for p in ok) / len(ok) * SCALE
    polls = sum(p.polls for p in ok) / len(ok)
    return delay, polls, len(ok)


def main() -> int:
    from gptedit.jobs import PollPolicy
    from gptedit.ledger import Ledger
    from gptedit.sandbox import Sandbox

    rnd = random.Random(12)
    durations = [
        (q, s * rnd.lognormvariate(0.0, SPREAD)) for q, s in CLASSES.items() for _ in range(JOBS_PER_CLASS)
    ]
    base = PollPolicy()
    scaled = dict(first=base.first / SCALE, factor=base.factor, cap=base.cap / SCALE, hold=base.hold / SCALE)
    lock = threading.Lock()
    rows = []
    with Sandbox(port=0) as sb:
        ledger = Ledger()
        for name, learn in (
            ("fixed climb (today)", False),
            ("learned from round 1", True),
            ("learned from rounds 1-2", True),
        ):
            rnd.shuffle(durations)
            rows.append((name, *run_round(sb, ledger, PollPolicy(**scaled, learn=learn), durations, lock)))
    base_delay, base_polls = rows[0][1], rows[0][2]
    print(
        f"Polling: {len(durations)} sandbox each::labs jobs of 30/60/120 s ±{SPREAD:.0%} per round, run "
        f"{SCALE:.0f}× faster; figures in full-scale seconds"
    )
    header = (
        f"{'schedule':<26} {'jobs':>4} {'mean notice delay':>18} {'ratio':>6} {'requests/job':>13} "
        f"{'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, delay, polls, n in rows:
        print(
            f"{name:<26} {n:>4} {delay:>16.2f} s {delay / base_delay:>6.2f} {polls:>13.1f} "
            f"{polls / base_polls:>6.2f}"
        )
    from _summary import add

    for name, delay, polls, _ in rows[1:]:
        add("polling", name, "notice delay (s)", delay, base_delay, "today's fixed climb")
        add("polling", name, "requests per job", polls, base_polls, "today's fixed climb")
    worse = [r for r in rows[1:] if not r[3] or r[2] > base_polls * 1.05]
    if worse:
        print(f"poll_bench: the learned schedule asked more than today's: {worse}")
    return 1 if worse or not rows[0][3] else 0


if __name__ == "__main__":
    sys.exit(main())
