"""python-fu-gptedit: read → (worker) send and wait → re-check → insert, with a message for every failure.

Order matters: every GIMP call happens here on the main thread, before the worker starts (reading pixels)
or after it ended (inserting); the worker only encodes, talks HTTP and writes the ledger. The ledger row
exists before anything is sent, so a result survives a closed image or a killed plug-in: it can be
inserted later with python-fu-gptedit-recent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gi.repository import Gimp
from gptedit import recipe
from gptedit.engine import run_edit
from gptedit.errors import Cancelled, GptEditError
from gptedit.job_context import GIMP
from gptedit.ledger import Ledger, SentRegion
from gptedit.model_options import check_settings_choices
from gptedit.models import JobState
from gptedit.seam import later
from gptedit.settings import resolve

from . import messages, seam_apply
from .canvas_insert import NotInserted, how_to_insert, insert_results, insertion_target
from .canvas_read import Pixels, source_layer, take_snapshot
from .options import EditOptions, layer_name, read_edit_options
from .request_build import build_request
from .wait import NO_STEPS, Pending, WorkerWait


class GimpProgress:
    """GIMP's own progress bar (status bar of the image window; harmless in batch mode)."""

    def __init__(self, title: str):
        self._text = title
        Gimp.progress_init(title)

    def on_event(self, event) -> None:
        if event.message:
            self._text = event.message

    def on_tick(self, elapsed: float) -> None:
        Gimp.progress_set_text(f"GPT Image: {self._text} ({int(elapsed)} s)")
        Gimp.progress_pulse()

    def on_step(self, text: str) -> None:
        self._text = text
        Gimp.progress_set_text(f"GPT Image: {text}")

    def show_result(self, text: str, warning: str) -> None:
        Gimp.progress_set_text("GPT Image: " + text)

    def close(self) -> None:
        Gimp.progress_end()


def run(procedure, run_mode, image, drawables, config, run_data=None):
    try:
        interactive = run_mode == Gimp.RunMode.INTERACTIVE
        if interactive:
            from .dialog import ask_edit_options  # GTK only when a person is there to see it

            if not ask_edit_options(procedure, config, image, drawables):
                return messages.cancelled(procedure)
        opts = read_edit_options(config.get_property)
        return _run(procedure, image, drawables, opts, interactive)
    except Cancelled:
        return messages.cancelled(procedure)
    except Exception as exc:
        return messages.failure(procedure, exc)


def _run(procedure, image, drawables, opts: EditOptions, interactive: bool):
    recipe.clean_prompt(opts.prompt)  # refused before any pixel is read
    settings = resolve(opts.settings_flags())
    # a shut-down model, or an option the model lacks (a tier, complexity, markup): refused before reading
    check_settings_choices(
        settings.protocol,
        settings.model,
        quality=settings.quality,
        complexity=settings.complexity if settings.sources.get("complexity") == "flag" else None,
        markup=bool(opts.markup_id),
    )
    layer = source_layer(image, drawables)
    snapshot = take_snapshot(
        image, layer, settings, source=opts.source, reference_ids=opts.reference_ids, markup_id=opts.markup_id
    )
    name = layer_name(opts.prompt, settings.n)
    # The display the menu entry was used from (None in scripts); checked again before inserting.
    display = Gimp.default_display() if interactive else None

    views = [GimpProgress("GPT Image: preparing")]
    if interactive:
        from .progress_window import ProgressWindow

        views.append(ProgressWindow(settings, snapshot, opts.prompt))
    waiter = WorkerWait(
        on_event=lambda e: [v.on_event(e) for v in views],
        on_tick=lambda t: [v.on_tick(t) for v in views],
        on_step=lambda text: [v.on_step(text) for v in views],
    )
    for view in views:
        if hasattr(view, "connect_cancel"):
            view.connect_cancel(waiter.cancel)
    # the selection went to the model as a mask only if the model takes one (the recipe's rule)
    masked = snapshot.mask is not None and recipe.what_to_send(settings).mask
    seam_options = seam_apply.options_from(settings, masked=masked)
    masks = []

    def work(edit_job):
        request = build_request(snapshot, settings, opts.prompt)
        # the selection's forms the seam correction needs, made while the job waits (on its own thread,
        # started once the upload is encoded so that it does not delay the request)
        masks.append(Pending(seam_apply.prepare_masks, (snapshot, snapshot.plan.context, seam_options)))
        # Image and layer ids restart with every GIMP session: the recorded ids only mean something in the
        # GIMP process that started this plug-in (our parent).
        context = snapshot.job_context(session=str(os.getppid()), new_layer_name=name)
        selection = snapshot.mask if opts.add_mask else None
        # kept with the selection (before the create request): an answer inserted later from Recent results
        # is measured against it, like a fresh one
        px = snapshot.pixels
        return run_edit(
            settings,
            request,
            origin="gimp",
            context=context,
            listener=waiter.listener,
            cancel=edit_job.cancel_token,
            selection=selection,
            sent=SentRegion(px.width, px.height, px.rgba, "RGBA"),
        )

    try:
        job = waiter.run(work)
        if job.error is not None:
            raise job.error
        if job.record.state is JobState.FETCHED and display is not None and not display.is_valid():
            # The window the edit was started from was closed. GIMP keeps the image itself alive, valid and
            # listed while this procedure holds it as an argument (measured on 3.0 and 3.2), and libgimp
            # cannot tell which displays show an image, so the display is the only sign; its result stays in
            # the ledger.
            raise NotInserted(
                "The image window was closed while the edit was running. "
                + how_to_insert(job.record.id, job.record.results)
            )
        # inserted while the progress views are still up and ticking, so they can say what is being done
        # and then what the seam correction did
        with waiter.ticking():
            return finish(
                procedure,
                job.record,
                snapshot=snapshot,
                interactive=interactive,
                views=views,
                seam_options=seam_options,
                steps=waiter,
                masks=masks[0] if masks else None,
            )
    finally:
        for view in views:
            view.close()


