"""The Python client over CURVE against a real controller (`arbor --listen
tcp://127.0.0.1:* --client-keys DIR`): the listed key works; no key, an unlisted
key and a wrong server key fail with a clear error well before the call's
deadline, never a hang; bad key files and keys are refused locally."""

from __future__ import annotations

import os
import subprocess
import time

import zmq

from arbor_client import (
    Client,
    CurveKeys,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
    read_endpoint_file,
    read_key_file,
)

from . import harness
from .harness import WAIT
from .test_client import AsyncTest

PATIENT = 5.0  # each refused call's own deadline: the error must come well before it


def keygen(path: str) -> None:
    """`arbor keygen PATH`, as a user makes a key pair."""
    done = subprocess.run([harness.ARBOR_BIN, "keygen", path], capture_output=True, timeout=WAIT)
    assert done.returncode == 0, done.stderr


class CurveTest(AsyncTest):
    """A controller with alice.pub in its --client-keys directory."""

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.workdir = harness.make_workdir()
        self.addCleanup(harness.remove_workdir, self.workdir)
        keys = os.path.join(self.workdir, "clients")
        os.mkdir(keys, 0o700)
        self.alice = os.path.join(self.workdir, "alice")
        keygen(self.alice)
        os.rename(self.alice + ".pub", os.path.join(keys, "alice.pub"))
        self.mallory = os.path.join(self.workdir, "mallory")
        keygen(self.mallory)
        self.ctl = harness.Controller(self.workdir, args=["--client-keys", keys], transport="tcp")
        self.addAsyncCleanup(self._stop)
        self.endpoint = await self.ctl.start()
        # Written before the controller announces its endpoint on stderr.
        self.file = read_endpoint_file(self.ctl.endpoint_file)
        self.clients: list[Client] = []

    async def _stop(self):
        for c in self.clients:
            await c.close()
        problems = await self.ctl.stop()
        self.assertEqual(problems, [], self.ctl.transcript())

    async def client(self, curve: CurveKeys | None) -> Client:
        c = Client(self.file.endpoint, curve=curve)
        await c.connect()
        self.clients.append(c)
        return c

    async def assertRefused(self, c: Client, cls, words: str):
        start = time.monotonic()
        with self.assertRaises(cls) as caught:
            await c.create(1, timeout=PATIENT)  # in flight while the handshake fails
        self.assertIn(words, caught.exception.message)
        self.assertTrue(caught.exception.local)
        self.assertLess(time.monotonic() - start, PATIENT - 1, "detected, not timed out")
        start = time.monotonic()
        with self.assertRaises(cls):
            await c.exec(1, "k", timeout=PATIENT)
        self.assertLess(time.monotonic() - start, 1.0, "a later call fails at once")

    async def test_the_endpoint_file_names_the_server_key(self):
        self.assertEqual(self.file.endpoint, self.endpoint)
        self.assertEqual(len(self.file.server_key), 40)
        with open(self.ctl.endpoint_file) as f:
            self.assertEqual(f.read(), f"{self.endpoint}\ncurve-server-key {self.file.server_key}\n")

    async def test_the_listed_key_creates_and_execs(self):
        c = await self.client(CurveKeys.from_files(self.alice, self.file.server_key))
        pid = await c.create(1, timeout=WAIT)
        self.ctl.track(1, pid)
        await c.exec(1, "k", 42)
        self.assertEqual(await c.exec(1, "k"), 42)

    async def test_no_key_is_told_the_controller_requires_curve(self):
        c = await self.client(None)
        await self.assertRefused(c, Unauthenticated, "requires a CURVE key pair")

    async def test_an_unlisted_key_is_refused(self):
        c = await self.client(CurveKeys.from_files(self.mallory, self.file.server_key))
        await self.assertRefused(c, PermissionDenied, "the controller refused this client's key")

    async def test_a_wrong_server_key_is_told(self):
        other, _ = zmq.curve_keypair()
        c = await self.client(CurveKeys.from_files(self.alice, other.decode()))
        await self.assertRefused(c, Unauthenticated, "the server's key does not match")

    async def test_bad_keys_are_refused_locally(self):
        alice = CurveKeys.from_files(self.alice, self.file.server_key)
        mallory = CurveKeys.from_files(self.mallory, self.file.server_key)
        for bad in (
            CurveKeys(alice.public, mallory.secret, alice.server_public),
            CurveKeys("short", alice.secret, alice.server_public),
            CurveKeys(alice.public, alice.secret, "x" * 40 + "y"),
        ):
            with self.assertRaises(InvalidArgument):
                await Client(self.file.endpoint, curve=bad).connect()
        with self.assertRaises(InvalidArgument):
            CurveKeys.from_files(self.alice + ".pub", self.file.server_key)  # a public key file
        os.chmod(self.mallory, 0o644)
        with self.assertRaises(InvalidArgument) as caught:
            CurveKeys.from_files(self.mallory, self.file.server_key)
        self.assertIn("mode 0644", caught.exception.message)
        with self.assertRaises(FileNotFoundError):
            CurveKeys.from_files(os.path.join(self.workdir, "nobody"), self.file.server_key)
        junk = os.path.join(self.workdir, "junk")
        with open(junk, "w") as f:
            f.write("# a comment\nnot a key\n")
        with self.assertRaises(InvalidArgument):
            read_key_file(junk)
        self.assertEqual(read_key_file(self.mallory + ".pub"), mallory.public)
