// Frames the client library would never send, from a raw DEALER: garbage, id 0,
// wrong version, no body, several frames. Each gets its status, counts in
// dropped_frames, and the connection keeps working.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import zmq from 'zeromq';

import { StatusCode, int64, loadSchema } from '../src/client.js';
import { ARBOR_PROTO, startController, within } from '../testing/harness.js';

const schema = loadSchema(ARBOR_PROTO);

// A raw DEALER with a receive loop that hands out decoded replies in arrival order.
async function rawDealer(t, endpoint) {
  const sock = new zmq.Dealer({ linger: 0 });
  sock.connect(endpoint);
  const queue = [];
  let wake = null;
  (async () => {
    try {
      for await (const frames of sock) {
        queue.push(frames);
        if (wake) wake();
      }
    } catch {
      // closed
    }
  })();
  t.after(() => sock.close());
  return {
    send: (frames) => sock.send(frames),
    /** The next reply, decoded (every reply is one frame holding an Envelope). */
    async next(ms = 5000) {
      while (queue.length === 0) await within(new Promise((r) => (wake = r)), ms, 'a reply');
      const frames = queue.shift();
      assert.equal(frames.length, 1, 'one frame per reply');
      return schema.decode(frames[0]);
    },
  };
}

const status = (env) => (env.status ? env.status.code : 0);

test('garbage, correlation id 0, a wrong version and a missing body each get their status', async (t) => {
  const ctl = await startController(t);
  const raw = await rawDealer(t, ctl.endpoint);

  await raw.send(Buffer.from('this is not a protobuf \xff\xff\xff'));
  let r = await raw.next();
  assert.equal(status(r), StatusCode.INVALID_ARGUMENT, 'garbage');
  assert.equal(int64(r.correlationId), 0, 'no id could be read');
  assert.ok(r.status.message.length > 0);

  await raw.send(schema.encode({ version: 1, correlationId: 0, target: -1, statsRequest: {} }));
  r = await raw.next();
  assert.equal(status(r), StatusCode.INVALID_ARGUMENT, 'correlation id 0');
  assert.equal(int64(r.correlationId), 0);

  await raw.send(schema.encode({ version: 2, correlationId: 41, target: -1, statsRequest: {} }));
  r = await raw.next();
  assert.equal(status(r), StatusCode.FAILED_PRECONDITION, 'version 2');
  assert.equal(int64(r.correlationId), 41);

  await raw.send(schema.encode({ version: 0, correlationId: 42, target: -1, statsRequest: {} }));
  r = await raw.next();
  assert.equal(status(r), StatusCode.FAILED_PRECONDITION, 'version 0 (unset)');
  assert.equal(int64(r.correlationId), 42);

  await raw.send(schema.encode({ version: 1, correlationId: 43, target: -1 }));
  r = await raw.next();
  assert.equal(status(r), StatusCode.INVALID_ARGUMENT, 'no body');
  assert.equal(int64(r.correlationId), 43);

  await raw.send(schema.encode({ version: 1, correlationId: 44, target: 1, execRequest: { key: 'bad key' } }));
  r = await raw.next();
  assert.equal(status(r), StatusCode.INVALID_ARGUMENT, 'bad key');
  assert.equal(int64(r.correlationId), 44);
  assert.equal(int64(r.target), 1, 'the reply names the target');

  // An empty frame parses as an Envelope with every field unset: version 0 and id 0
  // and no body. The doc does not order the checks; this controller checks the
  // version first (FAILED_PRECONDITION). Either verdict fits the doc.
  await raw.send(Buffer.alloc(0));
  r = await raw.next();
  assert.ok([StatusCode.INVALID_ARGUMENT, StatusCode.FAILED_PRECONDITION].includes(status(r)), `empty frame: ${status(r)}`);
  assert.equal(int64(r.correlationId), 0);

  // The same connection still works, and every bad frame was counted.
  await raw.send(schema.encode({ version: 1, correlationId: 45, target: -1, statsRequest: {} }));
  r = await raw.next();
  assert.equal(status(r), StatusCode.OK);
  assert.equal(int64(r.correlationId), 45);
  assert.equal(r.body, 'statsReply');
  assert.equal(int64(r.statsReply.droppedFrames), 7);
});

test('a two-frame message gets INVALID_ARGUMENT with id 0 and counts; later requests are answered', async (t) => {
  const ctl = await startController(t);
  const raw = await rawDealer(t, ctl.endpoint);
  const good = schema.encode({ version: 1, correlationId: 7, target: -1, statsRequest: {} });
  await raw.send([good, good]);
  await raw.send(schema.encode({ version: 1, correlationId: 8, target: -1, statsRequest: {} }));
  let r = await raw.next();
  assert.equal(status(r), StatusCode.INVALID_ARGUMENT, 'the two-frame message');
  assert.equal(int64(r.correlationId), 0, 'not read from a message that is not one frame');
  r = await raw.next();
  assert.equal(int64(r.correlationId), 8);
  assert.equal(status(r), StatusCode.OK);
  assert.equal(int64(r.statsReply.droppedFrames), 1);
});

test('a library client keeps working next to a raw client sending garbage', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  const raw = await rawDealer(t, ctl.endpoint);
  await c.create(1);
  const calls = [];
  for (let i = 0; i < 50; i++) {
    calls.push(c.exec(1, `k${i}`, i));
    await raw.send(Buffer.from([0x08, 0x01, 0x10, 0x80])); // truncated varint
  }
  await Promise.all(calls);
  for (let i = 0; i < 50; i++) assert.equal(status(await raw.next()), StatusCode.INVALID_ARGUMENT);
  assert.equal(await c.exec(1, 'k49'), 49);
  assert.equal(c.counters.unmatched, 0, 'no reply meant for the raw client reached this one');
});