def finish(
    procedure,
    record,
    image=None,
    above=None,
    snapshot=None,
    seam_options=None,
    interactive=False,
    views=(),
    steps=NO_STEPS,
    masks=None,
):
    """Insert a fetched job's results (re-checking its image and layer first) and build the return values.
    `image`/`above` override the recorded target (the recent-results procedure inserts into the image the
    user is looking at). Each answer is corrected for drift outside the selection first (seam_apply), against
    the `snapshot` that was sent (`masks`: its selection masks, made while waiting) or, inserted later, the
    region the job kept (`Ledger.load_sent`); what was done is reported and kept in the ledger. `steps`
    (wait.Steps) keeps the progress views told and ticking."""
    if record.state is JobState.CANCELLED:
        raise Cancelled(record.error or "Cancelled.")
    if record.state is not JobState.FETCHED and record.state is not JobState.INSERTED:
        text = record.error or f"The job ended as {record.state.value} without a result."
        if record.can_resume:
            # the core's hint names the command line; in GIMP the same job is resumed from the menu
            text += f" In GIMP: Filters ▸ AI ▸ Recent GPT Image results…, job {record.id[:8]}, Resume."
        raise GptEditError(text)
    # Where the answer goes: the recorded context box, whichever front end made the job (the ledger is
    # shared, so a Krita job can be inserted here too); None for jobs without one (the command line).
    ctx = record.context
    box = ctx.context_box
    if image is None:
        same_session = ctx.in_session(GIMP, str(os.getppid()))
        layer_id = int(ctx.layer_id) if ctx.layer_id.isdigit() else None
        image, above = insertion_target(
            ctx.document_id if same_session else None, layer_id, record.id, record.results
        )
    ledger = Ledger()
    mask = ledger.load_selection(record)
    name = ctx.new_layer_name or layer_name(record.prompt, len(record.results))
    corrections: list = []

    def measure(layers, at_box):
        if snapshot is not None and snapshot.plan.context == at_box:
            answers = seam_apply.read_answers(layers)  # GIMP calls: here, on the main thread
            options = seam_options or seam_apply.SeamOptions()

            def compare():
                corrections[:] = seam_apply.measure(answers, snapshot, at_box, options, masks)
                return corrections

            return steps.start(compare)  # pure Python, on a thread while the main loop turns
        if snapshot is None and at_box == box:
            corrections[:] = _measure_later(ledger, record, layers, at_box, mask)
            return corrections
        return None

    try:
        new_layer = insert_results(
            image, above, record.results, box, mask, name, measure=measure, steps=steps
        )
    except Exception as exc:  # the image is left as it was; the result is still in the ledger
        raise GptEditError(
            f"{messages.people_message(exc)} {how_to_insert(record.id, record.results)}"
        ) from exc
    note = f"Inserted {len(record.results)} result(s)."
    seam = None
    if corrections:
        seam = {"variations": [c.to_json() for c in corrections]}
        report = corrections[0].report
        note += " " + report.summary() + "."
        if interactive and report.warning:
            Gimp.message("GPT Image: " + report.warning + ".")  # stays in GIMP's messages after we end
        for view in views:
            if hasattr(view, "show_result"):
                view.show_result(report.summary() + ".", report.warning)
    ledger.update(
        record.id,
        state=JobState.INSERTED,
        seam=seam,
        message=f"Inserted into {image.get_name() or 'an image'} as {new_layer.get_name()!r}",
    )
    return messages.success(new_layer, record.id, note)


@dataclass
class _KeptSnapshot:
    """What seam_apply.measure reads of a snapshot, rebuilt from what the job kept in the ledger."""

    pixels: Pixels
    mask: bytes | None


def _measure_later(ledger, record, layers, box, mask) -> list:
    """Answers inserted after their job's run (Recent results: resumed after a crash, a closed image, a job
    from Krita or the command line), measured like fresh ones against the region the job kept. A job from
    before the region was kept goes in with the correction stored at its first insert, if it had one, else
    uncorrected, and its report says why. `mask`: the job's selection over `box` (None: nothing outside it
    to compare with, as with a fresh answer)."""
    options = seam_apply.options_from(resolve({}), masked=later.was_masked(record))
    sent = ledger.load_sent(record, "RGBA") if mask is not None else None
    if mask is not None and sent is None:
        sizes = [(layer.get_width(), layer.get_height()) for layer in layers]
        kept = later.stored(record, box.width, box.height, sizes, mask)
        return kept or [later.uncorrected(box.width, box.height, w, h, mask) for w, h in sizes]
    pixels = Pixels(sent.width, sent.height, sent.pixels) if sent is not None else Pixels(0, 0, b"")
    answers = seam_apply.read_answers(layers)
    return seam_apply.measure(answers, _KeptSnapshot(pixels, mask), box, options)
