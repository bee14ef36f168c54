"""Tests of the Python client against a real `arbor` controller (one per test).

Run: PYTHONPATH=<build>/gen/python:tools/clients/python ARBOR_BIN=<build>/arbor \
     /usr/bin/python3 -m unittest discover -v -s tools/clients/python/tests -t tools/clients/python
(ctest's `python_client` does exactly that). Nothing here sleeps to synchronise:
every step awaits a reply, an event or a process exit, each bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import statistics
import sys
import time
import unittest

import zmq
import zmq.asyncio

from arbor_client import (
    AlreadyExists,
    ArborError,
    Cancelled,
    Client,
    DeadlineExceeded,
    EventKind,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NodeState,
    NotFound,
    ResourceExhausted,
    StatusCode,
    Unavailable,
    error_for,
)
from arbor_client._proto import pb

from . import harness
from .harness import WAIT

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TEST_TIMEOUT = 60.0  # a test that hangs fails instead of blocking the suite


def _bounded(test):
    @functools.wraps(test)
    async def run(self):
        try:
            return await asyncio.wait_for(test(self), TEST_TIMEOUT)
        except asyncio.TimeoutError:
            self.fail(f"{test.__name__} did not finish within {TEST_TIMEOUT} s")

    return run


class AsyncTest(unittest.IsolatedAsyncioTestCase):
    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for name, fn in list(vars(cls).items()):
            if name.startswith("test") and asyncio.iscoroutinefunction(fn):
                setattr(cls, name, _bounded(fn))

    async def asyncSetUp(self):
        # unittest runs the loop in debug mode: only report callbacks that are really slow
        asyncio.get_running_loop().slow_callback_duration = 1.0


class ArborTest(AsyncTest):
    """Starts a controller before each test and stops it (SIGTERM, exit 0, no worker left) after."""

    controller_args: tuple = ()
    transport = "ipc"

    def arbor_binary(self) -> str:
        return harness.ARBOR_BIN

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.workdir = harness.make_workdir()
        self.addCleanup(harness.remove_workdir, self.workdir)
        self.ctx = zmq.asyncio.Context()
        self.addCleanup(self.ctx.term)
        self.ctl = harness.Controller(
            self.workdir, args=self.controller_args, binary=self.arbor_binary(), transport=self.transport
        )
        self.addAsyncCleanup(self._stop_controller)
        self.endpoint = await self.ctl.start()
        self.clients: list[Client] = []
        self.raw_peers: list[harness.RawPeer] = []
        self.addAsyncCleanup(self._close_peers)
        self.c = await self.client()
        # Ready: the controller answers (so it also handles SIGTERM by now). Until
        # then the DEALER simply queues the request.
        await self.c.stats(timeout=WAIT)

    async def client(self, **kw) -> Client:
        c = Client(self.endpoint, **kw)
        await c.connect()
        self.clients.append(c)
        return c

    def raw(self) -> harness.RawPeer:
        p = harness.RawPeer(self.ctx, self.endpoint)
        self.raw_peers.append(p)
        return p

    async def _close_peers(self):
        for c in self.clients:
            await c.close()
        for p in self.raw_peers:
            p.close()

    async def _stop_controller(self):
        problems = await self.ctl.stop()
        failed = not getattr(self._outcome, "success", True)
        if problems or failed or os.environ.get("ARBOR_TEST_TRANSCRIPT"):
            harness.eprint(self.ctl.transcript())
        if problems:
            self.fail("; ".join(problems))

    # ---- helpers ----------------------------------------------------------------

    async def create(self, node_id: int, parent: int = -1, c: Client | None = None) -> harness.Worker:
        pid = await (c or self.c).create(node_id, parent, timeout=WAIT)
        self.assertGreater(pid, 0)
        return self.ctl.track(node_id, pid)

    async def expect_event(self, watch, node_id: int, kind: EventKind, timeout: float = WAIT):
        """The next event of `watch` for `node_id` of `kind` (others are skipped)."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                ev = await watch.next(timeout=max(left, 0.001))
            except (asyncio.TimeoutError, TimeoutError):
                self.fail(f"no {kind.name} event for node {node_id} within {timeout} s; saw {seen}")
            seen.append(ev)
            if ev.id == node_id and ev.kind == kind:
                return ev

    async def within(self, aw, timeout: float = WAIT):
        return await asyncio.wait_for(aw, timeout)


