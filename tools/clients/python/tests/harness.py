"""Test harness: a real `arbor` controller per test, and raw ZeroMQ peers.

- The controller runs with `--listen ipc://<tmp>/c --no-stdin` (or tcp with an
  endpoint file), its own fresh TMPDIR inside the test's directory, stdin on
  /dev/null, stdout and stderr on pipes that a task always drains (a chatty
  process never blocks on them; the text is printed when a test fails).
- Readiness is never waited for with sleeps: a client's first request simply
  waits for its reply (a DEALER queues until the connection is made), and the
  tcp endpoint is read once the controller has announced it on stderr.
- Workers are tracked by the pids `create` returned, through pidfds, so a
  recycled pid is never signalled. Only those workers and the controller itself
  are ever signalled.
- Stop: SIGCONT whatever the test stopped, SIGTERM the controller, wait for it
  (it must exit 0), then every tracked worker must have exited.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import select
import shutil
import signal
import sys
import tempfile
import time

import zmq
import zmq.asyncio

from arbor_client._proto import pb

HERE = pathlib.Path(__file__).resolve().parent
PY_CLIENT_DIR = HERE.parent
REPO = PY_CLIENT_DIR.parents[2]
ARBOR_BIN = os.environ.get("ARBOR_BIN") or str(REPO / "build" / "arbor")

WAIT = 10.0  # the longest any single step may take before the test calls it a failure

_ANNOUNCE = re.compile(rb"clients connect to (\S+)")


def threads_stopped(pid: int) -> bool:
    """True when every thread of `pid` is in state T (its group stop is complete).
    kill(SIGSTOP) returns before that: in a multi-threaded process (libzmq has I/O
    threads) a thread may still run user code for a moment, e.g. apply a request."""
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state not in ("T", "t"):
                return False
        return True
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


async def wait_stopped(pid: int, timeout: float = WAIT, gone=lambda: False) -> None:
    """Waits (bounded) until `pid` is stopped in every thread: polls a state with a
    deadline, never sleeps a guessed time."""
    deadline = time.monotonic() + timeout
    while not threads_stopped(pid):
        if gone() or time.monotonic() > deadline:
            raise AssertionError(f"pid {pid} did not stop")
        await asyncio.sleep(0.0005)


class Worker:
    """A worker process the controller started for us (pid from create), held by a pidfd."""

    def __init__(self, node_id: int, pid: int):
        self.id = node_id
        self.pid = pid
        self.fd = os.pidfd_open(pid)
        self.stopped = False

    def signal(self, sig: int) -> None:
        signal.pidfd_send_signal(self.fd, sig)
        if sig == signal.SIGSTOP:
            self.stopped = True
        elif sig in (signal.SIGCONT, signal.SIGKILL):
            self.stopped = False

    async def stop(self, timeout: float = WAIT) -> None:
        """SIGSTOP, then wait until the stop has taken effect in every thread."""
        self.signal(signal.SIGSTOP)
        await wait_stopped(self.pid, timeout, gone=self.exited)

    def exited(self) -> bool:
        r, _, _ = select.select([self.fd], [], [], 0)
        return bool(r)

    async def wait_exit(self, timeout: float = WAIT) -> bool:
        """True once the process has exited (pidfd readable), False at the deadline."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.add_reader(self.fd, lambda: fut.done() or fut.set_result(True))
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            loop.remove_reader(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Controller:
    """One `arbor` controller listening for clients."""

    def __init__(self, workdir: str, *, args=(), binary: str = ARBOR_BIN, transport: str = "ipc"):
        self.workdir = pathlib.Path(workdir)
        self.args = list(args)
        self.binary = binary
        self.transport = transport
        self.endpoint: str | None = None
        self.endpoint_file = self.workdir / "endpoint"
        self.proc: asyncio.subprocess.Process | None = None
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._drains: list[asyncio.Task] = []
        self._announced: asyncio.Future | None = None
        self.workers: dict[int, Worker] = {}  # by pid
        self.stopped_self = False
        self.returncode: int | None = None

    def argv(self) -> list[str]:
        if self.transport == "ipc":
            self.endpoint = f"ipc://{self.workdir}/c"
            listen = ["--listen", self.endpoint]
        else:
            listen = ["--listen", "tcp://127.0.0.1:*", "--endpoint-file", str(self.endpoint_file)]
        return [self.binary, *listen, "--no-stdin", *self.args]

    async def start(self) -> str:
        tmp = self.workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        env = dict(os.environ, TMPDIR=str(tmp))
        loop = asyncio.get_running_loop()
        self._announced = loop.create_future()
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self._drains = [
            loop.create_task(self._drain(self.proc.stdout, self.stdout, False)),
            loop.create_task(self._drain(self.proc.stderr, self.stderr, True)),
        ]
        if self.transport != "ipc":
            done, _ = await asyncio.wait(
                [self._announced, loop.create_task(self.proc.wait())],
                timeout=WAIT,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not self._announced.done():
                raise AssertionError(f"the controller did not announce its client endpoint:\n{self.transcript()}")
            self.endpoint = self._announced.result()
        return self.endpoint

    async def _drain(self, stream, buf: bytearray, watch_announce: bool) -> None:
        while True:
            line = await stream.readline()
            if not line:
                return
            buf += line
            if watch_announce and not self._announced.done():
                m = _ANNOUNCE.search(line)
                if m:
                    self._announced.set_result(m.group(1).decode())

    def track(self, node_id: int, pid: int) -> Worker:
        w = Worker(node_id, pid)
        self.workers[pid] = w
        return w

    def signal_self(self, sig: int) -> None:
        """Signals the controller process itself (our own child)."""
        self.proc.send_signal(sig)
        if sig == signal.SIGSTOP:
            self.stopped_self = True
        elif sig == signal.SIGCONT:
            self.stopped_self = False

    async def freeze(self) -> None:
        """SIGSTOP the controller and wait until every thread of it has stopped."""
        self.signal_self(signal.SIGSTOP)
        await wait_stopped(self.proc.pid)

    async def stop(self) -> list[str]:
        """SIGCONT, SIGTERM, wait. Returns the problems found (empty: clean)."""
        problems = []
        if self.proc is None:
            return problems
        for w in self.workers.values():
            if w.stopped and not w.exited():
                w.signal(signal.SIGCONT)
        if self.proc.returncode is None:
            if self.stopped_self:
                self.signal_self(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), WAIT)
            except asyncio.TimeoutError:
                problems.append("the controller did not exit within %.0f s of SIGTERM" % WAIT)
                self.proc.kill()
                await self.proc.wait()
        self.returncode = self.proc.returncode
        if self.returncode != 0:
            problems.append(f"the controller exited with {self.returncode}, expected 0")
        for w in self.workers.values():
            if not await w.wait_exit(WAIT):
                problems.append(f"worker {w.id} (pid {w.pid}) still runs after the controller exited")
                w.signal(signal.SIGKILL)
            w.close()
        try:
            await asyncio.wait_for(asyncio.gather(*self._drains), WAIT)
        except asyncio.TimeoutError:
            problems.append("the controller's stdout/stderr did not reach EOF")
            for t in self._drains:
                t.cancel()
        return problems

    def transcript(self) -> str:
        return (
            f"--- {' '.join(self.argv())}\n--- stdout:\n{self.stdout.decode(errors='replace')}"
            f"--- stderr:\n{self.stderr.decode(errors='replace')}"
        )


def make_workdir() -> str:
    # Short, so the ipc path stays far below the 107-byte limit.
    return tempfile.mkdtemp(prefix="arbor-py-")


def remove_workdir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def fake_arbor(workdir: str, worker_script: str | None, interpreter: str = "/bin/sh") -> str:
    """A copy of the real `arbor` in a directory of its own, next to a fake
    `arbor-worker` shell script (or none at all). The controller spawns the
    `arbor-worker` next to its own executable, so this controls what it spawns."""
    d = pathlib.Path(workdir) / "fakebin"
    d.mkdir()
    dst = d / "arbor"
    shutil.copy2(ARBOR_BIN, dst)
    if worker_script is not None:
        w = d / "arbor-worker"
        w.write_text(f"#!{interpreter}\n{worker_script}\n")
        w.chmod(0o755)
    return str(dst)


class RawPeer:
    """A bare DEALER on the client endpoint, for frames no Client would send."""

    def __init__(self, ctx: zmq.asyncio.Context, endpoint: str):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    async def send(self, *frames: bytes) -> None:
        await self.sock.send_multipart(list(frames))

    async def send_envelope(self, **fields) -> None:
        await self.send(envelope(**fields).SerializeToString())

    async def recv(self, timeout: float = WAIT) -> "pb.Envelope":
        frames = await asyncio.wait_for(self.sock.recv_multipart(), timeout)
        assert len(frames) == 1, f"a reply of {len(frames)} frames"
        env = pb.Envelope()
        env.ParseFromString(frames[0])
        return env

    def close(self) -> None:
        self.sock.close(linger=0)


def envelope(*, body: str = "stats_request", version: int = 1, correlation_id: int = 1, target: int = -1, budget_ms: int = 0, **body_fields):
    env = pb.Envelope(version=version, correlation_id=correlation_id, target=target, budget_ms=budget_ms)
    if body:
        msg = getattr(env, body)
        msg.SetInParent()
        for k, v in body_fields.items():
            setattr(msg, k, v)
    return env


def monotonic() -> float:
    return time.monotonic()


def eprint(*a) -> None:
    print(*a, file=sys.stderr, flush=True)
