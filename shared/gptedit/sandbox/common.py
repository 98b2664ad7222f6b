"""What the four provider imitations share: counting, fault handling around a create, input fetching
and job construction. Each provider module supplies its paths, words and error shapes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .drift import choose_drift
from .edits import EditSpec, ImageInfo, ImageProblem, inspect
from .faults import Fault, delay_of, replacement
from .state import Context, Job
from .wire import BadRequestBody, Request, Response, parse_data_url


class InputProblem(ValueError):
    """A request the real service would refuse; `field` names the offending input for the error body."""

    def __init__(self, message: str, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class InlineTooLarge(InputProblem):
    """A data: URL bigger than the provider takes inline: its front end refuses the body with 413."""


class ProviderApi:
    name = ""
    #: generic phase → this provider's status word
    words: dict[str, str] = {}

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- to implement ------------------------------------------------------------------------------

    def handle(self, req: Request, path: str) -> Response:
        raise NotImplementedError

    def error(self, status: int, fault: Fault | None = None, message: str | None = None) -> Response:
        """An HTTP error in this provider's shape (used for injected faults too)."""
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        return self.ctx.config

    def count(self, op: str) -> None:
        self.ctx.stats.count(self.name, op)

    def take_fault(self, *ops: str) -> Fault | None:
        return self.ctx.faults.take(self.name, ops)

    def early_fault(self, fault: Fault | None) -> Response | None:
        """The answer of a fault that strikes before the request is even looked at (a rate limit, a
        gateway error, a dropped connection): it wins over validation, as on the real services."""
        if fault is None or fault.after_create:
            return None
        return replacement(fault, self.error)

    def around(self, req: Request, fault: Fault | None, answer: Callable[[], Response]) -> Response:
        """Apply a fault to a request that does not create anything (poll, cancel, result …)."""
        early = replacement(fault, self.error)
        if early is not None:
            return early
        resp = answer()
        resp.delay = max(resp.delay, delay_of(fault, self.config["slow_seconds"]))
        return resp

    def around_create(
        self,
        req: Request,
        fault: Fault | None,
        make_job: Callable[[], Job],
        answer: Callable[[Job], Response],
    ) -> Response:
        """Apply a fault to a create. Without `after_create` the fault strikes before the job exists;
        with it the job is created and then the answer is lost, delayed or replaced — the ambiguous case
        a client must never resolve by sending the create again."""
        after = fault is not None and fault.after_create
        if not after:
            early = replacement(fault, self.error)
            if early is not None:
                return early
        delay = delay_of(fault, self.config["slow_seconds"])
        if delay and not after:
            self.ctx.stopping.wait(delay)
            if req.client_gone():  # the client gave up: a real gateway would not forward the request
                return Response(abort=True)
        job = make_job()
        self.ctx.jobs.add(job)
        if after:
            late = replacement(fault, self.error)
            if late is not None:
                return late
        resp = answer(job)
        if after:
            resp.delay = delay
        return resp

    def new_job(
        self,
        job_id: str,
        model: str,
        spec: EditSpec,
        images: list[bytes],
        mask: bytes | None,
        record: dict[str, Any],
        fault: Fault | None = None,
        on_success: Callable[[Job], None] | None = None,
    ) -> Job:
        cfg = self.config
        spec.drift = choose_drift(spec.prompt, cfg["drift"])
        if cfg["answer_size"] == "input" and images:
            spec.size = None  # answer at the first input's size, whatever was asked
        outcome = cfg["outcome"]
        if fault is not None and fault.kind == "moderation":
            outcome = "moderation"
        return Job(
            id=job_id,
            provider=self.name,
            model=model,
            spec=spec,
            images=images,
            mask=mask,
            record=record,
            latency=cfg["latency"],
            walk=dict(cfg["walk"]),
            outcome=outcome,
            cancel_wins=cfg["cancel_wins"],
            on_success=on_success,
            held=lambda: self.config["hold"],
        )

    def load_image(self, url: Any, field: str, allow_data: bool = True) -> bytes:
        """Bytes of an image given as a data: URL or one of the sandbox's own CDN URLs."""
        if not isinstance(url, str) or not url:
            raise InputProblem(f"{field} must be a URL string", field)
        if url.startswith("data:"):
            if not allow_data:
                raise InputProblem(
                    f"{field}: data URIs are not accepted; upload the file and pass its public URL",
                    field,
                    "data_uri_rejected",
                )
            try:
                data = parse_data_url(url)[1]
            except BadRequestBody as exc:
                raise InputProblem(f"{field}: {exc}", field) from exc
            limit = self.config["inline_limit"]
            if limit is not None and len(data) > limit:
                raise InlineTooLarge(
                    f"{field}: a {len(data):,}-byte file inline is more than the "
                    f"{limit:,} bytes taken as a data: URL; upload it and pass its URL",
                    field,
                    "request_entity_too_large",
                )
            return data
        if not url.startswith(("http://", "https://")):
            raise InputProblem(f"{field} must be an http(s) URL", field)
        own = self.own_file(url)
        if own is not None:
            return own
        if not self.ctx.storage.is_own_cdn(url):
            raise InputProblem(
                f"{field}: could not download {url} (the sandbox only fetches its own storage URLs)",
                field,
                "file_download_error",
            )
        blob = self.ctx.storage.fetch(url)
        if blob is None:
            raise InputProblem(f"{field}: could not download {url} (HTTP 404)", field, "file_download_error")
        return blob.data

    def own_file(self, url: str) -> bytes | None:
        """Bytes of a file uploaded through this provider's own file API, given by its API URL
        (Replicate's `urls.get`); None for any other URL."""
        return None

    @staticmethod
    def check_image(data: bytes, field: str, formats: tuple[str, ...] = ("png", "jpeg", "webp")) -> ImageInfo:
        try:
            info = inspect(data)
        except ImageProblem as exc:
            raise InputProblem(f"{field}: {exc}", field, "invalid_image") from exc
        if info.format not in formats:
            raise InputProblem(
                f"{field}: unsupported image format {info.format}; use {', '.join(formats)}",
                field,
                "invalid_image_format",
            )
        return info

    @staticmethod
    def record(
        prompt: str,
        params: dict[str, Any],
        images: list[ImageInfo],
        mask: ImageInfo | None,
        auth: str,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "prompt": prompt,
            "params": params,
            "images": [i.describe() for i in images],
            "mask": mask is not None,
            "mask_image": mask.describe() if mask else None,
            "auth": auth,
            "received_at": time.time(),
            **extra,
        }


def bearer(req: Request) -> str | None:
    value = req.header("Authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
