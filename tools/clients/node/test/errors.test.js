// Every failure code of docs/CLIENT_PROTOCOL.md, each as its typed error, against a
// real controller (and real or fake workers).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  AlreadyExists,
  ArborError,
  DeadlineExceeded,
  FailedPrecondition,
  Internal,
  InvalidArgument,
  NotFound,
  ResourceExhausted,
  StatusCode,
  Unavailable,
} from '../src/client.js';
import { EventLog, expectError, fakeWorkerArbor, startController, within } from '../testing/harness.js';

test('NOT_FOUND: exec, ping, remove of an unknown node, create under an unknown parent, unwatch of an unknown watch', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const e = await expectError(c.exec(9, 'k'), NotFound, StatusCode.NOT_FOUND);
  assert.ok(e instanceof ArborError);
  assert.equal(e.codeName, 'NOT_FOUND');
  assert.equal(e.target, 9);
  assert.equal(typeof e.correlationId, 'number');
  await expectError(c.exec(9, 'k', 1), NotFound, StatusCode.NOT_FOUND);
  await expectError(c.ping(9), NotFound, StatusCode.NOT_FOUND);
  await expectError(c.remove(9), NotFound, StatusCode.NOT_FOUND);
  await expectError(c.create(1, 77), NotFound, StatusCode.NOT_FOUND);
  await expectError(c.request('unwatchRequest', { watchId: 12345 }, { expect: null }), NotFound, StatusCode.NOT_FOUND);
  assert.deepEqual(await c.topology(), [], 'the failed create left nothing behind');
});

test('ALREADY_EXISTS: creating a live id again, under any parent', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  await c.create(1);
  await c.create(2, 1);
  await expectError(c.create(1), AlreadyExists, StatusCode.ALREADY_EXISTS);
  await expectError(c.create(2, -1), AlreadyExists, StatusCode.ALREADY_EXISTS);
  await expectError(c.create(1, 2), AlreadyExists, StatusCode.ALREADY_EXISTS);
  assert.equal((await c.topology()).length, 2);
});

test('UNAVAILABLE: a worker killed with -9 (by the pid create returned)', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const log = new EventLog();
  await c.watch(log.handler);
  const pid = await c.create(1);
  await c.create(2);
  await c.exec(1, 'k', 1);
  await ctl.signal(pid, 'SIGKILL');
  assert.deepEqual(await log.next({ id: 1, kind: 'lost' }), { id: 1, kind: 'lost', pid, watchId: 1 });

  await expectError(c.exec(1, 'k'), Unavailable, StatusCode.UNAVAILABLE);
  await expectError(c.exec(1, 'k', 2), Unavailable, StatusCode.UNAVAILABLE);
  await expectError(c.create(3, 1), Unavailable, StatusCode.UNAVAILABLE, { what: 'create under a dead parent' });
  assert.equal(await c.ping(1), false, 'ping answers false for a dead node');
  const row = (await c.topology()).find((n) => n.id === 1);
  assert.deepEqual(row, { id: 1, parent: -1, pid, state: 'dead', depth: 0 });
  assert.equal(await c.ping(2), true, 'its sibling keeps working');

  await c.remove(1); // a dead node is purged
  await log.next({ id: 1, kind: 'removed' });
  await expectError(c.exec(1, 'k'), NotFound, StatusCode.NOT_FOUND);
  const pid1 = await c.create(1); // the id is free again
  assert.notEqual(pid1, pid);
  assert.equal(await c.exec(1, 'k'), null, 'a new worker starts empty');
});

test('DEADLINE_EXCEEDED: a SIGSTOPped worker and a short timeout; a frozen worker never applies a late save', async (t) => {
  const ctl = await startController(t);
  // A long grace: the verdict must be the controller's, not the local timer's.
  const c = await ctl.client({ graceMs: 5000 });
  const pid = await c.create(1);
  const pid2 = await c.create(2, 1);
  await c.exec(1, 'k', 1);
  await ctl.signal(pid, 'SIGSTOP');

  const started = Date.now();
  const err = await expectError(c.exec(1, 'k', 2, { timeoutMs: 300 }), DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - started >= 290, `not before the budget (${Date.now() - started} ms)`);
  assert.equal(err.target, 1);
  await expectError(c.exec(1, 'k', { timeoutMs: 200 }), DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED);
  await expectError(c.exec(2, 'k', { timeoutMs: 200 }), DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED, {
    what: 'a child behind the frozen parent',
  });
  await expectError(c.remove(2, { timeoutMs: 200 }), DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED, { what: 'remove' });
  assert.equal(await c.ping(1, { timeoutMs: 200 }), false, 'ping answers false, not an error');

  await ctl.signal(pid, 'SIGCONT');
  assert.equal(await c.exec(1, 'k'), 1, 'the save that timed out was never applied');
  assert.equal(await c.ping(2), true);
  assert.deepEqual(
    (await c.topology()).map((n) => [n.id, n.pid]),
    [
      [1, pid],
      [2, pid2],
    ],
  );
});

