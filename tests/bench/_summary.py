"""One line per figure for the table `build.py bench` prints at the end (not a benchmark itself: build.py
skips files starting with an underscore). Each benchmark calls `add` for its headline figures."""

from __future__ import annotations

import json
import os


def add(area: str, case: str, measure: str, ours: float, baseline: float, baseline_name: str) -> None:
    path = os.environ.get("GPTEDIT_BENCH_SUMMARY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(
            json.dumps(
                {
                    "area": area,
                    "case": case,
                    "measure": measure,
                    "ours": ours,
                    "baseline": baseline,
                    "baseline_name": baseline_name,
                }
            )
            + "\n"
        )
