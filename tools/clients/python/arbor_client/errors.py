"""Typed errors: one exception class per status code an Arbor reply can carry.

A reply's ``status.code`` is an ``absl::StatusCode`` as an int (the gRPC codes);
``error_for`` maps it to the matching subclass of :class:`ArborError`.
"""

from __future__ import annotations

import enum


class StatusCode(enum.IntEnum):
    """absl::StatusCode values (the gRPC codes)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class ArborError(Exception):
    """A call that did not succeed.

    ``code``: a :class:`StatusCode` (a plain int for a code this client does not
    know); ``message``: the controller's message (or the client's own, see
    ``local``); ``local``: True when the client produced the error itself (its
    own deadline passed, the client was closed, a value could not be encoded)
    rather than the controller.
    """

    CODE: int = StatusCode.UNKNOWN

    def __init__(self, message: str = "", code: int | None = None, *, local: bool = False):
        if code is None:
            code = self.CODE
        try:
            code = StatusCode(code)
        except ValueError:
            pass
        super().__init__(message)
        self.code = code
        self.message = message
        self.local = local

    def __str__(self) -> str:
        name = self.code.name if isinstance(self.code, StatusCode) else f"code {self.code}"
        return f"{name}: {self.message}" if self.message else name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={int(self.code)}, local={self.local})"


class Cancelled(ArborError):
    """The client was closed while the call was in flight."""

    CODE = StatusCode.CANCELLED


class InvalidArgument(ArborError):
    """A bad key or value, a frame that did not parse or validate, correlation id 0."""

    CODE = StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(ArborError):
    """No answer by the call's deadline (the controller's, or the client's own)."""

    CODE = StatusCode.DEADLINE_EXCEEDED


class NotFound(ArborError):
    """No such node (or parent, or watch)."""

    CODE = StatusCode.NOT_FOUND


class AlreadyExists(ArborError):
    """The id is in use (alive, frozen or being created)."""

    CODE = StatusCode.ALREADY_EXISTS


class ResourceExhausted(ArborError):
    """The client already has the controller's maximum number of calls in flight."""

    CODE = StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(ArborError):
    """Wrong protocol version, or a parent that is a descendant of the node."""

    CODE = StatusCode.FAILED_PRECONDITION


class Internal(ArborError):
    """The controller failed (spawning a worker failed), or a reply made no sense."""

    CODE = StatusCode.INTERNAL


class Unavailable(ArborError):
    """The node (or the parent) is dead or unreachable."""

    CODE = StatusCode.UNAVAILABLE


class PermissionDenied(ArborError):
    """The controller refused this client's CURVE key (it is not in its --client-keys)."""

    CODE = StatusCode.PERMISSION_DENIED


class Unauthenticated(ArborError):
    """The CURVE handshake failed: the server's key does not match, the controller
    does not use CURVE, or it requires CURVE and the client has no keys."""

    CODE = StatusCode.UNAUTHENTICATED


_BY_CODE = {
    cls.CODE: cls
    for cls in (
        Cancelled,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        ResourceExhausted,
        FailedPrecondition,
        Internal,
        Unavailable,
        PermissionDenied,
        Unauthenticated,
    )
}


def error_for(code: int, message: str = "", *, local: bool = False) -> ArborError:
    """The exception for a non-OK status: the subclass for ``code``, else ArborError."""
    cls = _BY_CODE.get(code, ArborError)
    return cls(message, code, local=local)
