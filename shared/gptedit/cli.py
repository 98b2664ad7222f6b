"""`python -m gptedit …`: edit one image, batch many, list/resume/cancel jobs, run the sandbox, set config.

Outside any host, so Pillow is allowed here (reading any input format, converting masks, writing outputs)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, recipe
from .cli_batch import cmd_batch
from .cli_common import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupts,
    flags,
    maybe_sandbox,
    settings_flags,
)
from .cli_images import load_input, load_markup, load_mask, write_outputs
from .cli_progress import Progress
from .cli_script import dry_run, emit, job_json, refused_json
from .engine import (
    mark_orphans,
    preflight,
    reconcile_jobs,
    resume_job,
    run_edit,
    sweep_orphans,
)
from .errors import BadInput, ConfigError, GptEditError
from .job_context import CLI, JobContext
from .jobs import CancelToken
from .ledger import Ledger
from .models import ImageInput, JobState
from .reconcile import Finding
from .seam.correct import SeamReport
from .settings import FIELD, PROVIDER_NAMES, public_view, resolve, set_config_value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gptedit", description="Edit images with GPT Image 2 Edit.")
    p.add_argument("--version", action="version", version=f"gptedit {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("edit", help="edit one image")
    e.add_argument("input", type=Path)
    e.add_argument("-p", "--prompt", required=True)
    e.add_argument("-o", "--output", type=Path, required=True)
    e.add_argument("--mask", type=Path, help="PNG: transparent (or white, for a grey mask) where to edit")
    e.add_argument("--ref", type=Path, nargs="+", default=[], help="reference images")
    e.add_argument(
        "--markup",
        type=Path,
        help="PNG the size of the input, transparent except arrows, circles or notes that show where "
        "and what to change (GPT Image 2.6)",
    )
    seam = e.add_argument_group(
        "seam",
        "with --mask the answer is lined up with the input, its colours matched "
        "and laid over the input through a soft-edged mask",
    )
    seam.add_argument(
        "--raw", action="store_true", help="write the model's answer as it came (no correction)"
    )
    # defaults come from the settings (seam_align, seam_colour, seam_blend, seam_sharpen, seam_feather);
    # flags win
    seam.add_argument(
        "--no-align", dest="seam_align", action="store_false", default=None, help="do not move the answer"
    )
    seam.add_argument(
        "--no-colour", dest="seam_colour", action="store_false", default=None, help="do not match colours"
    )
    seam.add_argument(
        "--no-blend", dest="seam_blend", action="store_false", default=None, help="hard-edged mask"
    )
    seam.add_argument(
        "--no-sharpen",
        dest="seam_sharpen",
        action="store_false",
        default=None,
        help="do not restore the sharpness the answer lost",
    )
    seam.add_argument(
        "--feather",
        dest="seam_feather",
        type=float,
        default=None,
        metavar="PERCENT",
        help="soft edge width in percent of the image's longer side (setting seam_feather, 2)",
    )
    script_flags(e)
    settings_flags(e)

    b = sub.add_parser("batch", help="edit many images with one prompt; re-run to resume")
    b.add_argument("inputs", type=Path, nargs="+")
    b.add_argument("-p", "--prompt", required=True)
    b.add_argument("-O", "--out-dir", type=Path, required=True)
    b.add_argument("-j", "--concurrency", type=int, default=3)
    b.add_argument("--ref", type=Path, nargs="+", default=[])
    b.add_argument(
        "--resend-unknown",
        action="store_true",
        help="also re-send inputs whose earlier job may or may not have arrived (may pay twice)",
    )
    script_flags(b)
    settings_flags(b)

    j = sub.add_parser("jobs", help="list, show, resume, reconcile, cancel or export jobs from the ledger")
    jsub = j.add_subparsers(dest="jobs_command", required=True)
    jl = jsub.add_parser("list")
    jl.add_argument("--limit", type=int, default=30)
    jl.add_argument("--state", choices=[s.value for s in JobState])
    js = jsub.add_parser("show")
    js.add_argument("id")
    jr = jsub.add_parser("resume", help="continue unfinished jobs (all orphans when no id is given)")
    jr.add_argument("id", nargs="?")
    jr.add_argument("--force", action="store_true", help="even if another live program seems to follow it")
    jk = jsub.add_parser(
        "reconcile",
        help="look for unknown jobs at their provider (free requests only) and "
        "pick up the one that matches exactly",
    )
    jk.add_argument("id", nargs="?")
    jc = jsub.add_parser("cancel")
    jc.add_argument("id")
    jx = jsub.add_parser("export", help="copy a job's results to files")
    jx.add_argument("id")
    jx.add_argument("-o", "--output", type=Path, required=True)

    m = sub.add_parser("models", help="current models, their options, prices and shutdown dates")
    m.add_argument("--provider", choices=PROVIDER_NAMES)
    m.add_argument(
        "--refresh",
        action="store_true",
        help="ask OpenAI which models your key can use (saved; the plugins then offer only those)",
    )
    s = sub.add_parser(
        "sandbox", help="run the local sandbox server that speaks all four providers' protocols"
    )
    s.add_argument("rest", nargs=argparse.REMAINDER)

    c = sub.add_parser("config", help="show or change settings (the file shared with Krita and GIMP)")
    csub = c.add_subparsers(dest="config_command", required=True)
    cs = csub.add_parser("show")
    cs.add_argument("--provider", choices=PROVIDER_NAMES)
    cset = csub.add_parser("set", help="set KEY VALUE; api_key reads the value from stdin when omitted")
    cset.add_argument("key")
    cset.add_argument("value", nargs="?")
    cset.add_argument("--provider", choices=PROVIDER_NAMES)
    cunset = csub.add_parser("unset")
    cunset.add_argument("key")
    cunset.add_argument("--provider", choices=PROVIDER_NAMES)
    ct = csub.add_parser("test", help="check the key and base URL with free requests and say what works")
    ct.add_argument("--provider", choices=PROVIDER_NAMES)
    ct.add_argument("--base-url", dest="base_url", help="check this base URL instead of the configured one")
    ct.add_argument("--sandbox", action="store_true", help="check against a private sandbox server")
    ct.add_argument("--json", action="store_true", help="one JSON object with every finding on stdout")
    return p


def script_flags(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("for scripts")
    g.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per job on stdout: id, state, outputs, estimate, cost, error",
    )
    g.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="show the plan, the request and the estimate; send nothing",
    )


def cmd_edit(args) -> int:
    if not args.json:
        return _edit(args)
    try:
        return _edit(args)
    except GptEditError as exc:  # refused before a job existed: scripts still get their one object
        emit(refused_json(exc, input_path=str(args.input)))
        raise


def _edit(args) -> int:
    image = load_input(args.input)
    refs = [load_input(r) for r in args.ref]
    mask = load_mask(args.mask, image) if args.mask else None
    markup = load_markup(args.markup, image) if args.markup else None
    with maybe_sandbox(args, flags(args)) as settings:
        request = recipe.build_request(settings, args.prompt, [image, *refs], mask=mask, markup=markup)
        if args.dry_run:
            emit(dry_run(settings, request, input_path=str(args.input)), pretty=not args.json)
            return EXIT_OK
        provider = preflight(settings, request)
        progress = Progress(quiet=args.quiet)
        est = recipe.quote_request(settings, request)
        extras = "".join(
            f" · {x}"
            for x in (
                f"complexity {request.complexity.value}" if request.complexity else "",
                "markup" if request.markup is not None else "",
            )
            if x
        )
        progress.line(
            f"{settings.provider} · {settings.model} · {request.quality.value} · "
            f"{settings.size} · n={request.n}{extras} · estimated {est.text()}"
        )
        token = CancelToken()
        selection, sent = _kept_with_the_job(args.input, mask)
        with Interrupts(token):
            context = JobContext(host=CLI, input=str(args.input.resolve()), output=str(args.output))
            job = run_edit(
                settings,
                request,
                origin="cli",
                listener=progress,
                cancel=token,
                provider=provider,
                context=context,
                selection=selection,
                sent=sent,
            )
        progress.finish()
        if job.state is JobState.FETCHED and not args.raw:
            return _report_corrected(job, args, settings, mask, progress)
        return _report(job, args.output, progress, as_json=args.json)


def _kept_with_the_job(input_path: Path, mask: ImageInput | None):
    """With a mask: the selection (1 byte per pixel of the input) and the input's pixels, which the ledger
    keeps with the job so that `jobs resume` corrects its answer like this run would. None, None without."""
    if mask is None:
        return None, None
    from .cli_images import _open
    from .cli_seam import selection_of
    from .ledger import SentRegion

    picture = _open(input_path).convert("RGB")
    sent = SentRegion(picture.width, picture.height, picture.tobytes(), "RGB")
    return selection_of(mask.data).tobytes(), sent


def _seam_options(settings, masked: bool, args=None):
    """The seam steps from the settings; this run's flags win."""
    from .seam.correct import SeamOptions

    def pick(name: str):
        given = getattr(args, name, None)
        return getattr(settings, name) if given is None else given

    return SeamOptions(
        align=pick("seam_align"),
        colour=pick("seam_colour"),
        blend=pick("seam_blend"),
        sharpen=pick("seam_sharpen"),
        feather_percent=pick("seam_feather"),
        masked=masked,
    )