test('DEADLINE_EXCEEDED on create: a worker that never says Hello', async (t) => {
  const bin = fakeWorkerArbor(t, '#!/bin/sh\nexec sleep 60\n');
  const ctl = await startController(t, { bin, args: ['--hello-timeout-ms=300'] });
  const c = await ctl.client();
  await expectError(c.create(1), DeadlineExceeded, StatusCode.DEADLINE_EXCEEDED);
  assert.deepEqual(await c.topology(), []);
});

test('INTERNAL on create: the worker exits before its Hello (spawn failed)', async (t) => {
  const bin = fakeWorkerArbor(t, '#!/bin/sh\nexit 3\n');
  const ctl = await startController(t, { bin });
  const c = await ctl.client();
  const err = await expectError(c.create(1), Internal, StatusCode.INTERNAL);
  assert.match(err.message, /exited with code 3/);
  await expectError(c.ping(1), NotFound, StatusCode.NOT_FOUND);
});

test('INVALID_ARGUMENT: bad keys and out-of-range ids, answered by the controller', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  await c.create(1);
  for (const key of ['a-b', '', 'x'.repeat(65), 'sp ace', 'é']) {
    await expectError(c.exec(1, key, 1), InvalidArgument, StatusCode.INVALID_ARGUMENT, { what: `key ${JSON.stringify(key)}` });
    await expectError(c.exec(1, key), InvalidArgument, StatusCode.INVALID_ARGUMENT, { what: `load ${JSON.stringify(key)}` });
  }
  await c.exec(1, 'x'.repeat(64), 1); // the longest valid key
  await expectError(c.create(-5), InvalidArgument, StatusCode.INVALID_ARGUMENT, { what: 'negative child id' });
  await expectError(c.create(2 ** 31), InvalidArgument, StatusCode.INVALID_ARGUMENT, { what: 'child id 2^31' });
  await expectError(c.create(2, -7), InvalidArgument, StatusCode.INVALID_ARGUMENT, { what: 'parent -7' });
  assert.equal(await c.ping(1), true, 'the client keeps working');
});

test('invalid arguments caught locally never reach the wire', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const before = (await c.stats()).droppedFrames;
  await expectError(c.exec(1, 'k', 1.5), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  await expectError(c.exec(1, 'k', 2 ** 53), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  await expectError(c.exec(1, 'k', 2n ** 63n), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  await expectError(c.exec('1', 'k'), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  await expectError(c.exec(1, 7), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  await expectError(c.heartbeat(-1), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  await expectError(c.ping(1, { timeoutMs: 0 }), InvalidArgument, StatusCode.INVALID_ARGUMENT, { local: true });
  assert.equal((await c.stats()).droppedFrames, before);
});

test('FAILED_PRECONDITION: re-creating a dead node under its own subtree', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const log = new EventLog();
  await c.watch(log.handler);
  await c.create(1);
  const p2 = await c.create(2, 1);
  const p3 = await c.create(3, 2);
  // The child first: killed alone, 3 would be adopted by 1 (--orphans=adopt).
  await ctl.signal(p3, 'SIGKILL');
  await log.next({ id: 3, kind: 'lost', pid: p3 });
  await ctl.signal(p2, 'SIGKILL');
  await log.next({ id: 2, kind: 'lost', pid: p2 });
  await expectError(c.create(2, 3), FailedPrecondition, StatusCode.FAILED_PRECONDITION, { what: 'parent is a child of id' });
  await expectError(c.create(2, 2), FailedPrecondition, StatusCode.FAILED_PRECONDITION, { what: 'parent is id itself' });
  await expectError(c.create(4, 3), Unavailable, StatusCode.UNAVAILABLE, { what: 'parent is dead' });
  const p2b = await c.create(2, 1); // elsewhere it may come back
  assert.ok(p2b > 1 && p2b !== p2);
});

test('RESOURCE_EXHAUSTED: more calls in flight than --max-client-in-flight, per client', async (t) => {
  const ctl = await startController(t, { args: ['--max-client-in-flight', '2'] });
  const c = await ctl.client();
  const other = await ctl.client();
  const pid = await c.create(1);
  await ctl.signal(pid, 'SIGSTOP');
  const held = [c.exec(1, 'k', { timeoutMs: 3000 }), c.exec(1, 'k', { timeoutMs: 3000 })];
  await expectError(c.exec(1, 'k', { timeoutMs: 3000 }), ResourceExhausted, StatusCode.RESOURCE_EXHAUSTED);
  await expectError(c.stats(), ResourceExhausted, StatusCode.RESOURCE_EXHAUSTED, { what: 'any request counts' });
  assert.equal((await other.stats()).nodes, 1, 'another client has its own budget');
  await ctl.signal(pid, 'SIGCONT');
  const outcomes = await within(Promise.allSettled(held), 10000, 'the held calls end');
  for (const o of outcomes) {
    assert.ok(o.status === 'fulfilled' || o.reason instanceof DeadlineExceeded, String(o.reason));
  }
  assert.equal(await c.exec(1, 'k'), null, 'room again once they ended');
});
