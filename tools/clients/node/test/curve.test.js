// The Node client over CURVE against a real controller (`arbor --listen
// tcp://127.0.0.1:* --client-keys DIR`): the listed key works; no key, an unlisted
// key and a wrong server key fail with a clear error well before the call's
// deadline, never a hang; bad keys and key files are refused locally.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import zmq from 'zeromq';

import {
  Client,
  InvalidArgument,
  PermissionDenied,
  StatusCode,
  Unauthenticated,
  curveKeysFromFiles,
  readEndpointFile,
  readKeyFile,
} from '../src/client.js';
import { ARBOR_BIN, ARBOR_PROTO, expectError, startController, tempDir } from '../testing/harness.js';

const PATIENT_MS = 5000; // each refused call's own deadline: the error must come well before it

/** A controller with alice.pub in its --client-keys directory; alice's and mallory's secret key files. */
async function curveController(t) {
  const dir = tempDir(t);
  const keys = path.join(dir, 'clients');
  fs.mkdirSync(keys, { mode: 0o700 });
  const alice = path.join(dir, 'alice');
  const mallory = path.join(dir, 'mallory');
  execFileSync(ARBOR_BIN, ['keygen', alice]); // as a user makes a key pair
  execFileSync(ARBOR_BIN, ['keygen', mallory]);
  fs.renameSync(`${alice}.pub`, path.join(keys, 'alice.pub'));
  const ctl = await startController(t, { transport: 'tcp', args: ['--client-keys', keys] });
  const file = readEndpointFile(ctl.endpointFile);
  return { ctl, file, alice, mallory, dir };
}

async function connect(ctl, file, curve) {
  const c = await Client.connect(file.endpoint, { protoPath: ARBOR_PROTO, curve });
  ctl.clients.push(c);
  return c;
}

async function expectRefused(c, Cls, code, words) {
  let start = Date.now();
  const err = await expectError(c.create(1, { timeoutMs: PATIENT_MS }), Cls, code, { local: true, ms: PATIENT_MS + 2000 });
  assert.ok(err.message.includes(words), err.message);
  assert.ok(Date.now() - start < PATIENT_MS - 1000, 'detected, not timed out');
  start = Date.now();
  await expectError(c.exec(1, 'k', { timeoutMs: PATIENT_MS }), Cls, code, { local: true });
  assert.ok(Date.now() - start < 1000, 'a later call fails at once');
}

test('CURVE: the endpoint file names the server key; the listed key creates and execs', async (t) => {
  const { ctl, file, alice } = await curveController(t);
  assert.equal(file.endpoint, ctl.printedEndpoint);
  assert.equal(fs.readFileSync(ctl.endpointFile, 'utf8'), `${file.endpoint}\ncurve-server-key ${file.serverKey}\n`);
  const c = await connect(ctl, file, curveKeysFromFiles(alice, file.serverKey));
  assert.ok((await c.create(1)) > 1);
  await c.exec(1, 'k', 42);
  assert.equal(await c.exec(1, 'k'), 42);
});

test('CURVE: no key is told the controller requires CURVE', async (t) => {
  const { ctl, file } = await curveController(t);
  const c = await connect(ctl, file, undefined);
  await expectRefused(c, Unauthenticated, StatusCode.UNAUTHENTICATED, 'requires a CURVE key pair');
});

test('CURVE: an unlisted key is refused', async (t) => {
  const { ctl, file, mallory } = await curveController(t);
  const c = await connect(ctl, file, curveKeysFromFiles(mallory, file.serverKey));
  await expectRefused(c, PermissionDenied, StatusCode.PERMISSION_DENIED, "the controller refused this client's key");
});

test('CURVE: a wrong server key is told', async (t) => {
  const { ctl, file, alice } = await curveController(t);
  const c = await connect(ctl, file, curveKeysFromFiles(alice, zmq.curveKeyPair().publicKey));
  await expectRefused(c, Unauthenticated, StatusCode.UNAUTHENTICATED, "the server's key does not match");
});

test('CURVE: bad keys and key files are refused locally', async (t) => {
  const { file, alice, mallory, dir } = await curveController(t);
  const a = curveKeysFromFiles(alice, file.serverKey);
  const m = curveKeysFromFiles(mallory, file.serverKey);
  for (const bad of [
    { publicKey: a.publicKey, secretKey: m.secretKey, serverKey: a.serverKey },
    { publicKey: 'short', secretKey: a.secretKey, serverKey: a.serverKey },
    { publicKey: a.publicKey, secretKey: a.secretKey, serverKey: 'x' },
  ]) {
    assert.throws(() => new Client(file.endpoint, { protoPath: ARBOR_PROTO, curve: bad }), InvalidArgument);
  }
  assert.throws(() => curveKeysFromFiles(`${mallory}.pub`, file.serverKey), /is a public key file/);
  fs.chmodSync(mallory, 0o644);
  assert.throws(() => curveKeysFromFiles(mallory, file.serverKey), /mode 0644/);
  assert.throws(() => curveKeysFromFiles(path.join(dir, 'nobody'), file.serverKey), /ENOENT/);
  fs.writeFileSync(path.join(dir, 'junk'), '# a comment\nnot a key\n');
  assert.throws(() => readKeyFile(path.join(dir, 'junk')), InvalidArgument);
  assert.equal(readKeyFile(`${mallory}.pub`), m.publicKey);
});