def _report_corrected(job, args, settings, mask: ImageInput | None, progress: Progress) -> int:
    """Write each answer corrected for drift and laid over the input (see cli_seam); report what was done."""
    from .cli_seam import selection_of, write_corrected

    # the mask went to the model only if it takes one (the recipe's rule, as in Krita and GIMP)
    options = _seam_options(settings, bool(job.request.get("mask")), args)
    selection = selection_of(mask.data) if mask is not None else None
    written, corrections = write_corrected(job.result_paths, args.input, selection, args.output, options)
    Ledger().update(job.id, seam={"variations": [c.to_json() for c in corrections]})
    return _said(job, written, corrections, progress, as_json=args.json)


def _said(job, written: list[Path], corrections: list, progress: Progress, *, as_json: bool = False) -> int:
    for path, corr in zip(written, corrections, strict=True):
        progress.line(f"wrote {path}")
        progress.line(corr.report.summary())
        if corr.report.warning:
            print(f"gptedit: warning: {corr.report.warning}", file=sys.stderr)
    cost = f"${job.cost:.3f}" if job.cost is not None else "unknown"
    progress.line(f"job {job.id[:8]} done · cost {cost}")
    if as_json:
        emit(job_json(job, outputs=[str(p) for p in written]))
    return EXIT_OK


