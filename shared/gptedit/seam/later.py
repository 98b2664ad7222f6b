"""Answers inserted after their job's first run: resumed after a crash or a restart, inserted from Krita's
History or GIMP's Recent results, written by `jobs resume`.

The job kept the region it sent beside its selection (`Ledger.save_sent`), so such an answer is measured and
corrected against it exactly like a fresh one. A job made before the region was kept goes in uncorrected,
and the report says why."""

from __future__ import annotations

from dataclasses import dataclass

from ..geometry import Box
from ..ledger import JobRecord, Ledger, SentRegion
from .correct import Correction, SeamReport
from .feather import feather_mask

#: the report's note for a job with a selection whose sent region is not in the ledger
NOT_KEPT = (
    "The region this job sent was not kept (the job was made by an older version), so the answer is used "
    "without the drift correction"
)


@dataclass
class Kept:
    """What a later insert measures with: the sent region (None: not kept) and the selection over the
    job's box (None: the job had none)."""

    sent: SentRegion | None
    mask: bytes | None

    @property
    def measurable(self) -> bool:
        return self.sent is not None and self.mask is not None


def kept(ledger: Ledger, record: JobRecord, box: Box | None, layout: str) -> Kept:
    """The job's kept region (in `layout`) and its selection over `box` (default: its context box)."""
    mask = ledger.load_selection(record, box)
    sent = ledger.load_sent(record, layout) if mask is not None else None
    return Kept(sent, mask)


def was_masked(record: JobRecord) -> bool:
    """Whether the selection went to the model as its mask (SeamOptions.masked), from the stored request."""
    return bool(record.request.get("mask"))


def uncorrected(box_w: int, box_h: int, answer_w: int, answer_h: int, mask: bytes | None) -> Correction:
    """The answer as it came, with the selection as its mask, and a report that says why."""
    return Correction(box_w, box_h, answer_w, answer_h, mask=mask, report=SeamReport(note=NOT_KEPT))


def stored(
    record: JobRecord, box_w: int, box_h: int, sizes: list[tuple[int, int]], mask: bytes | None
) -> list[Correction] | None:
    """The corrections kept in the job's `seam` at its first insert, one per answer of `sizes` (width,
    height), with the selection feathered as it was then; None when none were kept. For a job whose region
    was not kept but which was inserted (and corrected) before."""
    variations = (record.seam or {}).get("variations") or []
    if not variations:
        return None
    out = []
    for i, (answer_w, answer_h) in enumerate(sizes):
        corr = Correction.from_json(
            variations[i] if i < len(variations) else None, box_w, box_h, answer_w, answer_h
        )
        width = corr.report.feather_px
        corr.mask = feather_mask(mask, box_w, box_h, width) if mask is not None and width > 1 else mask
        out.append(corr)
    return out
