// Every request kind of docs/CLIENT_PROTOCOL.md against a real controller, OK paths.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { Client, EventKind, NodeState } from '../src/client.js';
import { EventLog, startController, within } from '../testing/harness.js';

function isRunning(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

test('create, exec save/load, ping, remove, heartbeat, topology and stats over ipc', async (t) => {
  const ctl = await startController(t);
  assert.match(ctl.endpoint, /^ipc:\/\//);
  assert.equal(ctl.printedEndpoint, ctl.endpoint);
  assert.equal(fs.statSync(ctl.endpoint.slice('ipc://'.length)).mode & 0o777, 0o600, 'the ipc socket is 0600');
  const c = await ctl.client();

  const p1 = await c.create(1, -1);
  const p2 = await c.create(2, 1);
  assert.ok(Number.isInteger(p1) && p1 > 1 && isRunning(p1), `pid ${p1} runs`);
  assert.ok(Number.isInteger(p2) && p2 > 1 && p2 !== p1 && isRunning(p2));

  assert.equal(await c.exec(1, 'MyVar', 5), undefined, 'a save resolves undefined');
  assert.equal(await c.exec(1, 'MyVar'), 5);
  assert.equal(await c.exec(2, 'MyVar'), null, 'absent key: null');
  assert.equal(await c.load(1, 'MyVar'), 5);
  await c.save(2, 'x', 0);
  assert.equal(await c.exec(2, 'x'), 0, 'zero is a value, not absence');
  await c.exec(2, 'x', -17);
  assert.equal(await c.exec(2, 'x'), -17);

  assert.equal(await c.ping(1), true);
  assert.equal(await c.ping(2), true);

  assert.equal(await c.heartbeat(250), 250);
  assert.equal(await c.heartbeat(0), 0);

  assert.deepEqual(await c.topology(), [
    { id: 1, parent: -1, pid: p1, state: NodeState.AVAILABLE, depth: 0 },
    { id: 2, parent: 1, pid: p2, state: NodeState.AVAILABLE, depth: 1 },
  ]);

  const s = await c.stats();
  assert.deepEqual(Object.keys(s), ['nodes', 'pending', 'sent', 'answered', 'timedOut', 'lateReplies', 'droppedFrames']);
  assert.equal(s.nodes, 2);
  assert.equal(s.pending, 0);
  assert.ok(s.sent >= 8 && s.answered >= 8, JSON.stringify(s));
  for (const v of Object.values(s)) assert.equal(typeof v, 'number');

  await c.remove(2);
  assert.deepEqual(await c.topology(), [{ id: 1, parent: -1, pid: p1, state: 'available', depth: 0 }]);
  await c.remove(1);
  assert.deepEqual(await c.topology(), []);
  assert.equal((await c.stats()).nodes, 0);

  const { code, signal } = await ctl.stop();
  assert.equal(code, 0, `clean exit on SIGTERM (signal ${signal}); stderr: ${ctl.stderr}`);
  assert.ok(!isRunning(p1) && !isRunning(p2), 'no worker outlives the controller');
  assert.deepEqual(fs.readdirSync(ctl.dir), ['endpoint'], 'the ipc socket and the workers\' ipc directory are removed');
});

test('tcp://127.0.0.1:* with --endpoint-file: the printed and written endpoints agree', async (t) => {
  const ctl = await startController(t, { transport: 'tcp' });
  assert.match(ctl.endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ctl.printedEndpoint, ctl.endpoint, 'stderr and --endpoint-file name the same endpoint');
  const c = await ctl.client();
  await c.create(7);
  await c.exec(7, 'k', 42);
  assert.equal(await c.exec(7, 'k'), 42);
  assert.equal(await c.ping(7), true);
});

test('signed 64-bit values: numbers when safe, bigints beyond, {bigints: true} always', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  await c.create(1);
  const cases = [
    [2n ** 63n - 1n, 2n ** 63n - 1n],
    [-(2n ** 63n), -(2n ** 63n)],
    [BigInt(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
    [2n ** 53n, 2n ** 53n],
    [-1, -1],
    [123n, 123],
  ];
  for (const [i, [saved, loaded]] of cases.entries()) {
    await c.exec(1, `v${i}`, saved);
    assert.equal(await c.exec(1, `v${i}`), loaded, `v${i}`);
  }
  const big = await ctl.client({ bigints: true });
  assert.equal(await big.exec(1, 'v5'), -1n);
  assert.equal(await c.exec(1, 'v6', { bigints: true }), 123n);
  assert.equal(await big.exec(1, 'missing'), null);
});

test('topology is depth-first with children by id; remove hands children to the parent, data kept', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const pid = {};
  pid[3] = await c.create(3);
  pid[1] = await c.create(1);
  pid[4] = await c.create(4, 1);
  pid[2] = await c.create(2, 1);
  pid[5] = await c.create(5, 3);
  pid[6] = await c.create(6, 2);
  const row = (id, parent, depth) => ({ id, parent, pid: pid[id], state: 'available', depth });
  assert.deepEqual(await c.topology(), [row(1, -1, 0), row(2, 1, 1), row(6, 2, 2), row(4, 1, 1), row(3, -1, 0), row(5, 3, 1)]);

  await c.exec(6, 'k', 66);
  await c.exec(2, 'k', 22);
  // remove answers before the moved children re-attached (topology shows them
  // 'unavailable' meanwhile); a request naming a moved node waits for it.
  await c.remove(2); // 6 moves under 1
  assert.equal(await c.exec(6, 'k'), 66, 'the moved node kept its data');
  assert.deepEqual(await c.topology(), [row(1, -1, 0), row(4, 1, 1), row(6, 1, 1), row(3, -1, 0), row(5, 3, 1)]);
  await c.remove(1); // 4 and 6 move under the controller
  assert.equal(await c.exec(6, 'k'), 66);
  assert.equal(await c.ping(4), true);
  assert.deepEqual(await c.topology(), [row(3, -1, 0), row(5, 3, 1), row(4, -1, 0), row(6, -1, 0)]);
  await assert.rejects(c.exec(2, 'k'), { name: 'NotFound', code: 5 });
});

test('requests naming a node being created wait for that creation', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  // All sent back to back, none awaited before the next is sent.
  const created1 = c.create(1);
  const created2 = c.create(2, 1);
  const saved = c.exec(1, 'k', 9);
  const loaded = c.exec(2, 'k');
  const pinged = c.ping(2);
  const [p1, p2] = await Promise.all([created1, created2]);
  assert.ok(p1 > 1 && p2 > 1);
  await saved;
  assert.equal(await loaded, null);
  assert.equal(await pinged, true);
  assert.equal(await c.exec(1, 'k'), 9);
});

test('watch reports created and removed; two watchers each get them; close() ends delivery', async (t) => {
  const ctl = await startController(t);
  const a = await ctl.client();
  const b = await ctl.client();
  const logA = new EventLog();
  const logB = new EventLog();
  const wa = await a.watch(logA.handler);
  const wb = await b.watch(logB.handler);
  assert.equal(wa.id, 1, 'the watch id is the correlation id of its request, 1 on a fresh client');

  const pid = await a.create(1);
  assert.deepEqual(await logA.next({ id: 1, kind: EventKind.CREATED }), { id: 1, kind: 'created', pid, watchId: wa.id });
  assert.deepEqual(await logB.next({ id: 1, kind: EventKind.CREATED }), { id: 1, kind: 'created', pid, watchId: wb.id });

  await wa.close();
  assert.equal(wa.closed, true);
  const seenByA = logA.events.length;
  await b.create(2);
  await logB.next({ id: 2, kind: 'created' });
  await b.remove(2);
  await logB.next({ id: 2, kind: 'removed' });
  // A's events and replies share A's connection in order: had the controller sent A
  // an event for node 2, it would arrive before this reply.
  await a.stats();
  assert.equal(logA.events.length, seenByA, `no event after unwatch: ${JSON.stringify(logA.events)}`);
  await wa.close(); // idempotent
  await wb.close();
});

test('connect() to an endpoint nobody serves: calls fail locally at their deadline', async (t) => {
  const dir = fs.mkdtempSync('/tmp/arbor-node-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const c = await Client.connect(`ipc://${dir}/nobody`, { timeoutMs: 150, graceMs: 50 });
  t.after(() => c.close());
  const started = Date.now();
  const err = await within(c.ping(1).catch((e) => e), 5000, 'local deadline');
  assert.equal(err.name, 'DeadlineExceeded');
  assert.equal(err.local, true);
  assert.ok(Date.now() - started >= 190, 'not before timeoutMs + graceMs');
});