def _report_resumed(ledger: Ledger, job, output: Path, progress: Progress) -> int:
    """A resumed job's answers written like a fresh edit's: corrected for drift against the input the job
    kept (`Ledger.load_sent`) and laid over it through its selection. A job from before the input was kept
    is written as it came, and the report says why."""
    from PIL import Image

    from .cli_seam import write_corrected
    from .geometry import Box
    from .seam import later

    first = (job.request.get("images") or [{}])[0]
    box = Box(0, 0, int(first.get("width") or 0), int(first.get("height") or 0))
    kept = later.kept(ledger, job, None if box.empty else box, "RGB")
    if not later.was_masked(job) and kept.mask is None:
        return _report(job, output, progress)  # no selection: the answers as they came, as before
    if not kept.measurable:
        written = write_outputs(job.result_paths, output)
        corrections = [later.uncorrected(box.width, box.height, 0, 0, kept.mask) for _ in written]
    else:
        sent = kept.sent
        original = Image.frombytes("RGB", (sent.width, sent.height), sent.pixels)
        over = box if not box.empty else job.context.context_box  # the box the selection was read over
        if len(kept.mask) != sent.width * sent.height and over is not None:  # Krita keeps large regions
            original = original.resize((over.width, over.height), Image.Resampling.LANCZOS)  # scaled down
        selection = Image.frombytes("L", original.size, kept.mask)
        options = _seam_options(resolve({}), later.was_masked(job))
        written, corrections = write_corrected(job.result_paths, original, selection, output, options)
    ledger.update(job.id, seam={"variations": [c.to_json() for c in corrections]})
    return _said(job, written, corrections, progress)


