// Typed errors of the Arbor client: one class per absl::StatusCode the controller
// sends (docs/CLIENT_PROTOCOL.md), all subclasses of ArborError with `.code`.

/** absl::StatusCode values (the gRPC codes), as carried in Envelope.status.code. */
export const StatusCode = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
});

const CODE_NAMES = Object.freeze(
  Object.fromEntries(Object.entries(StatusCode).map(([name, code]) => [code, name])),
);

/** The name of a status code ("NOT_FOUND"), or "CODE_<n>" for an unknown one. */
export function codeName(code) {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/**
 * A failed call. `code` is the absl::StatusCode; `codeName` its name; `local` is true
 * when this client made the verdict itself (local deadline, closed client, bad
 * argument caught before sending) rather than the controller's reply;
 * `correlationId` and `target` identify the call when known.
 */
export class ArborError extends Error {
  constructor(code, message, { correlationId = null, target = null, local = false } = {}) {
    super(message === undefined || message === '' ? codeName(code) : message);
    this.name = new.target.name;
    this.code = code;
    this.codeName = codeName(code);
    this.correlationId = correlationId;
    this.target = target;
    this.local = local;
  }
}

export class Cancelled extends ArborError {}
export class InvalidArgument extends ArborError {}
export class DeadlineExceeded extends ArborError {}
export class NotFound extends ArborError {}
export class AlreadyExists extends ArborError {}
export class ResourceExhausted extends ArborError {}
export class FailedPrecondition extends ArborError {}
export class Internal extends ArborError {}
export class Unavailable extends ArborError {}
/** The controller refused this client's CURVE key (not in its --client-keys). */
export class PermissionDenied extends ArborError {}
/**
 * The CURVE handshake failed: the server's key does not match (or the controller
 * does not use CURVE), or the controller requires CURVE and no keys were given.
 */
export class Unauthenticated extends ArborError {}

const CLASSES = new Map([
  [StatusCode.CANCELLED, Cancelled],
  [StatusCode.INVALID_ARGUMENT, InvalidArgument],
  [StatusCode.DEADLINE_EXCEEDED, DeadlineExceeded],
  [StatusCode.NOT_FOUND, NotFound],
  [StatusCode.ALREADY_EXISTS, AlreadyExists],
  [StatusCode.RESOURCE_EXHAUSTED, ResourceExhausted],
  [StatusCode.FAILED_PRECONDITION, FailedPrecondition],
  [StatusCode.INTERNAL, Internal],
  [StatusCode.UNAVAILABLE, Unavailable],
  [StatusCode.PERMISSION_DENIED, PermissionDenied],
  [StatusCode.UNAUTHENTICATED, Unauthenticated],
]);

/** The typed error for a non-OK status: a subclass when one exists, else ArborError. */
export function errorFromStatus(code, message, details = {}) {
  const Cls = CLASSES.get(code) ?? ArborError;
  return new Cls(code, message, details);
}