# =====================================================================================
class RequestsTest(ArborTest):
    """Every request kind, on the success path."""

    async def test_create_returns_the_pid_of_a_running_worker(self):
        w1 = await self.create(1)
        w2 = await self.create(2, 1)
        self.assertNotEqual(w1.pid, w2.pid)
        self.assertFalse(w1.exited())
        self.assertFalse(w2.exited())
        # parent defaults to the controller
        pid3 = await self.c.create(3)
        self.ctl.track(3, pid3)
        self.assertEqual([(n.id, n.parent) for n in await self.c.topology()], [(1, -1), (2, 1), (3, -1)])

    async def test_save_then_load(self):
        await self.create(1)
        await self.create(2, 1)
        self.assertIsNone(await self.c.exec(1, "k", 5))
        self.assertEqual(await self.c.exec(1, "k"), 5)
        self.assertIsNone(await self.c.exec(1, "absent"))
        self.assertIsNone(await self.c.exec(2, "k"))  # every node has its own dictionary
        await self.c.exec(1, "k", 7)  # saving overwrites
        self.assertEqual(await self.c.exec(1, "k"), 7)
        for v in (0, -1, INT64_MIN, INT64_MAX):
            await self.c.exec(2, "Edge", v)
            self.assertEqual(await self.c.exec(2, "Edge"), v)
        key = "A" * 64
        await self.c.save(2, key, 42)
        self.assertEqual(await self.c.load(2, key), 42)

    async def test_ping(self):
        await self.create(1)
        await self.create(2, 1)
        self.assertIs(await self.c.ping(1), True)
        self.assertIs(await self.c.ping(2), True)

    async def test_remove_moves_the_children_with_their_data(self):
        await self.create(1)
        w2 = await self.create(2, 1)
        w3 = await self.create(3, 2)
        await self.c.exec(3, "x", 33)
        self.assertIsNone(await self.c.remove(2))
        self.assertTrue(await w2.wait_exit(), "the removed worker did not exit")
        topo = await self.c.topology()
        self.assertEqual([(n.id, n.parent, n.depth) for n in topo], [(1, -1, 0), (3, 1, 1)])
        self.assertEqual(topo[1].pid, w3.pid)
        self.assertEqual(await self.c.exec(3, "x"), 33)
        with self.assertRaises(NotFound):
            await self.c.exec(2, "x")

    async def test_heartbeat_answers_the_interval(self):
        await self.create(1)
        self.assertEqual(await self.c.heartbeat(250), 250)
        self.assertEqual(await self.c.heartbeat(0), 0)
        self.assertTrue(await self.c.ping(1))

    async def test_topology_is_depth_first_children_by_id(self):
        self.assertEqual(await self.c.topology(), [])
        w5 = await self.create(5)
        w3 = await self.create(3)
        w4 = await self.create(4, 5)
        w1 = await self.create(1, 5)
        w2 = await self.create(2, 1)
        topo = await self.c.topology()
        self.assertEqual(
            [(n.id, n.parent, n.depth) for n in topo],
            [(3, -1, 0), (5, -1, 0), (1, 5, 1), (2, 1, 2), (4, 5, 1)],
        )
        pids = {3: w3.pid, 5: w5.pid, 1: w1.pid, 2: w2.pid, 4: w4.pid}
        for n in topo:
            self.assertEqual(n.pid, pids[n.id])
            self.assertEqual(n.state, NodeState.AVAILABLE)

    async def test_stats_count_the_calls(self):
        s0 = await self.c.stats()
        self.assertEqual(s0.nodes, 0)
        self.assertEqual(s0.pending, 0)
        self.assertEqual(
            set(s0.as_dict()), {"nodes", "pending", "sent", "answered", "timed_out", "late_replies", "dropped_frames"}
        )
        await self.create(1)
        await self.create(2, 1)
        for i in range(10):
            await self.c.exec(2, "k", i)
        s1 = await self.c.stats()
        self.assertEqual(s1.nodes, 2)
        self.assertEqual(s1["nodes"], 2)
        self.assertEqual(s1.pending, 0)
        self.assertGreaterEqual(s1.sent - s0.sent, 10)
        self.assertGreaterEqual(s1.answered - s0.answered, 10)
        self.assertEqual(s1.timed_out, 0)
        self.assertEqual(s1.dropped_frames, 0)

    async def test_watch_sees_created_removed_and_lost(self):
        async with self.c.watch() as w:
            self.assertEqual(w.id is not None, True)
            w1 = await self.create(1)
            ev = await self.expect_event(w, 1, EventKind.CREATED)
            self.assertEqual(ev.pid, w1.pid)
            await self.c.remove(1)
            await self.expect_event(w, 1, EventKind.REMOVED)
            w2 = await self.create(2)
            await self.expect_event(w, 2, EventKind.CREATED)
            w2.signal(signal.SIGKILL)
            ev = await self.expect_event(w, 2, EventKind.LOST)
            self.assertEqual(ev.pid, w2.pid)

    async def test_leaving_the_watch_loop_unwatches(self):
        w_other = self.c.watch()
        await w_other.start()
        watch = self.c.watch()
        await watch.start()  # confirmed: events from here on
        w1 = await self.create(1)
        got = []
        async for ev in watch:
            got.append(ev)
            if ev.kind == EventKind.CREATED:
                break  # leaving the loop sends unwatch
        self.assertEqual((got[-1].id, got[-1].pid), (1, w1.pid))
        # The generator is closed by the event loop (asyncgen finalizer) right
        # after `break`; wait until its unwatch is answered (no watch left).
        for _ in range(1000):
            if len(self.c._watches) == 1 and self.c.in_flight == 0:
                break
            await asyncio.sleep(0)  # a yield to the loop, not a timed wait
        self.assertEqual(len(self.c._watches), 1)
        late = self.c.late_replies
        await self.create(2)
        await self.expect_event(w_other, 2, EventKind.CREATED)
        await self.c.stats()  # anything for the left watch would have come before this reply
        self.assertEqual(self.c.late_replies, late, "an event arrived for a watch that was left")
        await w_other.aclose()
        with self.assertRaises(StopAsyncIteration):
            await w_other.next(timeout=1)

    async def test_a_request_to_a_node_being_created_waits_for_it(self):
        pid, saved, value = await asyncio.gather(
            self.c.create(1), self.c.exec(1, "k", 9), self.c.exec(1, "k")
        )
        self.ctl.track(1, pid)
        self.assertIsNone(saved)
        self.assertEqual(value, 9)

    async def test_two_clients_have_their_own_correlation_ids(self):
        await self.create(1)
        c2 = await self.client()
        # both clients number their calls 1, 2, 3, ... ; the controller keeps them apart
        results = await asyncio.gather(
            *[self.c.exec(1, f"a{i}", i) for i in range(100)], *[c2.exec(1, f"b{i}", -i) for i in range(100)]
        )
        self.assertEqual(results, [None] * 200)
        got_a, got_b = await asyncio.gather(
            asyncio.gather(*[self.c.exec(1, f"b{i}") for i in range(100)]),
            asyncio.gather(*[c2.exec(1, f"a{i}") for i in range(100)]),
        )
        self.assertEqual(got_a, [-i for i in range(100)])
        self.assertEqual(got_b, list(range(100)))

    async def test_exec_round_trip_latency(self):
        """Measures the median round trip of one exec (200 sequential loads over ipc)."""
        await self.create(1)
        await self.c.exec(1, "k", 1)
        samples = []
        for _ in range(200):
            t0 = time.perf_counter()
            await self.c.exec(1, "k")
            samples.append(time.perf_counter() - t0)
        samples.sort()
        med = statistics.median(samples)
        p99 = samples[int(len(samples) * 0.99) - 1]
        harness.eprint(f"\n[latency] exec over {self.transport}: median {med * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us")
        self.assertLess(med, 0.5)


