"""Plain data shared by every part of the core: requests, sizes, job states, provider answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from .errors import BadInput


class Quality(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    #: the two tiers above high, GPT Image 2.5 and 2.6 only (the catalog says which model has which)
    XHIGH = "xhigh"
    MAX = "max"
    AUTO = "auto"


class Complexity(str, Enum):
    """How much GPT Image 2.6 plans the picture before it renders it; the API's default is high."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class OutputFormat(str, Enum):
    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"

    @property
    def mime(self) -> str:
        return "image/" + self.value

    @property
    def extension(self) -> str:
        return "jpg" if self is OutputFormat.JPEG else self.value


class Background(str, Enum):
    AUTO = "auto"
    OPAQUE = "opaque"
    TRANSPARENT = "transparent"


class JobState(str, Enum):
    """queued → submitting → submitted → running → fetched → inserted, or failed / cancelled / unknown.

    `submitting` is written *before* the create request leaves: a job found in that state after a crash
    may or may not exist at the provider, so it becomes `unknown` and is never re-sent on its own."""

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    FETCHED = "fetched"
    INSERTED = "inserted"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in (JobState.INSERTED, JobState.FAILED, JobState.CANCELLED, JobState.UNKNOWN)

    @property
    def resumable(self) -> bool:
        """The provider knows the job and it can be polled again."""
        return self in (JobState.SUBMITTED, JobState.RUNNING)


_SIZE_RE = re.compile(r"^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$")


@dataclass(frozen=True)
class Size:
    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Size | None:
        """'1024x1536' → Size; 'auto' or '' → None (the provider picks)."""
        if text is None or text.strip().lower() in ("", "auto"):
            return None
        m = _SIZE_RE.match(text)
        if not m:
            raise BadInput(f"Size {text!r} is not WIDTHxHEIGHT (for example 1024x1536) or 'auto'.")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def pixels(self) -> int:
        return self.width * self.height


def size_text(size: Size | None) -> str:
    return "auto" if size is None else str(size)


@dataclass
class ImageInput:
    """One encoded image (PNG, JPEG or WebP bytes) with its pixel size."""

    data: bytes
    mime: str = "image/png"
    width: int = 0
    height: int = 0
    name: str = "image.png"


@dataclass
class EditRequest:
    """What one edit asks for. The first image is edited; the others are references.

    `mask` follows OpenAI's convention: a PNG the size of the first image whose fully transparent pixels
    mark where the model may change the picture. `markup` is a PNG overlay the size of the first image,
    transparent where nothing is drawn, whose strokes (arrows, circles, notes) show where and what to
    change. `complexity` None means the model's own default (and is never sent)."""

    prompt: str
    images: list[ImageInput]
    model: str
    mask: ImageInput | None = None
    quality: Quality = Quality.AUTO
    size: Size | None = None
    n: int = 1
    output_format: OutputFormat = OutputFormat.PNG
    background: Background = Background.AUTO
    #: our name for this job, sent with the create where the provider accepts a client-chosen tag or
    #: metadata, so that a job whose create answer was lost can be found exactly (see `reconcile.py`)
    client_tag: str = ""
    complexity: Complexity | None = None
    markup: ImageInput | None = None

    def describe(self) -> dict:
        """The request without image bytes, as stored in the ledger."""
        return {
            "prompt": self.prompt,
            "model": self.model,
            "quality": self.quality.value,
            "size": size_text(self.size),
            "n": self.n,
            "output_format": self.output_format.value,
            "background": self.background.value,
            "images": [{"mime": i.mime, "width": i.width, "height": i.height} for i in self.images],
            "mask": self.mask is not None,
            "complexity": self.complexity.value if self.complexity is not None else None,
            "markup": self.markup is not None,
        }


@dataclass
class OutputRef:
    """Where one result image is: a URL to download (without the API key) or bytes already here."""

    url: str | None = None
    data: bytes | None = None
    mime: str | None = None


@dataclass
class RemoteHandle:
    """Everything needed to poll or cancel a job later, even from another process. Stored in the ledger."""

    provider: str
    remote_id: str
    urls: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"provider": self.provider, "remote_id": self.remote_id, "urls": dict(self.urls)}

    @classmethod
    def from_json(cls, d: dict) -> RemoteHandle:
        return cls(provider=d["provider"], remote_id=d["remote_id"], urls=dict(d.get("urls") or {}))


class RemoteStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (RemoteStatus.SUCCEEDED, RemoteStatus.FAILED, RemoteStatus.CANCELLED)


@dataclass
class Usage:
    """Token counts as reported by the provider (OpenAI-style usage object)."""

    input_text_tokens: int = 0
    input_image_tokens: int = 0
    #: all output tokens, image and text
    output_tokens: int = 0
    #: the part of `output_tokens` that is text (`output_tokens_details.text_tokens`), priced at the text rate
    output_text_tokens: int = 0

    def to_json(self) -> dict:
        return {
            "input_text_tokens": self.input_text_tokens,
            "input_image_tokens": self.input_image_tokens,
            "output_tokens": self.output_tokens,
            "output_text_tokens": self.output_text_tokens,
        }


@dataclass
class PollResult:
    """One look at a remote job."""

    status: RemoteStatus
    outputs: list[OutputRef] = field(default_factory=list)
    error: Exception | None = None
    #: provider words, for the user and the ledger ("processing", "IN_QUEUE", …)
    detail: str = ""
    queue_position: int | None = None
    cost_usd: float | None = None
    usage: Usage | None = None
    #: the server asked us to wait this long before asking again
    retry_after: float | None = None


@dataclass
class Submission:
    """What `Provider.submit` returns: the handle, and for synchronous APIs (OpenAI) the finished result."""

    handle: RemoteHandle
    result: PollResult | None = None


class EventKind(str, Enum):
    STATE = "state"  # the job moved to another JobState
    PROGRESS = "progress"  # still waiting; message and elapsed time updated
    PARTIAL = "partial"  # a streaming provider sent a partial image
    UPLOAD = "upload"  # upload progress (0..1)
    LOG = "log"


@dataclass
class JobEvent:
    kind: EventKind
    job_id: str
    state: JobState
    message: str = ""
    elapsed: float = 0.0
    progress: float | None = None
    partial: bytes | None = None
    partial_index: int | None = None


@dataclass(frozen=True)
class CostEstimate:
    """Money in US dollars. `low == high` when the price is known exactly before the run."""

    low: float
    high: float
    basis: str = ""

    def text(self) -> str:
        if self.high <= 0:
            return "unknown"
        if abs(self.high - self.low) < 0.0005:
            return f"${self.low:.3f}"
        return f"${self.low:.3f}–${self.high:.3f}"
