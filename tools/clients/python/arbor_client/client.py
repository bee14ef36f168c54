"""The asyncio client of an Arbor controller (docs/CLIENT_PROTOCOL.md).

One DEALER connected to the controller's client endpoint; every message is one
frame, a serialized ``arbor.v1.Envelope``. Each request gets this client's next
correlation id (1, 2, 3, ...); one reader task matches replies to the waiting
futures by id (replies may come in any order) and hands watch events to their
streams.
"""

from __future__ import annotations

import asyncio
import functools
import math
import operator
import typing

import zmq
import zmq.asyncio
from google.protobuf.message import DecodeError

from ._proto import VERSION, pb
import zmq.utils.monitor

from .errors import (
    ArborError,
    Cancelled,
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    error_for,
)
from .keys import CurveKeys
from .records import Node, NodeEvent, Stats

CONTROLLER = -1  # target / parent id of the controller itself
_MAX_BUDGET_MS = 2**32 - 1

if hasattr(asyncio, "timeout"):  # Python >= 3.11
    _timeout = asyncio.timeout
else:  # pragma: no cover
    _timeout = None


class Client:
    """A connection to one controller: ``async with Client("ipc:///tmp/x/c") as c: ...``.

    Every call takes ``timeout=`` (seconds). It travels as the request's
    ``budget_ms``, so the controller answers DEADLINE_EXCEEDED at it; if no reply
    has come ``grace`` seconds later (controller frozen or gone), the client
    resolves the call itself with :class:`DeadlineExceeded` (``local=True``).
    Without a timeout (and no client-wide ``timeout``) the request carries
    budget 0 (the controller's defaults: 1 s for exec/ping/remove, 5 s for create)
    and the client's own safety net is ``fallback_timeout``.

    Closing the client resolves every call still in flight with
    :class:`Cancelled` and ends every watch stream.

    ``curve``: this client's key pair and the controller's key, for a
    controller started with ``--client-keys`` (:class:`CurveKeys`; bad keys
    raise InvalidArgument at connect). A failed handshake fails the calls in
    flight and, until a handshake succeeds, every new call at once:
    :class:`PermissionDenied` when the controller refused this key,
    :class:`Unauthenticated` when the server's key does not match (or the
    controller does not use CURVE), or it requires CURVE and ``curve`` is None.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float | None = None,
        grace: float = 0.5,
        fallback_timeout: float = 30.0,
        context: zmq.asyncio.Context | None = None,
        hwm: int = 10000,
        curve: CurveKeys | None = None,
    ):
        self.endpoint = endpoint
        self.curve = curve
        self.timeout = timeout
        self.grace = grace
        self.fallback_timeout = fallback_timeout
        self._hwm = hwm
        self._given_ctx = context
        self._ctx: zmq.asyncio.Context | None = None
        self._sock: zmq.asyncio.Socket | None = None
        self._reader: asyncio.Task | None = None
        self._monitor: zmq.asyncio.Socket | None = None
        self._watcher: asyncio.Task | None = None
        self._refusal: tuple[type, str] | None = None  # why the last handshake failed
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next_id = 1
        self._pending: dict[int, asyncio.Future] = {}
        self._watches: dict[int, Watch] = {}
        self._opened = False
        self._closed = False
        # Diagnostics: replies nobody waited for any more (after a local deadline),
        # and frames from the controller that were not one parsable Envelope.
        self.late_replies = 0
        self.dropped_frames = 0

    # ---- lifetime -------------------------------------------------------------------

    async def connect(self) -> "Client":
        """Creates the DEALER and starts the reader. ``async with`` calls it."""
        if self._closed:
            raise Cancelled("client closed", local=True)
        if self._opened:
            return self
        self._loop = asyncio.get_running_loop()
        self._ctx = self._given_ctx if self._given_ctx is not None else zmq.asyncio.Context()
        sock = self._ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDHWM, self._hwm)
        sock.setsockopt(zmq.RCVHWM, self._hwm)
        sock.setsockopt(zmq.HEARTBEAT_IVL, 2000)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 6000)
        try:
            if self.curve is not None:
                self.curve.check()
                sock.curve_serverkey = self.curve.server_public.encode()
                sock.curve_publickey = self.curve.public.encode()
                sock.curve_secretkey = self.curve.secret.encode()
            # Before the connect, so that the first handshake is seen.
            monitor = sock.get_monitor_socket(_HANDSHAKE_EVENTS)
            sock.connect(self.endpoint)
        except (zmq.ZMQError, InvalidArgument) as e:
            sock.close(linger=0)
            self._close_ctx()
            if isinstance(e, InvalidArgument):
                raise
            raise InvalidArgument(f"cannot connect to {self.endpoint!r}: {e}", local=True) from None
        self._sock = sock
        self._monitor = monitor
        self._opened = True
        self._reader = self._loop.create_task(self._read_loop(), name=f"arbor-client-reader {self.endpoint}")
        self._watcher = self._loop.create_task(self._watch_handshakes(), name=f"arbor-client-handshakes {self.endpoint}")
        return self

    async def close(self) -> None:
        """Resolves calls in flight with Cancelled, ends watches, closes the socket."""
        if self._closed:
            return
        self._closed = True
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(Cancelled("client closed with the call in flight", local=True))
        watches, self._watches = self._watches, {}
        for w in watches.values():
            w._end(None)
        for task in (self._reader, self._watcher):
            if task is None:
                continue
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
            except Exception:
                pass
        if self._sock is not None:
            try:
                self._sock.disable_monitor()
            except zmq.ZMQError:
                pass
        if self._monitor is not None:
            self._monitor.close(linger=0)
        if self._sock is not None:
            self._sock.close(linger=0)
        self._close_ctx()

    def _close_ctx(self) -> None:
        if self._ctx is not None and self._given_ctx is None:
            self._ctx.term()
        self._ctx = None

    async def __aenter__(self) -> "Client":
        return await self.connect()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_flight(self) -> int:
        """Calls sent and not yet resolved."""
        return len(self._pending)

    # ---- requests -------------------------------------------------------------------

    async def create(self, id: int, parent: int = CONTROLLER, *, timeout: float | None = None) -> int:
        """Creates node ``id`` under ``parent`` (-1: the controller); returns the worker's pid."""
        req = _build(pb.CreateRequest, child_id=id, parent=parent)
        reply = await self._call("create_request", req, CONTROLLER, timeout, "create_reply")
        return reply.create_reply.pid

    async def exec(self, id: int, key: str, value: int | None = None, *, timeout: float | None = None) -> int | None:
        """With ``value``: saves it under ``key`` on node ``id`` and returns None.
        Without: returns the value stored under ``key``, or None when it is absent."""
        req = _build(pb.ExecRequest, key=key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidArgument(f"value must be an int, not {type(value).__name__}", local=True)
            if not -(2**63) <= value < 2**63:
                raise InvalidArgument(f"value {value} is not a signed 64-bit integer", local=True)
            req.value = value
        reply = await self._call("exec_request", req, id, timeout, "exec_reply")
        if value is not None or not reply.exec_reply.found:
            return None
        return reply.exec_reply.value

    async def save(self, id: int, key: str, value: int, *, timeout: float | None = None) -> None:
        """``exec(id, key, value)``."""
        await self.exec(id, key, value, timeout=timeout)

    async def load(self, id: int, key: str, *, timeout: float | None = None) -> int | None:
        """``exec(id, key)``: the value, or None when the key is absent."""
        return await self.exec(id, key, timeout=timeout)

    async def ping(self, id: int, *, timeout: float | None = None) -> bool:
        """True when the node answered; False when it is dead or did not answer in time."""
        reply = await self._call("ping_request", pb.PingRequest(), id, timeout, "ping_reply")
        return reply.ping_reply.answered

    async def remove(self, id: int, *, timeout: float | None = None) -> None:
        """Removes node ``id``; its children (with their subtrees and data) move to its parent."""
        await self._call("remove_request", pb.RemoveRequest(), id, timeout, "remove_reply")

    async def heartbeat(self, interval_ms: int, *, timeout: float | None = None) -> int:
        """Sets the heartbeat period (0 = off); returns the period the controller applied."""
        req = _build(pb.HeartbeatConfig, interval_ms=interval_ms)
        reply = await self._call("heartbeat_config", req, CONTROLLER, timeout, "heartbeat_config")
        return reply.heartbeat_config.interval_ms

    heartbit = heartbeat

    async def topology(self, *, timeout: float | None = None) -> list[Node]:
        """Every node, depth-first, children by id (the CLI's ``tree``)."""
        reply = await self._call("topology_request", pb.TopologyRequest(), CONTROLLER, timeout, "topology_reply")
        return [Node.from_pb(n) for n in reply.topology_reply.nodes]

    async def stats(self, *, timeout: float | None = None) -> Stats:
        """The controller's counters."""
        reply = await self._call("stats_request", pb.StatsRequest(), CONTROLLER, timeout, "stats_reply")
        return Stats.from_pb(reply.stats_reply)

    def watch(self, *, timeout: float | None = None) -> "Watch":
        """A stream of :class:`NodeEvent`: ``async for event in c.watch(): ...``.

        The subscription is made on the first iteration (or explicitly with
        ``await w.start()`` / ``async with c.watch() as w``, which return once the
        controller has confirmed it). Leaving the loop (or ``aclose()``) sends
        unwatch. ``timeout`` applies to the watch and unwatch requests.
        """
        return Watch(self, timeout)

    async def unwatch(self, watch_id: int, *, timeout: float | None = None) -> None:
        """Ends the watch whose watch request had correlation id ``watch_id``
        (``Watch.aclose()`` does this for its own watch)."""
        w = self._watches.pop(watch_id, None)
        if w is not None:
            w._end(None)
        req = _build(pb.UnwatchRequest, watch_id=watch_id)
        await self._call("unwatch_request", req, CONTROLLER, timeout, None)

    # ---- machinery ------------------------------------------------------------------

    def _new_id(self) -> int:
        cid = self._next_id
        self._next_id += 1
        return cid

    def _deadlines(self, timeout: float | None) -> tuple[int, float]:
        """(budget_ms sent, seconds the client itself waits)."""
        if timeout is None:
            timeout = self.timeout
        if timeout is None:
            return 0, self.fallback_timeout
        if not timeout > 0:
            raise InvalidArgument(f"timeout must be positive, got {timeout!r}", local=True)
        budget = min(max(1, math.ceil(timeout * 1000)), _MAX_BUDGET_MS)
        return budget, timeout + self.grace

    async def _call(
        self,
        field: str,
        body,
        target: int,
        timeout: float | None,
        expect: str | None,
        cid: int | None = None,
    ) -> typing.Any:
        if not self._opened:
            raise RuntimeError("Client is not connected: use `async with Client(endpoint)` or await connect()")
        if self._closed:
            raise Cancelled("client closed", local=True)
        if self._refusal is not None:
            cls, message = self._refusal
            raise cls(message, local=True)
        budget_ms, wait_s = self._deadlines(timeout)
        if cid is None:
            cid = self._new_id()
        env = pb.Envelope(version=VERSION, correlation_id=cid, target=target, budget_ms=budget_ms)
        getattr(env, field).CopyFrom(body)
        data = env.SerializeToString()
        fut = self._loop.create_future()
        self._pending[cid] = fut
        try:
            if _timeout is not None:
                try:
                    async with _timeout(wait_s):
                        await self._send(data)
                        reply = await fut
                except TimeoutError:
                    raise DeadlineExceeded(
                        f"no reply to {field} within {wait_s:.3g} s", local=True
                    ) from None
            else:  # pragma: no cover
                try:
                    reply = await asyncio.wait_for(self._send_and_wait(data, fut), wait_s)
                except asyncio.TimeoutError:
                    raise DeadlineExceeded(f"no reply to {field} within {wait_s:.3g} s", local=True) from None
        finally:
            if self._pending.get(cid) is fut:
                del self._pending[cid]
            if fut.done() and not fut.cancelled():
                fut.exception()  # retrieved, whichever way the call ended
        status = reply.status
        if status.code != 0:
            raise error_for(status.code, status.message)
        got = reply.WhichOneof("body")
        if got != expect:
            raise Internal(f"reply to {field} carries {got or 'no body'}, expected {expect or 'no body'}", local=True)
        return reply

    async def _send_and_wait(self, data: bytes, fut: asyncio.Future):  # pragma: no cover
        await self._send(data)
        return await fut

    async def _send(self, data: bytes) -> None:
        try:
            await self._sock.send(data)
        except asyncio.CancelledError:
            # close() cancels the socket's queued sends; the caller sees Cancelled.
            if self._closed and not asyncio.current_task().cancelling():
                raise Cancelled("client closed with the call in flight", local=True) from None
            raise
        except zmq.ZMQError as e:
            if self._closed:
                raise Cancelled("client closed with the call in flight", local=True) from None
            raise Unavailable(f"send failed: {e}", local=True) from None

    async def _read_loop(self) -> None:
        sock = self._sock
        try:
            while True:
                frames = await sock.recv_multipart()
                self._dispatch(frames)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the socket failed: nothing more will arrive
            if not self._closed:
                pending, self._pending = self._pending, {}
                for fut in pending.values():
                    if not fut.done():
                        fut.set_exception(Unavailable(f"client socket failed: {e}", local=True))
                for w in list(self._watches.values()):
                    w._end(Unavailable(f"client socket failed: {e}", local=True))
                self._watches.clear()

    async def _watch_handshakes(self) -> None:
        monitor = self._monitor
        while True:
            try:
                event = zmq.utils.monitor.parse_monitor_message(await monitor.recv_multipart())["event"]
            except asyncio.CancelledError:
                raise
            except Exception:  # the monitor ended: no more verdicts
                return
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._refusal = None
            elif event in _HANDSHAKE_FAILURES:
                self._refusal = _refusal(event, self.curve is not None)
                # Nothing will answer them: the controller never saw them.
                cls, message = self._refusal
                pending, self._pending = self._pending, {}
                for fut in pending.values():
                    if not fut.done():
                        fut.set_exception(cls(message, local=True))
                for w in list(self._watches.values()):
                    if w._state == "open":
                        self._watches.pop(w.id, None)
                        w._end(cls(message, local=True))

    def _dispatch(self, frames: list[bytes]) -> None:
        if len(frames) != 1:
            self.dropped_frames += 1
            return
        env = pb.Envelope()
        try:
            env.ParseFromString(frames[0])
        except DecodeError:
            self.dropped_frames += 1
            return
        cid = env.correlation_id
        if env.WhichOneof("body") == "node_event":
            w = self._watches.get(cid)
            if w is not None:
                w._push(NodeEvent.from_pb(env.node_event))
            else:
                self.late_replies += 1  # an event of a watch we left
            return
        fut = self._pending.get(cid)
        if fut is not None and not fut.done():
            del self._pending[cid]
            fut.set_result(env)
            return
        w = self._watches.get(cid)
        if w is not None and env.status.code != 0:
            # The controller ended an established watch with an error.
            del self._watches[cid]
            w._end(error_for(env.status.code, env.status.message))
            return
        if cid == 0:
            self.dropped_frames += 1
        else:
            self.late_replies += 1


_HANDSHAKE_FAILURES = (
    zmq.EVENT_HANDSHAKE_FAILED_AUTH,
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
)
_HANDSHAKE_EVENTS = zmq.EVENT_HANDSHAKE_SUCCEEDED | functools.reduce(operator.or_, _HANDSHAKE_FAILURES)


def _refusal(event: int, curve: bool) -> tuple[type, str]:
    """The error a failed handshake stands for (the same as the C++ client's)."""
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return PermissionDenied, "authentication failed: the controller refused this client's key"
    if not curve:
        return Unauthenticated, "authentication failed: the controller requires a CURVE key pair (Client(curve=...))"
    # A wrong server key shows as NO_DETAIL, a plaintext controller as PROTOCOL --
    # mostly: libzmq reports them either way round, so one message.
    return Unauthenticated, "authentication failed: the server's key does not match (or the controller does not use CURVE)"


_END = object()


class Watch:
    """A stream of node events. Iterate it with ``async for``, or call ``next()``."""

    def __init__(self, client: Client, timeout: float | None):
        self._client = client
        self._timeout = timeout
        self._queue: asyncio.Queue = asyncio.Queue()
        self._state = "new"  # new -> starting -> open -> closed
        self._error: ArborError | None = None
        self.id: int | None = None  # the watch's correlation id once started

    async def start(self) -> "Watch":
        """Subscribes; returns once the controller has confirmed (events follow)."""
        if self._state != "new":
            return self
        c = self._client
        if not c._opened or c._closed:
            raise Cancelled("client closed", local=True)
        self._state = "starting"
        self.id = c._new_id()
        c._watches[self.id] = self
        try:
            await c._call("watch_request", pb.WatchRequest(), CONTROLLER, self._timeout, None, cid=self.id)
        except BaseException:
            c._watches.pop(self.id, None)
            self._state = "closed"
            raise
        if self._state == "starting":
            self._state = "open"
        return self

    async def next(self, timeout: float | None = None) -> NodeEvent:
        """The next event. Raises StopAsyncIteration once the watch has ended (the
        error that ended it, if any), TimeoutError if none came within ``timeout``."""
        if self._state == "new":
            await self.start()
        if timeout is None:
            item = await self._queue.get()
        else:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        if item is _END:
            self._queue.put_nowait(_END)  # stays ended
            if self._error is not None:
                raise self._error
            raise StopAsyncIteration
        return item

    def __aiter__(self):
        return self._iterate()

    async def _iterate(self):
        try:
            while True:
                try:
                    event = await self.next()
                except StopAsyncIteration:
                    return
                yield event
        finally:
            # Leaving `async for` (break, exception, or the generator being
            # collected) unsubscribes.
            try:
                await self.aclose()
            except ArborError:
                pass

    async def aclose(self) -> None:
        """Unsubscribes (unwatch); no event of this watch is delivered afterwards."""
        state, self._state = self._state, "closed"
        if state == "closed":
            return
        if state == "new":
            self._end(None)
            return
        c = self._client
        c._watches.pop(self.id, None)
        self._end(None)
        if c._closed:
            return
        try:
            await c._call(
                "unwatch_request", _build(pb.UnwatchRequest, watch_id=self.id), CONTROLLER, self._timeout, None
            )
        except Cancelled:
            pass

    async def __aenter__(self) -> "Watch":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def _push(self, event: NodeEvent) -> None:
        if self._state != "closed":
            self._queue.put_nowait(event)

    def _end(self, error: ArborError | None) -> None:
        self._state = "closed"
        self._error = error
        self._queue.put_nowait(_END)


def _build(cls, **fields):
    """A protobuf message; an out-of-range integer becomes a local InvalidArgument."""
    try:
        return cls(**fields)
    except ValueError as e:
        raise InvalidArgument(f"{cls.__name__}: {e}", local=True) from None
