// watch(): heartbeat transitions of a frozen worker, and a worker's death.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DeadlineExceeded, StatusCode, Unavailable } from '../src/client.js';
import { EventLog, startController } from '../testing/harness.js';

test('heartbeat 100 ms: SIGSTOP -> an unavailable event, SIGCONT -> an available event', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const log = new EventLog();
  const w = await c.watch(log.handler);
  const pid = await c.create(1);
  const pid2 = await c.create(2, 1);
  await c.create(3);
  await log.next({ id: 1, kind: 'created', pid });
  assert.equal(await c.heartbeat(100), 100);

  await ctl.signal(pid, 'SIGSTOP');
  const down = await log.next({ id: 1, kind: 'unavailable' }, 10000);
  // Heartbeat events carry pid 0 (the proto promises a pid on `created` only).
  assert.equal(down.watchId, w.id);
  const states = Object.fromEntries((await c.topology()).map((n) => [n.id, n.state]));
  assert.equal(states[1], 'unavailable');
  assert.equal(states[3], 'available', 'its sibling is not affected');
  // A node behind the frozen one is unreachable; creating under the frozen one fails.
  const err = await c.exec(2, 'k', { timeoutMs: 500 }).catch((e) => e);
  assert.ok(err instanceof Unavailable || err instanceof DeadlineExceeded, String(err));
  assert.ok([StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED].includes(err.code));
  await assert.rejects(c.create(4, 1), { name: 'Unavailable', code: StatusCode.UNAVAILABLE });
  assert.equal(await c.ping(3), true);

  await ctl.signal(pid, 'SIGCONT');
  const up = await log.next({ id: 1, kind: 'available' }, 10000);
  assert.equal(up.watchId, w.id);
  assert.ok(log.events.indexOf(up) > log.events.indexOf(down), 'in that order');
  assert.equal(await c.ping(2), true);
  assert.equal((await c.topology()).find((n) => n.id === 2).pid, pid2);
  assert.equal(await c.heartbeat(0), 0);
  await w.close();
});

test('kill -9: a lost event with the pid, then removed when the dead node is purged', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const log = new EventLog();
  await c.watch(log.handler);
  const pid = await c.create(5);
  await ctl.signal(pid, 'SIGKILL');
  assert.equal((await log.next({ id: 5, kind: 'lost' })).pid, pid);
  await c.remove(5);
  assert.equal((await log.next({ id: 5, kind: 'removed' })).id, 5);
  const kinds = log.events.filter((e) => e.id === 5).map((e) => e.kind);
  assert.deepEqual(kinds, ['created', 'lost', 'removed']);
});

test('an event callback that throws does not stop the client; onError gets the error', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const log = new EventLog();
  const errors = [];
  await c.watch(
    () => {
      throw new Error('callback bug');
    },
    { onError: (err, event) => errors.push([err.message, event.kind]) },
  );
  await c.watch(log.handler);
  await c.create(1);
  await log.next({ id: 1, kind: 'created' });
  assert.equal(await c.ping(1), true);
  assert.deepEqual(errors, [['callback bug', 'created']]);
});