def _report(job, output: Path, progress: Progress, *, as_json: bool = False) -> int:
    if job.state is JobState.FETCHED:
        written = write_outputs(job.result_paths, output)
        cost = f"${job.cost:.3f}" if job.cost is not None else "unknown"
        for path in written:
            progress.line(f"wrote {path}")
        progress.line(f"job {job.id[:8]} done · cost {cost}")
        if as_json:
            emit(job_json(job, outputs=[str(p) for p in written]))
        return EXIT_OK
    if as_json:
        emit(job_json(job, outputs=[]))
    if job.state is JobState.CANCELLED:
        print(f"gptedit: cancelled: {job.error or 'cancelled'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(
        f"gptedit: {job.state.value}: {job.error or 'the job did not finish'} (job {job.id[:8]})",
        file=sys.stderr,
    )
    return EXIT_FAILED


def cmd_jobs(args) -> int:
    ledger = Ledger()
    sub = args.jobs_command
    if sub == "list":
        states = (JobState(args.state),) if args.state else ()
        for job in ledger.list(limit=args.limit, states=states):
            cost = f"${job.cost:.3f}" if job.cost is not None else "-"
            print(f"{job.id[:8]}  {job.state.value:<10} {job.provider:<16} {cost:>7}  {job.prompt[:50]!r}")
        return EXIT_OK
    if sub == "show":
        job = ledger.get(args.id)
        for key in (
            "id",
            "state",
            "origin",
            "provider",
            "model",
            "base_url",
            "prompt",
            "remote_status",
            "error",
            "cost",
            "estimate_low",
            "estimate_high",
            "results",
        ):
            print(f"{key:>14}: {getattr(job, key)}")
        for i, seam in enumerate((job.seam or {}).get("variations") or []):
            # what the seam correction did, in words (the tables and warp stay in the ledger)
            print(
                f"{'seam':>14}: {'#' + str(i + 1) + ' ' if i else ''}{SeamReport.from_json(seam).summary()}"
            )
        print(f"{'context':>14}: {job.context.to_json()}")
        if job.handle:
            print(f"{'remote id':>14}: {job.handle.remote_id}")
        for at, state, msg in ledger.events(job.id):
            print(f"{'':>14}  {at:.1f} {state:<10} {msg}")
        return EXIT_OK
    if sub == "reconcile":
        # orphans of a crash first become unknown, so that they are looked up too
        mark_orphans(ledger)
        outcomes = reconcile_jobs(ledger, args.id, every=True)
        if not outcomes:
            print("no unknown jobs to look up")
        for outcome in outcomes:
            print(f"job {outcome.job.id[:8]}: {outcome.finding.value}: {outcome.message}")
        if any(o.finding is Finding.FOUND for o in outcomes):
            print("`python -m gptedit jobs resume` fetches what was found.")
        return EXIT_OK
    if sub == "resume":
        progress = Progress(quiet=args.quiet)
        if args.id:
            job = ledger.get(args.id)
            if job.state is JobState.UNKNOWN:
                for outcome in reconcile_jobs(ledger, job.id):
                    progress.line(f"job {job.id[:8]}: {outcome.message}")
            ids = [job.id]
        else:
            looked: dict[str, str] = {}
            resumable, unknown = sweep_orphans(
                ledger, on_lookup=lambda o: looked.__setitem__(o.job.id, o.message)
            )
            for job_id, message in looked.items():
                progress.line(f"job {job_id[:8]}: {message}")
            for job in unknown:
                if job.id not in looked:
                    progress.line(f"job {job.id[:8]}: {job.error}")
            ids = [j.id for j in resumable]
            if not ids:
                progress.line("nothing to resume")
        code = EXIT_OK
        for job_id in ids:
            token = CancelToken()
            with Interrupts(token):
                job = resume_job(job_id, ledger=ledger, listener=progress, cancel=token, force=args.force)
            progress.finish()
            out = job.context.output
            if job.state is JobState.FETCHED and out:
                code = max(code, _report_resumed(ledger, job, Path(out), progress))
            elif job.state is JobState.FETCHED:
                progress.line(f"job {job.id[:8]} done: {', '.join(job.results)}")
            else:
                code = max(code, _report(job, Path(out or "."), progress))
        return code
    if sub == "cancel":
        job = ledger.get(args.id)
        if job.state.terminal or job.state is JobState.FETCHED:
            print(f"job {job.id[:8]} is already {job.state.value}")
            return EXIT_OK
        from .engine import provider_for, settings_for_job

        if job.handle is not None:
            provider = provider_for(settings_for_job(job))
            if provider.can_cancel:
                provider.cancel(job.handle)
        msg = "Cancelled from the command line."
        ledger.update(job.id, state=JobState.CANCELLED, message=msg, error_kind="cancelled", error=msg)
        print(f"job {job.id[:8]} cancelled")
        return EXIT_OK
    if sub == "export":
        job = ledger.get(args.id)
        if not job.results:
            raise GptEditError(f"Job {job.id[:8]} has no saved result ({job.state.value}).")
        for path in write_outputs(job.result_paths, args.output):
            print(f"wrote {path}")
        return EXIT_OK
    return EXIT_USAGE


