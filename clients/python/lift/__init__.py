"""Python client for Lift (liftd's lift.v1 gRPC API).

    from lift import Client
    with Client("127.0.0.1:50051") as lift:
        result = lift.assign("user-123", ["checkout_button"])
        print(result["checkout_button"].variant)

`lift.client.Client` is a thin wrapper that returns plain dataclasses; the generated messages
and stubs are in `lift.v1` (run clients/python/generate.py first). Errors are raised as
`LiftError` subclasses carrying the gRPC status code and the server's message.
"""

try:
    from lift.v1 import system_pb2 as _probe
    del _probe
except ImportError as _error:  # pragma: no cover - depends on the checkout
    raise ImportError(
        "lift.v1 modules are not generated yet: run `/usr/bin/python3 clients/python/generate.py`"
    ) from _error

from lift.errors import (
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    FailedPreconditionError,
    InvalidArgumentError,
    LiftError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
)
from lift.client import (
    AssignBatchResult,
    AssignResult,
    Assignment,
    Client,
    Exposure,
    LogResult,
    MetricEvent,
    PingResult,
    RejectedRow,
)

__all__ = [
    "AbortedError", "AlreadyExistsError", "AssignBatchResult", "AssignResult", "Assignment",
    "Client", "DeadlineExceededError", "Exposure", "FailedPreconditionError",
    "InvalidArgumentError", "LiftError", "LogResult", "MetricEvent", "NotFoundError",
    "PermissionDeniedError", "PingResult", "RejectedRow", "ResourceExhaustedError",
    "UnauthenticatedError", "UnavailableError",
]
__version__ = "0.1.0"
