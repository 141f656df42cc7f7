"""Errors raised by lift.Client: one LiftError subclass per gRPC status code the API documents.

Every error carries `code` (a grpc.StatusCode), `code_name` (e.g. "NOT_FOUND") and `message`
(the server's text, which names the field and the rule, e.g. "variants[1].weight must be >= 0").
Catch LiftError for everything, or a subclass for one case:

    try:
        client.get_experiment("nope")
    except lift.NotFoundError as error:
        print(error.code_name, error.message)
"""

import grpc


class LiftError(Exception):
    """A failed Lift RPC. `code` is the grpc.StatusCode, `message` the server's explanation."""

    def __init__(self, code, message, method=""):
        self.code = code
        self.message = message
        self.method = method
        where = f" ({method})" if method else ""
        super().__init__(f"{self.code_name}{where}: {message}")

    @property
    def code_name(self):
        """The status code's name, e.g. "NOT_FOUND"."""
        return self.code.name if isinstance(self.code, grpc.StatusCode) else str(self.code)

    @property
    def retryable(self):
        """True for UNAVAILABLE and RESOURCE_EXHAUSTED: nothing was written, retry with back-off."""
        return self.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


class InvalidArgumentError(LiftError):
    """A request field breaks a rule (the message names it)."""


class NotFoundError(LiftError):
    """The experiment, metric, layer, holdout or override named does not exist."""


class AlreadyExistsError(LiftError):
    """Creating a key that is taken (keys are never reused)."""


class FailedPreconditionError(LiftError):
    """The entity is in the wrong state for the request (e.g. starting a stopped experiment)."""


class AbortedError(LiftError):
    """expected_version did not match: re-read and retry."""


class UnavailableError(LiftError):
    """liftd or its database cannot be reached; nothing was written; safe to retry."""


class ResourceExhaustedError(LiftError):
    """The ingest queue is full; nothing was written; retry with exponential back-off."""


class DeadlineExceededError(LiftError):
    """The call did not finish within the client's timeout."""


class UnauthenticatedError(LiftError):
    """No (valid) API key was sent."""


class PermissionDeniedError(LiftError):
    """The API key lacks the scope the RPC needs."""


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
}


def from_rpc_error(error, method=""):
    """Converts a grpc.RpcError into the matching LiftError subclass (LiftError for other codes)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    return _BY_CODE.get(code, LiftError)(code, message or "", method)