def cmd_config(args) -> int:
    if args.config_command == "test":
        return cmd_config_test(args)
    if args.config_command == "show":
        s = resolve({"provider": args.provider})
        for key, value in public_view(s).items():
            print(f"{key:>14}: {value}  ({s.sources.get(key, 'default')})")
        return EXIT_OK
    value = None
    if args.config_command == "set":
        value = args.value
        if value is None and args.key in FIELD and FIELD[args.key].secret:
            # Read keys from stdin so they never land in shell history or the process list.
            value = sys.stdin.readline().strip()
        if value is None:
            raise BadInput(f"config set {args.key} needs a value.")
    path = set_config_value(args.key, value, provider=args.provider)
    print(f"saved in {path}")
    return EXIT_OK


def cmd_config_test(args) -> int:
    """Free requests only; prints what works in words. Exit 0 when the key is accepted and nothing failed,
    3 when it is not (settings or key), never a traceback."""
    from .connection import check_connection

    wanted = {"provider": args.provider, "base_url": args.base_url}
    with maybe_sandbox(args, wanted) as settings:
        report = check_connection(settings)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.text())
    return EXIT_OK if report.ok else EXIT_CONFIG


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sandbox":
        from .sandbox.server import main as sandbox_main

        return sandbox_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.command == "edit":
            return cmd_edit(args)
        if args.command == "batch":
            return cmd_batch(args)
        if args.command == "jobs":
            return cmd_jobs(args)
        if args.command == "config":
            return cmd_config(args)
        if args.command == "models":
            from .cli_models import cmd_models

            return cmd_models(args)
    except ConfigError as exc:
        print(f"gptedit: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except BadInput as exc:
        print(f"gptedit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GptEditError as exc:
        print(f"gptedit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("gptedit: interrupted; unfinished jobs stay in the ledger (`jobs resume`).", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        print(f"gptedit: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
