// The Node.js client of Arbor's client endpoint (docs/CLIENT_PROTOCOL.md).
//
// One ZeroMQ DEALER per Client, connected to the controller's `--listen` endpoint;
// every message is one frame holding a serialized arbor.v1.Envelope. Requests get
// correlation ids 1, 2, 3, ... (per client, never reused); one receive loop matches
// replies to calls by id, in whatever order they come. The schema is read at run
// time from the same arbor.proto the C++ build uses.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';
import zmq from 'zeromq';

import {
  AlreadyExists,
  ArborError,
  Cancelled,
  DeadlineExceeded,
  FailedPrecondition,
  Internal,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  StatusCode,
  Unauthenticated,
  Unavailable,
  codeName,
  errorFromStatus,
} from './errors.js';
import { checkCurveKeys } from './keys.js';

export * from './errors.js';
export { curveKeysFromFiles, isZ85Key, publicFromSecret, readEndpointFile, readKeyFile } from './keys.js';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** <repo>/proto/arbor/v1/arbor.proto, found from this package's place in the repo. */
export const DEFAULT_PROTO = path.resolve(PACKAGE_DIR, '../../../proto/arbor/v1/arbor.proto');

/** The node id that means "the controller" (create's parent, requests' target). */
export const CONTROLLER = -1;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT32_MAX = 2 ** 32 - 1;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

const schemas = new Map();

/**
 * Loads (once per path) arbor.proto with protobufjs. The path is `protoPath`, else
 * $ARBOR_PROTO, else DEFAULT_PROTO. Field names are protobufjs' camelCase
 * (`correlationId`, `execRequest`, ...).
 */
export function loadSchema(protoPath = undefined) {
  const file = path.resolve(protoPath || process.env.ARBOR_PROTO || DEFAULT_PROTO);
  let schema = schemas.get(file);
  if (schema) return schema;
  const root = protobuf.loadSync(file);
  const Envelope = root.lookupType('arbor.v1.Envelope');
  const stateNames = enumNames(root.lookupEnum('arbor.v1.NodeState'), 'NODE_STATE_');
  const eventNames = enumNames(root.lookupEnum('arbor.v1.NodeEventKind'), 'NODE_EVENT_');
  // The version travels in the schema itself (enum Version), never only here.
  const version = root.lookupEnum('arbor.v1.Version').values.VERSION_CURRENT;
  schema = {
    file,
    root,
    version,
    Envelope,
    stateNames,
    eventNames,
    /** Plain object (camelCase fields; ids as number, bigint, string or Long) -> bytes. */
    encode(object) {
      return Envelope.encode(Envelope.fromObject(object)).finish();
    },
    /** Bytes -> Envelope message (64-bit fields are Long); throws on bad bytes. */
    decode(bytes) {
      return Envelope.decode(bytes);
    },
  };
  schemas.set(file, schema);
  return schema;
}

function enumNames(enumType, prefix) {
  const names = {};
  for (const [id, name] of Object.entries(enumType.valuesById)) {
    names[id] = name.startsWith(prefix) ? name.slice(prefix.length).toLowerCase() : name;
  }
  return Object.freeze(names);
}

/** Node states as topology() reports them. */
export const NodeState = Object.freeze({
  AVAILABLE: 'available',
  UNAVAILABLE: 'unavailable',
  DEAD: 'dead',
  CREATING: 'creating',
});

/** Event kinds as watch() reports them. */
export const EventKind = Object.freeze({
  UNAVAILABLE: 'unavailable',
  AVAILABLE: 'available',
  CREATED: 'created',
  REMOVED: 'removed',
  LOST: 'lost',
  ADOPTED: 'adopted',
});

/**
 * A 64-bit integer from the wire (Long, number or bigint) as a JS value: a number
 * when it is a safe integer (|v| <= 2^53 - 1), else a bigint; always a bigint when
 * `bigint` is true.
 */
