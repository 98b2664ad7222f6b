"""The one interface every provider module implements.

A provider maps an `EditRequest` to HTTP and the provider's answers to `PollResult`s. It holds no job
state of its own: everything needed to continue a job lives in the `RemoteHandle`, which the ledger
stores, so another process can resume polling after a crash."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import EditRequest, OutputRef, PollResult, RemoteHandle, Submission

#: called by `submit` while it runs: ("upload", 0.0..1.0) or ("partial", (index, image bytes))
SubmitListener = Callable[[str, object], None]


@dataclass(frozen=True)
class CreatedQuery:
    """What we know for sure about a job whose create may have reached the provider without our hearing
    the answer: enough to recognise it among the account's recent jobs, never enough to guess."""

    model: str
    #: the request as the ledger stores it (`EditRequest.describe()`: prompt, settings, image sizes)
    request: dict
    #: wall-clock seconds: the create left this machine no earlier than `sent_after` and reached the
    #: provider no later than `sent_before` (both already widened for clock differences)
    sent_after: float
    sent_before: float
    #: the client tag sent with the create, for providers that accept one ("" when none was sent)
    tag: str = ""


@dataclass
class Candidate:
    """One job at the provider that fits a `CreatedQuery`: how to follow it, and what the provider says."""

    handle: RemoteHandle
    #: wall-clock seconds when the provider created (or received) it; None when it does not say
    created_at: float | None
    #: the provider's status word, for the user
    status: str = ""
    #: the provider's own record of the job (model, input …), as listed
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    base_url: str
    api_key: str
    #: seconds to wait for a connection / a byte of an answer
    connect_timeout: float = 15.0
    read_timeout: float = 120.0


class Provider(ABC):
    #: "eachlabs" | "openai" | "replicate" | "fal"
    name: str = ""
    #: can the API cancel a job remotely?
    can_cancel: bool = False
    #: does the API stream partial images?
    can_stream: bool = False
    #: does `poll(wait>0)` hold the request open until the job changes (fal's status stream)?
    can_hold_poll: bool = False
    #: can `find_created` look through the account's recent jobs (free requests only)?
    can_find_created: bool = False
    #: does the create carry `EditRequest.client_tag` where the provider can show it back?
    sends_client_tag: bool = False
    #: said when `find_created` found nothing but a later look might (how the listing lags), else ""
    lookup_later: str = ""

    def __init__(self, config: ProviderConfig):
        self.config = config

    @abstractmethod
    def check(self, request: EditRequest) -> None:
        """Raise `BadInput`/`Unsupported` for anything this provider or model cannot do. Sends nothing."""

    @abstractmethod
    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        """Upload what is needed and create the remote job. Only the create request itself is
        non-idempotent: if it fails in a way that leaves unknown whether it arrived, raise
        `SubmissionUnknown`. Synchronous APIs return the finished result in `Submission.result`."""

    @abstractmethod
    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        """Look at the job once. `wait` > 0 lets providers that can hold the request (Replicate's
        `Prefer: wait`, fal's status stream) return as soon as the job changes, up to that many seconds."""

    def cancel(self, handle: RemoteHandle) -> None:
        """Ask the provider to stop the job (best effort). Providers without remote cancel do nothing."""
        return None

    def find_created(self, query: CreatedQuery) -> list[Candidate]:
        """Jobs at the provider that could be the one `query` describes, found with free requests only
        (listing, looking up). Every candidate passes `could_be`. Providers whose API offers no way to
        list or look up the account's jobs keep `can_find_created = False` and return nothing."""
        return []

    def could_be(self, query: CreatedQuery, candidate: Candidate) -> bool:
        """Whether `candidate` agrees with everything `query` knows for sure. Pure: no requests."""
        return False

    @abstractmethod
    def fetch(self, ref: OutputRef) -> bytes:
        """The bytes of one output, checked to be a whole image. Downloads never carry the API key."""
