// Many calls in flight on one DEALER, matched by correlation id; closing a client
// with calls in flight while another keeps working.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Cancelled, StatusCode } from '../src/client.js';
import { expectError, startController, within } from '../testing/harness.js';

test('1000 concurrent calls over a tree all resolve with their own answers', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client({ timeoutMs: 10000 });
  await c.create(1);
  await c.create(2, 1);
  await c.create(3, 2);
  await c.create(4);
  const ids = [1, 2, 3, 4];
  const firstId = c._nextId;

  // 1000 saves at once, each a distinct (node, key, value).
  const saves = [];
  for (let i = 0; i < 1000; i++) saves.push(c.exec(ids[i % 4], `k${i}`, i * 7 - 3000));
  assert.equal(c.inFlight, 1000, 'all in flight together');
  await within(Promise.all(saves), 20000, '1000 saves');

  // 1000 mixed calls at once: loads (present and absent), pings, saves, stats.
  const calls = [];
  const expected = [];
  for (let i = 0; i < 1000; i++) {
    const id = ids[i % 4];
    switch (i % 5) {
      case 0:
      case 1:
        calls.push(c.exec(id, `k${i}`));
        expected.push(i * 7 - 3000);
        break;
      case 2:
        calls.push(c.exec(id, `absent${i}`));
        expected.push(null);
        break;
      case 3:
        calls.push(c.ping(id));
        expected.push(true);
        break;
      default:
        calls.push(c.exec(id, `k${i}`, BigInt(i) * 10n ** 15n).then(() => 'saved'));
        expected.push('saved');
    }
  }
  const results = await within(Promise.all(calls), 20000, '1000 mixed calls');
  assert.deepEqual(results, expected);
  assert.equal(c.inFlight, 0);
  assert.equal(c._nextId - firstId, 2000, 'one correlation id per call, none reused');
  assert.equal(c.counters.unmatched, 0);
  assert.equal(c.counters.droppedFrames, 0);

  const reloaded = await Promise.all([4, 9, 14].map((i) => c.exec(ids[i % 4], `k${i}`)));
  assert.deepEqual(reloaded, [4 * 10 ** 15, 9 * 10 ** 15, 14n * 10n ** 15n]);
  const s = await c.stats();
  assert.equal(s.pending, 0);
  assert.equal(s.timedOut, 0);
});

test('close() rejects the calls in flight with Cancelled while a second client keeps working', async (t) => {
  const ctl = await startController(t);
  const a = await ctl.client();
  const b = await ctl.client();
  const frozen = await b.create(1);
  await b.create(2);
  await b.exec(1, 'k', 11);
  await b.exec(2, 'k', 22);
  await ctl.signal(frozen, 'SIGSTOP'); // a's calls to node 1 stay in flight

  const inFlight = [];
  for (let i = 0; i < 20; i++) inFlight.push(a.exec(1, 'k', { timeoutMs: 20000 }));
  inFlight.push(a.ping(1, { timeoutMs: 20000 }), a.exec(1, 'k', 5, { timeoutMs: 20000 }));
  // A round trip on a's connection: every request above has left the client.
  assert.equal((await a.stats()).nodes, 2);
  assert.equal(a.inFlight, inFlight.length);

  const started = Date.now();
  const busy = [];
  for (let i = 0; i < 100; i++) busy.push(b.exec(2, 'k'));
  await a.close();
  const outcomes = await within(Promise.allSettled(inFlight), 5000, "a's calls settle");
  assert.ok(Date.now() - started < 5000, 'at close, not at their deadlines');
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    assert.ok(o.reason instanceof Cancelled, String(o.reason));
    assert.equal(o.reason.code, StatusCode.CANCELLED);
    assert.equal(o.reason.local, true);
  }
  await expectError(a.exec(2, 'k'), Cancelled, StatusCode.CANCELLED, { local: true, what: 'a call after close' });
  await a.close(); // idempotent

  assert.deepEqual(await within(Promise.all(busy), 10000, "b's calls"), Array(100).fill(22));
  await ctl.signal(frozen, 'SIGCONT');
  // Cancelled is the client's verdict only: a's save had reached the worker before
  // the close and, well within its budget, is applied when the worker resumes.
  assert.equal(await b.exec(1, 'k', { timeoutMs: 5000 }), 5);
  const s = await b.stats();
  assert.equal(s.nodes, 2);
});