export function int64(value, bigint = false) {
  if (value === null || value === undefined) return value;
  let b;
  if (typeof value === 'bigint') b = value;
  else if (typeof value === 'number') {
    if (!bigint) return value;
    b = BigInt(value);
  } else b = BigInt(value.toString()); // Long: toString is exact, signed or unsigned
  if (bigint) return b;
  return b >= SAFE_MIN && b <= SAFE_MAX ? Number(b) : b;
}

function isPlainOptions(x) {
  return x !== null && typeof x === 'object' && !(typeof x.toString === 'function' && x.low !== undefined);
}

function localError(Cls, code, message) {
  return new Cls(code, message, { local: true });
}

function checkId(name, id) {
  const ok =
    (typeof id === 'number' && Number.isSafeInteger(id)) ||
    (typeof id === 'bigint' && id >= INT64_MIN && id <= INT64_MAX);
  if (!ok) {
    throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, `${name} must be an integer, got ${String(id)}`);
  }
  return id;
}

function checkValue(value) {
  const ok =
    (typeof value === 'number' && Number.isSafeInteger(value)) ||
    (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX);
  if (!ok) {
    throw localError(
      InvalidArgument,
      StatusCode.INVALID_ARGUMENT,
      `value must be a safe integer number or a signed 64-bit bigint, got ${String(value)}`,
    );
  }
  return value;
}

function checkUint32(name, v) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > UINT32_MAX) {
    throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, `${name} must be an integer in 0..2^32-1, got ${String(v)}`);
  }
  return v;
}

/**
 * A subscription to node events (see Client.watch). `id` is the watch's correlation
 * id; close() sends unwatch_request{watch_id: id} and resolves once the controller
 * confirmed (no event of the watch is delivered after close() was called).
 */
export class Watch {
  constructor(client, id, onEvent, onError) {
    this.id = id;
    this._client = client;
    this._onEvent = onEvent;
    this._onError = onError;
    this._closed = false;
    this._closing = null;
  }

  get closed() {
    return this._closed;
  }

  _deliver(event) {
    if (this._closed) return;
    try {
      this._onEvent(event);
    } catch (err) {
      // A throwing callback must not stop the receive loop: onError gets it, else
      // it is rethrown on its own tick (an uncaught exception, as from an emitter).
      if (this._onError) this._onError(err, event);
      else
        process.nextTick(() => {
          throw err;
        });
    }
  }

  /** Sends unwatch; resolves when the controller answered OK. Idempotent. */
  close(options = {}) {
    if (this._closing) return this._closing;
    this._closed = true;
    const client = this._client;
    if (client._closed) {
      client._watches.delete(this.id);
      this._closing = Promise.resolve();
      return this._closing;
    }
    this._closing = client
      .request('unwatchRequest', { watchId: this.id }, { ...options, expect: null })
      .then(
        () => {
          client._watches.delete(this.id);
        },
        (err) => {
          client._watches.delete(this.id);
          if (!(err instanceof Cancelled)) throw err;
        },
      );
    return this._closing;
  }
}

/**
 * A connection to one controller. Create with `await Client.connect(endpoint)`;
 * end with `await client.close()` (the socket keeps the process alive until then).
 *
 * Options (all optional) of connect(), each also accepted per call where it makes sense:
 * - timeoutMs: default deadline of every call; sent as budget_ms. Unset: budget_ms 0
 *   (the controller's defaults, 1 s for exec/ping/remove, 5 s for create).
 * - graceMs (250): a call with a deadline also has a local timer of timeoutMs + graceMs
 *   that rejects it with DeadlineExceeded (err.local = true) if no reply came.
 * - fallbackTimeoutMs (30000): the local timer of a call sent with budget_ms 0.
 * - bigints (false): 64-bit results (exec loads) always as bigint; by default a number
 *   when it is a safe integer, else a bigint.
 * - protoPath: arbor.proto to load (default $ARBOR_PROTO, else <repo>/proto/arbor/v1/arbor.proto).
 * - curve: {publicKey, secretKey, serverKey} (Z85), for a controller started with
 *   --client-keys (curveKeysFromFiles reads them from keygen's and the endpoint
 *   file). Bad keys throw InvalidArgument. A failed handshake rejects the calls in
 *   flight and, until a handshake succeeds, every new call at once: PermissionDenied
 *   when the controller refused this key, Unauthenticated when the server's key does
 *   not match (or the controller does not use CURVE), or the controller requires
 *   CURVE and `curve` is unset (err.local = true).
 */