class TcpEndpointTest(ArborTest):
    transport = "tcp"

    async def test_endpoint_file_and_announcement_agree(self):
        self.assertRegex(self.endpoint, r"^tcp://127\.0\.0\.1:\d+$")
        self.assertNotRegex(self.endpoint, r":\*$")
        with open(self.ctl.endpoint_file) as f:
            self.assertEqual(f.read().strip(), self.endpoint)
        await self.create(1)
        await self.c.exec(1, "k", 3)
        self.assertEqual(await self.c.exec(1, "k"), 3)


# =====================================================================================
class StatusCodesTest(ArborTest):
    """Every status code of docs/CLIENT_PROTOCOL.md, produced by the controller."""

    def assertCode(self, err: ArborError, cls, code: StatusCode, local: bool = False):
        self.assertIsInstance(err, cls)
        self.assertIsInstance(err, ArborError)
        self.assertEqual(err.code, code)
        self.assertEqual(int(err.code), int(code))
        self.assertIs(err.local, local, f"{err!r}")
        if not local:
            self.assertTrue(err.message, "the controller's status carries a message")

    async def test_not_found(self):
        await self.create(1)
        for call in (
            self.c.exec(7, "k"),
            self.c.exec(7, "k", 1),
            self.c.ping(7),
            self.c.remove(7),
            self.c.create(2, 7),  # parent not found
            self.c.unwatch(12345),
        ):
            with self.assertRaises(NotFound) as cm:
                await call
            self.assertCode(cm.exception, NotFound, StatusCode.NOT_FOUND)

    async def test_already_exists(self):
        await self.create(1)
        with self.assertRaises(AlreadyExists) as cm:
            await self.c.create(1)
        self.assertCode(cm.exception, AlreadyExists, StatusCode.ALREADY_EXISTS)
        with self.assertRaises(AlreadyExists):
            await self.c.create(1, -1)
        # the same id while it is being created
        results = await asyncio.gather(self.c.create(2), self.c.create(2, 1), return_exceptions=True)
        pids = [r for r in results if isinstance(r, int)]
        errors = [r for r in results if isinstance(r, BaseException)]
        self.assertEqual(len(pids), 1, results)
        self.ctl.track(2, pids[0])
        self.assertIsInstance(errors[0], AlreadyExists, results)

    async def test_unavailable_after_kill_9(self):
        w1 = await self.create(1)
        w2 = await self.create(2, 1)
        await self.c.exec(2, "k", 2)
        async with self.c.watch() as watch:
            w2.signal(signal.SIGKILL)
            await self.expect_event(watch, 2, EventKind.LOST)
        for call in (self.c.exec(2, "k"), self.c.exec(2, "k", 3), self.c.create(3, 2)):
            with self.assertRaises(Unavailable) as cm:
                await call
            self.assertCode(cm.exception, Unavailable, StatusCode.UNAVAILABLE)
        self.assertIs(await self.c.ping(2), False)
        self.assertTrue(await self.c.ping(1))  # its ancestor keeps working
        states = {n.id: n.state for n in await self.c.topology()}
        self.assertEqual(states, {1: NodeState.AVAILABLE, 2: NodeState.DEAD})
        # a dead node can be created again: a fresh worker with an empty dictionary
        w2b = await self.create(2, 1)
        self.assertNotEqual(w2b.pid, w2.pid)
        self.assertIsNone(await self.c.exec(2, "k"))
        self.assertFalse(w1.exited())

    async def test_the_budget_counts_while_a_request_waits_for_its_node(self):
        # 2 is being created under a frozen parent: a request naming 2 waits,
        # and its own budget still ends it on time.
        w1 = await self.create(1)
        await w1.stop()
        creating = asyncio.ensure_future(self.c.create(2, 1, timeout=WAIT))
        await self.c.stats(timeout=WAIT)  # the create is in the controller now
        t0 = time.monotonic()
        with self.assertRaises(DeadlineExceeded) as cm:
            await self.c.exec(2, "k", timeout=0.2)
        self.assertCode(cm.exception, DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED)  # the controller's
        self.assertLess(time.monotonic() - t0, 0.2 + self.c.grace)
        w1.signal(signal.SIGCONT)
        try:  # woken within the parent's 1 s to answer: usually created
            self.ctl.track(2, await creating)
        except Unavailable:
            pass  # the parent answered too late on a loaded machine

    async def test_a_second_controller_cannot_take_the_client_endpoint(self):
        second = await asyncio.create_subprocess_exec(
            harness.ARBOR_BIN, "--listen", self.endpoint, "--no-stdin",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(second.communicate(), WAIT)
        self.assertEqual(second.returncode, 1)
        self.assertIn(b"another process listens", err)
        await self.create(1)  # the first one still serves its endpoint
        self.assertTrue(os.path.exists(self.endpoint[len("ipc://"):]))

    async def test_deadline_exceeded_on_a_stopped_worker(self):
        w1 = await self.create(1)
        await self.c.exec(1, "k", 1)
        await w1.stop()
        t0 = time.monotonic()
        with self.assertRaises(DeadlineExceeded) as cm:
            await self.c.exec(1, "k", 2, timeout=0.3)
        elapsed = time.monotonic() - t0
        self.assertCode(cm.exception, DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED)  # the controller's answer
        self.assertGreaterEqual(elapsed, 0.29)
        self.assertLess(elapsed, 0.3 + self.c.grace)
        with self.assertRaises(DeadlineExceeded):
            await self.c.remove(1, timeout=0.2)
        self.assertIs(await self.c.ping(1, timeout=0.2), False)  # no answer in time
        w1.signal(signal.SIGCONT)
        # the save that timed out was dropped when the worker woke, not applied late
        self.assertEqual(await self.c.exec(1, "k"), 1)
        self.assertTrue(await self.c.ping(1))  # and the remove that timed out did not happen
        self.assertEqual([n.id for n in await self.c.topology()], [1])

    async def test_unavailable_for_a_frozen_parent(self):
        w1 = await self.create(1)
        await w1.stop()
        with self.assertRaises(Unavailable) as cm:
            await self.c.create(2, 1, timeout=0.3)  # the parent does not answer the ask
        self.assertCode(cm.exception, Unavailable, StatusCode.UNAVAILABLE)
        w1.signal(signal.SIGCONT)
        self.assertEqual([n.id for n in await self.c.topology()], [1])
        await self.create(2, 1)

    async def test_local_deadline_when_the_controller_is_frozen(self):
        await self.create(1)
        await self.ctl.freeze()
        try:
            t0 = time.monotonic()
            with self.assertRaises(DeadlineExceeded) as cm:
                await self.c.exec(1, "k", timeout=0.2)
            elapsed = time.monotonic() - t0
            self.assertCode(cm.exception, DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED, local=True)
            self.assertGreaterEqual(elapsed, 0.2 + self.c.grace - 0.01)
            self.assertLess(elapsed, 0.2 + self.c.grace + 1.0)
        finally:
            self.ctl.signal_self(signal.SIGCONT)
        self.assertEqual(await self.c.exec(1, "k"), None)  # the controller serves again

    async def test_invalid_argument_for_a_bad_key(self):
        await self.create(1)
        for key in ("a-b", "", "x" * 65, "k y", "é"):
            for value in (None, 5):
                with self.assertRaises(InvalidArgument, msg=f"key {key!r} value {value}") as cm:
                    await self.c.exec(1, key, value)
                self.assertCode(cm.exception, InvalidArgument, StatusCode.INVALID_ARGUMENT)
        self.assertIsNone(await self.c.exec(1, "ab"))

    async def test_invalid_argument_for_values_the_client_cannot_send(self):
        await self.create(1)
        for value in (2**63, INT64_MIN - 1, "5", 1.5):
            with self.assertRaises(InvalidArgument) as cm:
                await self.c.exec(1, "k", value)
            self.assertTrue(cm.exception.local)
        with self.assertRaises(InvalidArgument):
            await self.c.exec(1, "k", timeout=0)

    async def test_failed_precondition_for_a_wrong_version(self):
        peer = self.raw()
        for version in (0, 2):
            await peer.send_envelope(version=version, correlation_id=41 + version, body="stats_request")
            reply = await peer.recv()
            self.assertEqual(reply.status.code, StatusCode.FAILED_PRECONDITION, reply)
            self.assertEqual(reply.correlation_id, 41 + version)
            self.assertIsNone(reply.WhichOneof("body"))

    async def test_failed_precondition_for_a_descendant_parent(self):
        await self.create(1)
        w2 = await self.create(2, 1)
        w3 = await self.create(3, 2)
        # the child first: killed alone, 3 would be adopted by 1 (--orphans=adopt)
        w3.signal(signal.SIGKILL)
        self.assertTrue(await w3.wait_exit())
        w2.signal(signal.SIGKILL)
        self.assertTrue(await w2.wait_exit())
        async with self.c.watch() as watch:
            # both deaths are known to the controller once its LOST events went out
            states = {n.id: n.state for n in await self.c.topology()}
            while states.get(3) != NodeState.DEAD or states.get(2) != NodeState.DEAD:
                await watch.next(timeout=WAIT)
                states = {n.id: n.state for n in await self.c.topology()}
        for parent in (3, 2):
            with self.assertRaises(FailedPrecondition) as cm:
                await self.c.create(2, parent)
            self.assertCode(cm.exception, FailedPrecondition, StatusCode.FAILED_PRECONDITION)
        with self.assertRaises(Unavailable):
            await self.c.create(4, 3)

    async def test_cancelled_when_the_client_closes_with_calls_in_flight(self):
        w1 = await self.create(1)
        c2 = await self.client()
        await w1.stop()
        calls = [asyncio.ensure_future(c2.exec(1, "k", i, timeout=5)) for i in range(20)]
        await c2.stats()  # every exec above was sent before this (one socket, in order)
        self.assertEqual(c2.in_flight, 20)
        await c2.close()
        results = await self.within(asyncio.gather(*calls, return_exceptions=True))
        for r in results:
            self.assertIsInstance(r, Cancelled)
            self.assertCode(r, Cancelled, StatusCode.CANCELLED, local=True)
        with self.assertRaises(Cancelled):
            await c2.ping(1)
        w1.signal(signal.SIGCONT)
        self.assertTrue(await self.c.ping(1))


class ResourceExhaustedTest(ArborTest):
    controller_args = ("--max-client-in-flight", "8")

    async def test_resource_exhausted_beyond_the_in_flight_cap(self):
        w1 = await self.create(1)
        await w1.stop()
        results = await self.within(
            asyncio.gather(*[self.c.exec(1, "k", i, timeout=1.0) for i in range(20)], return_exceptions=True)
        )
        kinds = [type(r).__name__ for r in results]
        self.assertEqual(kinds.count("DeadlineExceeded"), 8, kinds)
        self.assertEqual(kinds.count("ResourceExhausted"), 12, kinds)
        for r in results:
            if isinstance(r, ResourceExhausted):
                self.assertEqual(r.code, StatusCode.RESOURCE_EXHAUSTED)
                self.assertFalse(r.local)
        w1.signal(signal.SIGCONT)
        self.assertIsNone(await self.c.exec(1, "k"))  # none of the late saves was applied
        # the cap is per client: another client is not affected
        c2 = await self.client()
        self.assertTrue(await c2.ping(1))


class SpawnFailsTest(ArborTest):
    """A copy of `arbor` next to an `arbor-worker` that cannot be executed (its
    interpreter does not exist), so posix_spawn itself fails."""

    def arbor_binary(self):
        self._bin_dir = harness.make_workdir()
        self.addCleanup(harness.remove_workdir, self._bin_dir)
        return harness.fake_arbor(self._bin_dir, "", interpreter="/nonexistent/arbor-test-sh")

    async def test_internal_when_the_worker_cannot_be_spawned(self):
        with self.assertRaises(Internal) as cm:
            await self.c.create(1)
        self.assertEqual(cm.exception.code, StatusCode.INTERNAL)
        self.assertFalse(cm.exception.local)
        self.assertTrue(cm.exception.message)  # the spawn error (the CLI prints it after "Spawn failed: ")


class WorkerExitsTest(ArborTest):
    """A fake `arbor-worker` that exits at once with code 3."""

    def arbor_binary(self):
        self._bin_dir = harness.make_workdir()
        self.addCleanup(harness.remove_workdir, self._bin_dir)
        return harness.fake_arbor(self._bin_dir, "exit 3")

    async def test_internal_when_the_worker_exits_before_hello(self):
        with self.assertRaises(Internal) as cm:
            await self.c.create(1)
        self.assertFalse(cm.exception.local)
        self.assertIn("3", cm.exception.message)


class WorkerSilentTest(ArborTest):
    """A fake `arbor-worker` that never says Hello."""

    controller_args = ("--hello-timeout-ms", "300")

    def arbor_binary(self):
        self._bin_dir = harness.make_workdir()
        self.addCleanup(harness.remove_workdir, self._bin_dir)
        return harness.fake_arbor(self._bin_dir, "exec sleep 30")

    async def test_deadline_exceeded_when_the_worker_does_not_say_hello(self):
        t0 = time.monotonic()
        with self.assertRaises(DeadlineExceeded) as cm:
            await self.c.create(1)
        self.assertFalse(cm.exception.local)
        self.assertLess(time.monotonic() - t0, 3.0)
        states = {n.id: n.state for n in await self.c.topology()}
        self.assertNotIn(states.get(1), (NodeState.AVAILABLE, NodeState.CREATING))


# =====================================================================================
class ConcurrencyTest(ArborTest):
    async def test_1000_concurrent_execs_all_resolve_correctly(self):
        await self.create(1)
        await self.create(2, 1)
        await self.create(3, 2)
        await self.create(4)
        first_id = self.c._next_id
        n = 1000
        node = lambda i: 1 + i % 4  # noqa: E731
        value = lambda i: (i * 7919 - 500_000) * (1 if i % 2 else -1)  # noqa: E731
        saves = await self.within(
            asyncio.gather(*[self.c.exec(node(i), f"k{i}", value(i)) for i in range(n)]), 30
        )
        self.assertEqual(saves, [None] * n)
        loads = await self.within(asyncio.gather(*[self.c.exec(node(i), f"k{i}") for i in range(n)]), 30)
        self.assertEqual(loads, [value(i) for i in range(n)])
        # a mix of every kind at once
        mixed = await self.within(
            asyncio.gather(
                *[self.c.exec(node(i), f"k{i}") for i in range(0, n, 2)],
                *[self.c.ping(node(i)) for i in range(0, n, 2)],
                self.c.topology(),
                self.c.stats(),
            ),
            30,
        )
        half = n // 2
        self.assertEqual(mixed[:half], [value(i) for i in range(0, n, 2)])
        self.assertEqual(mixed[half : 2 * half], [True] * half)
        self.assertEqual(len(mixed[-2]), 4)
        self.assertEqual(self.c._next_id, first_id + n + n + n + 2)  # one id per call, never reused
        stats = await self.c.stats()
        self.assertEqual(stats.pending, 0)
        self.assertEqual(stats.timed_out, 0)
        self.assertEqual(self.c.late_replies, 0)


# =====================================================================================
class WatchHeartbeatTest(ArborTest):
    async def test_stopped_worker_goes_unavailable_then_available(self):
        self.assertEqual(await self.c.heartbeat(100), 100)
        w1 = await self.create(1)
        await self.create(2, 1)
        w3 = await self.create(3)
        async with self.c.watch() as watch:
            await w1.stop()
            # the stopped node, and the node behind it
            await self.expect_event(watch, 1, EventKind.UNAVAILABLE)
            await self.expect_event(watch, 2, EventKind.UNAVAILABLE)
            states = {n.id: n.state for n in await self.c.topology()}
            self.assertEqual(states[1], NodeState.UNAVAILABLE)
            self.assertEqual(states[3], NodeState.AVAILABLE)
            self.assertTrue(await self.c.ping(3))  # the other subtree keeps answering
            w1.signal(signal.SIGCONT)
            await self.expect_event(watch, 1, EventKind.AVAILABLE)
            await self.expect_event(watch, 2, EventKind.AVAILABLE)
        self.assertTrue(await self.c.ping(2))
        self.assertFalse(w3.exited())

    async def test_async_for_sees_the_transition(self):
        await self.c.heartbeat(100)
        w1 = await self.create(1)
        kinds = []
        watch = self.c.watch()
        await watch.start()  # subscribed before the worker stops
        await w1.stop()
        async for ev in watch:
            if ev.id != 1:
                continue
            kinds.append(ev.kind)
            if ev.kind == EventKind.UNAVAILABLE:
                w1.signal(signal.SIGCONT)
            elif ev.kind == EventKind.AVAILABLE:
                break
        self.assertEqual(kinds, [EventKind.UNAVAILABLE, EventKind.AVAILABLE])


# =====================================================================================
class ClientsTest(ArborTest):
    async def test_a_client_that_disconnects_with_calls_in_flight(self):
        w1 = await self.create(1)
        await self.create(2)
        a = await self.client()
        await w1.stop()
        calls = [asyncio.ensure_future(a.exec(1 + i % 2, f"k{i}", i, timeout=10)) for i in range(200)]
        async with a.watch():
            await a.stats()  # all sent
            await a.close()  # gone with ~100 calls to a stopped node in flight and a watch open
        results = await self.within(asyncio.gather(*calls, return_exceptions=True))
        self.assertTrue(all(r is None or isinstance(r, Cancelled) for r in results), results)
        # a raw peer that fires requests and vanishes without reading a reply
        peer = self.raw()
        for i in range(1, 101):
            await peer.send_envelope(correlation_id=i, target=1, body="ping_request")
        peer.close()
        # the controller keeps serving another client
        b = await self.client()
        await b.exec(2, "k", 5)
        self.assertEqual(await b.exec(2, "k"), 5)
        self.assertEqual(len(await b.topology()), 2)
        w1.signal(signal.SIGCONT)
        self.assertTrue(await b.ping(1))
        stats = await b.stats()
        self.assertEqual(stats.nodes, 2)

    async def test_calls_after_close_are_cancelled(self):
        c = await self.client()
        await c.close()
        await c.close()  # idempotent
        with self.assertRaises(Cancelled):
            await c.stats()
        with self.assertRaises(Cancelled):
            await c.watch().start()


# =====================================================================================
class MalformedFramesTest(ArborTest):
    async def test_garbage_gets_invalid_argument_with_correlation_id_0(self):
        peer = self.raw()
        await peer.send(b"\xff\xff\xff\xff\xff")
        reply = await peer.recv()
        self.assertEqual(reply.status.code, StatusCode.INVALID_ARGUMENT, reply)
        self.assertEqual(reply.correlation_id, 0)
        self.assertTrue(reply.status.message)
        stats = await self.c.stats()
        self.assertEqual(stats.dropped_frames, 1)

    async def test_correlation_id_0_gets_invalid_argument(self):
        peer = self.raw()
        await peer.send_envelope(correlation_id=0, body="stats_request")
        reply = await peer.recv()
        self.assertEqual(reply.status.code, StatusCode.INVALID_ARGUMENT, reply)
        self.assertEqual(reply.correlation_id, 0)
        self.assertIsNone(reply.WhichOneof("body"))

    async def test_frames_that_parse_but_do_not_validate(self):
        await self.create(1)
        peer = self.raw()
        cases = [
            ("no body", harness.envelope(correlation_id=7, body=None).SerializeToString()),
            ("bad key", harness.envelope(correlation_id=8, target=1, body="exec_request", key="a-b").SerializeToString()),
        ]
        for what, frame in cases:
            await peer.send(frame)
            reply = await peer.recv()
            self.assertEqual(reply.status.code, StatusCode.INVALID_ARGUMENT, f"{what}: {reply}")
        # two frames in one message: not one Envelope
        await peer.send(harness.envelope(correlation_id=9).SerializeToString(), b"extra")
        reply = await peer.recv()
        self.assertEqual(reply.status.code, StatusCode.INVALID_ARGUMENT, reply)

    async def test_the_controller_keeps_serving_after_malformed_frames(self):
        await self.create(1)
        peer = self.raw()
        frames = [b"", b"\x00", b"\xff" * 100, os.urandom(1000), b"\x08\x01\x10\x00"]
        for f in frames:
            await peer.send(f)
        replies = [await peer.recv() for _ in frames]
        for r in replies:
            self.assertNotEqual(r.status.code, 0, r)
        await peer.send_envelope(correlation_id=5, target=1, body="ping_request")
        r = await peer.recv()
        self.assertEqual((r.correlation_id, r.status.code, r.ping_reply.answered), (5, 0, True))
        stats = await self.c.stats()
        self.assertGreaterEqual(stats.dropped_frames, 4)
        self.assertEqual(await self.c.exec(1, "k", 1), None)


# =====================================================================================
class ExampleTest(ArborTest):
    async def test_quickstart_runs(self):
        script = harness.PY_CLIENT_DIR / "examples" / "quickstart.py"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(script), self.endpoint,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await self.within(proc.communicate(), 30)
        self.assertEqual(proc.returncode, 0, err.decode())
        text = out.decode()
        self.assertIn("MyVar on 10 = 5", text)
        self.assertIn("10 pid", text)
        # the example leaves its tree running: track its workers for teardown
        for n in await self.c.topology():
            self.ctl.track(n.id, n.pid)


# =====================================================================================
class ClientMechanicsTest(AsyncTest):
    """What the client itself puts on the wire and does with replies, against a
    scripted ROUTER (a real controller cannot reorder or withhold replies on demand)."""

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.workdir = harness.make_workdir()
        self.addCleanup(harness.remove_workdir, self.workdir)
        self.ctx = zmq.asyncio.Context()
        self.addCleanup(self.ctx.term)
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.endpoint = f"ipc://{self.workdir}/fake"
        self.router.bind(self.endpoint)
        self.addCleanup(self.router.close)
        self.c = Client(self.endpoint, grace=0.2)
        await self.c.connect()
        self.addAsyncCleanup(self.c.close)

    async def recv(self):
        frames = await asyncio.wait_for(self.router.recv_multipart(), WAIT)
        self.assertEqual(len(frames), 2, "routing id + exactly one frame")
        env = pb.Envelope()
        env.ParseFromString(frames[1])
        return frames[0], env

    async def reply(self, rid, req, **kw):
        env = pb.Envelope(version=1, correlation_id=req.correlation_id, target=req.target)
        code = kw.pop("code", 0)
        env.status.code = code
        env.status.message = kw.pop("message", "")
        for field, fields in kw.items():
            msg = getattr(env, field)
            msg.SetInParent()
            for k, v in fields.items():
                setattr(msg, k, v)
        await self.router.send_multipart([rid, env.SerializeToString()])

    async def test_envelopes_ids_from_1_and_budgets(self):
        t1 = asyncio.ensure_future(self.c.exec(3, "k", 5, timeout=0.25))
        t2 = asyncio.ensure_future(self.c.create(4, 3))
        t3 = asyncio.ensure_future(self.c.exec(3, "k"))
        reqs = [await self.recv() for _ in range(3)]
        (rid, e1), (_, e2), (_, e3) = reqs
        self.assertEqual([e.correlation_id for _, e in reqs], [1, 2, 3])
        self.assertEqual([e.version for _, e in reqs], [1, 1, 1])
        self.assertEqual((e1.target, e1.budget_ms, e1.exec_request.key, e1.exec_request.value), (3, 250, "k", 5))
        self.assertTrue(e1.exec_request.HasField("value"))
        self.assertEqual((e2.target, e2.budget_ms, e2.create_request.child_id, e2.create_request.parent), (-1, 0, 4, 3))
        self.assertFalse(e3.exec_request.HasField("value"))
        # replies in reverse order are matched by id
        await self.reply(rid, e3, exec_reply={"found": True, "value": -8})
        await self.reply(rid, e2, create_reply={"id": 4, "pid": 4242})
        await self.reply(rid, e1, exec_reply={"found": True})
        self.assertEqual(await asyncio.wait_for(t3, WAIT), -8)
        self.assertEqual(await asyncio.wait_for(t2, WAIT), 4242)
        self.assertIsNone(await asyncio.wait_for(t1, WAIT))

    async def test_every_status_code_maps_to_its_exception(self):
        table = {
            1: Cancelled, 3: InvalidArgument, 4: DeadlineExceeded, 5: NotFound, 6: AlreadyExists,
            8: ResourceExhausted, 9: FailedPrecondition, 13: Internal, 14: Unavailable,
        }
        for code, cls in table.items():
            call = asyncio.ensure_future(self.c.ping(1))
            rid, req = await self.recv()
            await self.reply(rid, req, code=code, message=f"m{code}")
            with self.assertRaises(cls) as cm:
                await asyncio.wait_for(call, WAIT)
            self.assertEqual((cm.exception.code, cm.exception.message, cm.exception.local), (code, f"m{code}", False))
            self.assertIs(type(error_for(code)), cls)
        call = asyncio.ensure_future(self.c.ping(1))
        rid, req = await self.recv()
        await self.reply(rid, req, code=12, message="unimplemented")
        with self.assertRaises(ArborError) as cm:
            await asyncio.wait_for(call, WAIT)
        self.assertEqual(cm.exception.code, StatusCode.UNIMPLEMENTED)

    async def test_local_deadline_and_late_replies(self):
        t0 = time.monotonic()
        call = asyncio.ensure_future(self.c.ping(1, timeout=0.1))
        rid, req = await self.recv()
        self.assertEqual(req.budget_ms, 100)
        with self.assertRaises(DeadlineExceeded) as cm:
            await asyncio.wait_for(call, WAIT)
        self.assertTrue(cm.exception.local)
        self.assertGreaterEqual(time.monotonic() - t0, 0.1 + 0.2 - 0.01)
        await self.reply(rid, req, ping_reply={"answered": True})  # too late
        await self.router.send_multipart([rid, b"\xff\xff"])  # garbage from the server
        call = asyncio.ensure_future(self.c.stats())
        rid, req = await self.recv()
        await self.reply(rid, req, stats_reply={"nodes": 3})
        self.assertEqual((await asyncio.wait_for(call, WAIT)).nodes, 3)
        self.assertEqual(self.c.late_replies, 1)
        self.assertEqual(self.c.dropped_frames, 1)

    async def test_a_reply_with_the_wrong_body_is_internal(self):
        call = asyncio.ensure_future(self.c.ping(1))
        rid, req = await self.recv()
        await self.reply(rid, req, exec_reply={"found": True})
        with self.assertRaises(Internal) as cm:
            await asyncio.wait_for(call, WAIT)
        self.assertTrue(cm.exception.local)

    async def test_watch_events_then_unwatch(self):
        async def server():
            rid, w = await self.recv()
            self.assertEqual(w.WhichOneof("body"), "watch_request")
            await self.reply(rid, w)
            for i in (1, 2):
                ev = pb.Envelope(version=1, correlation_id=w.correlation_id)
                ev.node_event.id = i
                ev.node_event.kind = pb.NODE_EVENT_CREATED
                ev.node_event.pid = 100 + i
                await self.router.send_multipart([rid, ev.SerializeToString()])
            rid, u = await self.recv()
            self.assertEqual(u.WhichOneof("body"), "unwatch_request")
            self.assertEqual(u.unwatch_request.watch_id, w.correlation_id)
            self.assertNotEqual(u.correlation_id, w.correlation_id)
            await self.reply(rid, u)

        srv = asyncio.ensure_future(server())
        got = []
        async with self.c.watch() as watch:
            async for ev in watch:
                got.append((ev.id, ev.kind, ev.pid))
                if len(got) == 2:
                    break
        await asyncio.wait_for(srv, WAIT)
        self.assertEqual(got, [(1, EventKind.CREATED, 101), (2, EventKind.CREATED, 102)])
        self.assertEqual(self.c.in_flight, 0)

    async def test_close_cancels_calls_and_ends_watches(self):
        watch = self.c.watch()
        start = asyncio.ensure_future(watch.start())
        rid, w = await self.recv()
        await self.reply(rid, w)
        await asyncio.wait_for(start, WAIT)
        calls = [asyncio.ensure_future(self.c.exec(1, "k")) for _ in range(5)]
        for _ in calls:
            await self.recv()
        self.assertEqual(self.c.in_flight, 5)
        await self.c.close()
        for r in await asyncio.gather(*calls, return_exceptions=True):
            self.assertIsInstance(r, Cancelled)
        with self.assertRaises(StopAsyncIteration):
            await watch.next(timeout=1)


if __name__ == "__main__":
    unittest.main()
