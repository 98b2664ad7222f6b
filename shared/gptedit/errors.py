"""Typed errors. Every message is written for the person using Krita, GIMP or the command line:
it says what went wrong and what to do, never a traceback."""

from __future__ import annotations


class GptEditError(Exception):
    """Base of every error the core raises on purpose."""

    #: short machine-readable kind, stored in the ledger and shown by `jobs`
    kind = "error"
    #: whether trying the same read-only request again later can help
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message


class BadInput(GptEditError):
    """The request cannot be sent as it is (empty prompt, unsupported size, …). Nothing was sent."""

    kind = "bad_input"


class Unsupported(BadInput):
    """The chosen provider or model cannot do what was asked (mask, n, transparent background, …)."""

    kind = "unsupported"


class ModelRetired(Unsupported):
    """The model was shut down by its provider. Refused before anything is sent, naming the replacement."""

    kind = "retired"

    def __init__(self, message: str, *, model: str = "", replacement: str = "", **kw):
        super().__init__(message, **kw)
        self.model = model
        self.replacement = replacement


class ConfigError(GptEditError):
    """Missing key, malformed base URL, unreadable config file."""

    kind = "config"


class AuthError(GptEditError):
    kind = "auth"


class PaymentRequired(GptEditError):
    """Out of credit or quota; retrying will not help until the account is topped up."""

    kind = "payment"


class RateLimited(GptEditError):
    kind = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ModerationBlocked(GptEditError):
    kind = "moderation"


class ProviderError(GptEditError):
    """The provider answered with a failure of the job itself (model error, invalid output, …)."""

    kind = "provider"


class ServerError(GptEditError):
    """5xx or a gateway error; worth retrying for read-only requests."""

    kind = "server"
    retryable = True


class NetworkError(GptEditError):
    """Could not reach the host, or the connection broke."""

    kind = "network"
    retryable = True


class RequestTimeout(GptEditError):
    kind = "timeout"
    retryable = True


class BadResponse(GptEditError):
    """The server answered with something we cannot use (malformed JSON, truncated image, …)."""

    kind = "bad_response"
    retryable = True


class OutputExpired(GptEditError):
    """The result's download link no longer works (providers delete outputs after a while)."""

    kind = "output_expired"


class Cancelled(GptEditError):
    kind = "cancelled"


class SubmissionUnknown(GptEditError):
    """The create request may or may not have reached the provider. It is never re-sent on its own,
    because that could pay twice; the user decides."""

    kind = "submission_unknown"


class DeadlineExceeded(GptEditError):
    kind = "deadline"