export class Client {
  static async connect(endpoint, options = {}) {
    return new Client(endpoint, options);
  }

  constructor(endpoint, options = {}) {
    if (typeof endpoint !== 'string' || endpoint === '') {
      throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, 'endpoint must be a non-empty string');
    }
    this.endpoint = endpoint;
    this._schema = loadSchema(options.protoPath);
    this._timeoutMs = options.timeoutMs ?? null;
    if (this._timeoutMs !== null) checkTimeout(this._timeoutMs);
    this._graceMs = options.graceMs ?? 250;
    this._fallbackMs = options.fallbackTimeoutMs ?? 30000;
    this._bigints = Boolean(options.bigints);
    this._nextId = 1;
    this._pending = new Map(); // correlation id -> call
    this._watches = new Map(); // correlation id -> Watch
    this._outbox = []; // [bytes, call | null]
    this._outHead = 0;
    this._sending = false;
    this._closed = false;
    /** Local counters: frames sent, replies received, replies that matched no call, undecodable frames. */
    this.counters = { sent: 0, received: 0, unmatched: 0, droppedFrames: 0 };
    this._curve = options.curve ?? null;
    if (this._curve !== null) checkCurveKeys(this._curve);
    this._refusal = null; // [Cls, code, message]: why the last handshake failed
    this._sock = new zmq.Dealer({ linger: 0, sendHighWaterMark: 10000, receiveHighWaterMark: 10000 });
    if (this._curve !== null) {
      this._sock.curveServerKey = this._curve.serverKey;
      this._sock.curvePublicKey = this._curve.publicKey;
      this._sock.curveSecretKey = this._curve.secretKey;
    }
    // Observed before the connect, so that the first handshake is seen.
    const events = this._sock.events;
    events.on('handshake', () => {
      this._refusal = null;
    });
    for (const type of ['handshake:error:auth', 'handshake:error:protocol', 'handshake:error:other']) {
      events.on(type, () => this._onHandshakeFailed(type));
    }
    try {
      this._sock.connect(endpoint);
    } catch (err) {
      this._sock.close();
      throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, `cannot connect to ${endpoint}: ${err.message}`);
    }
    this._loop = this._receiveLoop();
  }

  /** Calls sent (or queued) and not yet settled. */
  get inFlight() {
    return this._pending.size;
  }

  get closed() {
    return this._closed;
  }

  // ---- the requests of docs/CLIENT_PROTOCOL.md ----

  /** create_request{child_id: id, parent}; resolves the new worker's pid. */
  async create(id, parent = CONTROLLER, options = {}) {
    if (isPlainOptions(parent)) [parent, options] = [CONTROLLER, parent];
    checkId('id', id);
    checkId('parent', parent);
    const env = await this.request('createRequest', { childId: id, parent }, { ...options, target: CONTROLLER, expect: 'createReply' });
    return int64(env.createReply.pid);
  }

  /**
   * exec_request on node `id`. With `value` (number or bigint): a save, resolves
   * undefined. Without (or null): a load, resolves the value (number when safe, else
   * bigint; always bigint with {bigints: true}) or null when the key is absent.
   */
  async exec(id, key, value = undefined, options = {}) {
    if (isPlainOptions(value)) [value, options] = [undefined, value];
    checkId('id', id);
    if (typeof key !== 'string') {
      throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, `key must be a string, got ${typeof key}`);
    }
    const body = { key };
    const save = value !== undefined && value !== null;
    if (save) body.value = checkValue(value);
    const env = await this.request('execRequest', body, { ...options, target: id, expect: 'execReply' });
    if (save) return undefined;
    const reply = env.execReply;
    if (!reply.found) return null;
    return int64(reply.value, options.bigints ?? this._bigints);
  }

  /** exec with a value. */
  save(id, key, value, options = {}) {
    if (value === undefined || value === null) {
      return Promise.reject(localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, 'save needs a value'));
    }
    return this.exec(id, key, value, options);
  }

  /** exec without a value. */
  load(id, key, options = {}) {
    return this.exec(id, key, undefined, options);
  }

  /** ping_request; true when the node answered, false when it is dead or silent. */
  async ping(id, options = {}) {
    checkId('id', id);
    const env = await this.request('pingRequest', {}, { ...options, target: id, expect: 'pingReply' });
    return Boolean(env.pingReply.answered);
  }

  /** remove_request: its children move to its parent (a dead node is purged). */
  async remove(id, options = {}) {
    checkId('id', id);
    await this.request('removeRequest', {}, { ...options, target: id, expect: 'removeReply' });
  }

  /** heartbeat_config{interval_ms} (0 = off); resolves the interval the controller echoed. */
  async heartbeat(intervalMs, options = {}) {
    checkUint32('intervalMs', intervalMs);
    const env = await this.request('heartbeatConfig', { intervalMs }, { ...options, target: CONTROLLER, expect: 'heartbeatConfig' });
    return env.heartbeatConfig.intervalMs;
  }

  /**
   * topology_request; resolves [{id, parent, pid, state, depth}] depth-first, children
   * by id; state is 'available' | 'unavailable' | 'dead' | 'creating'.
   */
  async topology(options = {}) {
    const env = await this.request('topologyRequest', {}, { ...options, target: CONTROLLER, expect: 'topologyReply' });
    const names = this._schema.stateNames;
    return env.topologyReply.nodes.map((n) => ({
      id: int64(n.id),
      parent: int64(n.parent),
      pid: int64(n.pid),
      state: names[n.state] ?? `state_${n.state}`,
      depth: n.depth,
    }));
  }

  /** stats_request; resolves {nodes, pending, sent, answered, timedOut, lateReplies, droppedFrames}. */
  async stats(options = {}) {
    const env = await this.request('statsRequest', {}, { ...options, target: CONTROLLER, expect: 'statsReply' });
    const s = env.statsReply;
    return {
      nodes: int64(s.nodes),
      pending: int64(s.pending),
      sent: int64(s.sent),
      answered: int64(s.answered),
      timedOut: int64(s.timedOut),
      lateReplies: int64(s.lateReplies),
      droppedFrames: int64(s.droppedFrames),
    };
  }

  /**
   * watch_request. Resolves a Watch once the controller confirmed; from then on
   * onEvent({id, kind, pid, watchId}) runs for every node event, kind one of
   * 'unavailable' | 'available' | 'created' | 'removed' | 'lost' | 'adopted' (then `parent`
   * is the new parent, -1: the controller), until watch.close().
   * options.onError(err, event): called when onEvent throws (default: rethrown on
   * its own tick, i.e. an uncaught exception).
   */
  async watch(onEvent, options = {}) {
    if (typeof onEvent !== 'function') {
      throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, 'watch needs an onEvent function');
    }
    const id = this._nextId; // the id request() is about to use
    const watch = new Watch(this, id, onEvent, options.onError);
    this._watches.set(id, watch);
    try {
      await this.request('watchRequest', {}, { ...options, target: CONTROLLER, expect: null });
    } catch (err) {
      watch._closed = true;
      this._watches.delete(id);
      throw err;
    }
    return watch;
  }

  /**
   * The low level: sends Envelope{version 1, next correlation id, target, budget_ms,
   * [field]: payload} and resolves the reply Envelope (protobufjs message) when its
   * status is OK, else rejects with the typed error. options: target (default -1),
   * timeoutMs, expect (the reply body field name required on success; null = no body;
   * undefined = any).
   */
  request(field, payload, options = {}) {
    if (this._closed) {
      return Promise.reject(localError(Cancelled, StatusCode.CANCELLED, 'client is closed'));
    }
    if (this._refusal !== null) {
      const [Cls, code, message] = this._refusal;
      return Promise.reject(localError(Cls, code, message));
    }
    let timeoutMs;
    let bytes;
    const target = options.target ?? CONTROLLER;
    const cid = this._nextId++;
    try {
      timeoutMs = options.timeoutMs ?? this._timeoutMs;
      if (timeoutMs !== null && timeoutMs !== undefined) timeoutMs = checkTimeout(timeoutMs);
      else timeoutMs = null;
      bytes = this._schema.encode({
        version: this._schema.version,
        correlationId: cid,
        target,
        budgetMs: timeoutMs ?? 0,
        [field]: payload,
      });
    } catch (err) {
      const e = err instanceof ArborError ? err : localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, `cannot encode ${field}: ${err.message}`);
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const localMs = timeoutMs !== null ? timeoutMs + (options.graceMs ?? this._graceMs) : (options.fallbackTimeoutMs ?? this._fallbackMs);
      const call = { cid, target, field, expect: options.expect, resolve, reject, settled: false, timer: null };
      call.timer = setTimeout(() => this._expire(call, localMs), localMs);
      this._pending.set(cid, call);
      this._enqueue(bytes, call);
    });
  }

  /**
   * Rejects every call in flight with Cancelled (err.local = true), ends every watch
   * and closes the socket. Later calls reject with Cancelled. Idempotent.
   */
  async close() {
    if (this._closed) return this._loop;
    this._closed = true;
    const calls = [...this._pending.values()];
    this._pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.settled = true;
      call.reject(new Cancelled(StatusCode.CANCELLED, 'client closed with the call in flight', {
        correlationId: call.cid,
        target: int64(call.target),
        local: true,
      }));
    }
    for (const w of this._watches.values()) w._closed = true;
    this._watches.clear();
    this._outbox = [];
    this._outHead = 0;
    this._sock.close();
    return this._loop;
  }

  // ---- internals ----

  _onHandshakeFailed(type) {
    if (this._closed) return;
    this._refusal = refusal(type, this._curve !== null);
    const [Cls, code, message] = this._refusal;
    // Nothing will answer them: the controller never saw them.
    const calls = [...this._pending.values()];
    this._pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.settled = true;
      if (call.field === 'watchRequest') this._watches.delete(call.cid);
      call.reject(new Cls(code, message, { correlationId: call.cid, target: int64(call.target), local: true }));
    }
  }

  _expire(call, ms) {
    if (call.settled) return;
    call.settled = true;
    this._pending.delete(call.cid);
    const w = this._watches.get(call.cid);
    if (w && call.field === 'watchRequest') this._watches.delete(call.cid);
    call.reject(new DeadlineExceeded(StatusCode.DEADLINE_EXCEEDED, `no reply within ${ms} ms`, {
      correlationId: call.cid,
      target: int64(call.target),
      local: true,
    }));
  }

  _enqueue(bytes, call) {
    this._outbox.push([bytes, call]);
    if (!this._sending) this._pump();
  }

  // The single writer: zeromq allows one pending send() per socket.
  async _pump() {
    this._sending = true;
    try {
      while (!this._closed && this._outHead < this._outbox.length) {
        const [bytes, call] = this._outbox[this._outHead];
        this._outbox[this._outHead++] = undefined;
        if (this._outHead > 1024 && this._outHead * 2 > this._outbox.length) {
          this._outbox = this._outbox.slice(this._outHead);
          this._outHead = 0;
        }
        if (call && call.settled) continue; // timed out before it could leave
        try {
          await this._sock.send(bytes);
          this.counters.sent++;
        } catch (err) {
          if (this._closed) return;
          if (call && !call.settled) {
            call.settled = true;
            clearTimeout(call.timer);
            this._pending.delete(call.cid);
            call.reject(new Unavailable(StatusCode.UNAVAILABLE, `send failed: ${err.message}`, {
              correlationId: call.cid,
              target: int64(call.target),
              local: true,
            }));
          }
        }
      }
    } finally {
      this._sending = false;
    }
  }

  async _receiveLoop() {
    try {
      for await (const frames of this._sock) this._onFrames(frames);
    } catch (err) {
      if (this._closed) return;
      // The socket broke under us: nothing more can arrive.
      const calls = [...this._pending.values()];
      this._pending.clear();
      for (const call of calls) {
        clearTimeout(call.timer);
        call.settled = true;
        call.reject(new Unavailable(StatusCode.UNAVAILABLE, `receive failed: ${err.message}`, { correlationId: call.cid, local: true }));
      }
    }
  }

  _onFrames(frames) {
    if (frames.length !== 1) {
      this.counters.droppedFrames++;
      return;
    }
    let env;
    try {
      env = this._schema.decode(frames[0]);
    } catch {
      this.counters.droppedFrames++;
      return;
    }
    this.counters.received++;
    const cid = int64(env.correlationId);
    if (env.body === 'nodeEvent') {
      const watch = this._watches.get(cid);
      if (watch) {
        const ev = env.nodeEvent;
        watch._deliver({
          id: int64(ev.id),
          kind: this._schema.eventNames[ev.kind] ?? `kind_${ev.kind}`,
          pid: int64(ev.pid),
          ...(ev.kind === 6 ? { parent: int64(ev.parent) } : {}),
          watchId: cid,
        });
        return;
      }
    }
    const call = this._pending.get(cid);
    if (!call) {
      this.counters.unmatched++; // after its local deadline, or an event of a closed watch
      return;
    }
    this._pending.delete(cid);
    clearTimeout(call.timer);
    call.settled = true;
    const code = env.status ? env.status.code : 0;
    const details = { correlationId: cid, target: int64(call.target) };
    if (code !== StatusCode.OK) {
      call.reject(errorFromStatus(code, env.status.message, details));
      return;
    }
    const body = env.body ?? null;
    if (call.expect !== undefined && body !== call.expect) {
      call.reject(new Internal(StatusCode.INTERNAL, `protocol: ${call.field} answered OK with body ${body ?? 'none'}, expected ${call.expect ?? 'none'}`, { ...details, local: true }));
      return;
    }
    call.resolve(env);
  }
}

/** The error a failed handshake stands for (the same as the C++ and Python clients'). */
function refusal(type, curve) {
  if (type === 'handshake:error:auth') {
    return [PermissionDenied, StatusCode.PERMISSION_DENIED, "authentication failed: the controller refused this client's key"];
  }
  if (!curve) {
    return [Unauthenticated, StatusCode.UNAUTHENTICATED, 'authentication failed: the controller requires a CURVE key pair (options.curve)'];
  }
  // A wrong server key shows as NO_DETAIL, a plaintext controller as PROTOCOL --
  // mostly: libzmq reports them either way round, so one message.
  return [
    Unauthenticated,
    StatusCode.UNAUTHENTICATED,
    "authentication failed: the server's key does not match (or the controller does not use CURVE)",
  ];
}

function checkTimeout(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw localError(InvalidArgument, StatusCode.INVALID_ARGUMENT, `timeoutMs must be a positive number, got ${String(ms)}`);
  }
  return Math.min(Math.ceil(ms), UINT32_MAX);
}

/** Shorthand for Client.connect. */
export function connect(endpoint, options = {}) {
  return Client.connect(endpoint, options);
}

export default Client;
