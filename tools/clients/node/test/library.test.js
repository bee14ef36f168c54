// The library's own parts: schema loading, typed errors, 64-bit conversion, and
// one measured figure (the median round trip of an exec) against a real controller.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import protobuf from 'protobufjs';

import {
  AlreadyExists,
  ArborError,
  Cancelled,
  Client,
  DEFAULT_PROTO,
  DeadlineExceeded,
  FailedPrecondition,
  Internal,
  InvalidArgument,
  NotFound,
  ResourceExhausted,
  StatusCode,
  Unavailable,
  errorFromStatus,
  int64,
  loadSchema,
} from '../src/client.js';
import { ARBOR_PROTO, startController } from '../testing/harness.js';

const { Long } = protobuf.util;

test('the schema loads from ARBOR_PROTO and from the default path inside the repo', () => {
  assert.ok(fs.existsSync(DEFAULT_PROTO), DEFAULT_PROTO);
  const a = loadSchema(ARBOR_PROTO);
  const b = loadSchema(DEFAULT_PROTO);
  assert.ok(a.Envelope.fields.correlationId);
  assert.equal(loadSchema(ARBOR_PROTO), a, 'loaded once per path');
  const bytes = b.encode({ version: 1, correlationId: 3, target: 2, execRequest: { key: 'k', value: -(2n ** 63n) } });
  const env = a.decode(bytes);
  assert.equal(env.body, 'execRequest');
  assert.equal(int64(env.execRequest.value), -(2n ** 63n));
  assert.equal(a.stateNames[2], 'unavailable');
  assert.equal(a.eventNames[5], 'lost');
});

test('each status code maps to its error class, all ArborErrors with .code', () => {
  const classes = [
    [StatusCode.CANCELLED, Cancelled],
    [StatusCode.INVALID_ARGUMENT, InvalidArgument],
    [StatusCode.DEADLINE_EXCEEDED, DeadlineExceeded],
    [StatusCode.NOT_FOUND, NotFound],
    [StatusCode.ALREADY_EXISTS, AlreadyExists],
    [StatusCode.RESOURCE_EXHAUSTED, ResourceExhausted],
    [StatusCode.FAILED_PRECONDITION, FailedPrecondition],
    [StatusCode.INTERNAL, Internal],
    [StatusCode.UNAVAILABLE, Unavailable],
  ];
  for (const [code, Cls] of classes) {
    const e = errorFromStatus(code, 'why', { correlationId: 4, target: 2 });
    assert.ok(e instanceof Cls && e instanceof ArborError && e instanceof Error);
    assert.equal(e.name, Cls.name);
    assert.equal(e.code, code);
    assert.equal(e.message, 'why');
    assert.equal(e.correlationId, 4);
    assert.equal(e.local, false);
  }
  const other = errorFromStatus(StatusCode.UNIMPLEMENTED, '');
  assert.equal(other.constructor, ArborError);
  assert.equal(other.message, 'UNIMPLEMENTED');
  assert.equal(errorFromStatus(99).codeName, 'CODE_99');
});

test('64-bit values: numbers when safe, bigints otherwise', () => {
  assert.equal(int64(Long.fromString('9007199254740991')), 9007199254740991);
  assert.equal(int64(Long.fromString('9007199254740992')), 9007199254740992n);
  assert.equal(int64(Long.fromString('-9223372036854775808')), -(2n ** 63n));
  assert.equal(int64(Long.fromString('18446744073709551615', true)), 2n ** 64n - 1n);
  assert.equal(int64(Long.fromInt(-5), true), -5n);
  assert.equal(int64(7), 7);
  assert.equal(int64(7, true), 7n);
});

test('median round trip of one exec (load) over ipc', async (t) => {
  const ctl = await startController(t);
  const c = await ctl.client();
  await c.create(1);
  await c.exec(1, 'k', 1);
  for (let i = 0; i < 200; i++) await c.exec(1, 'k'); // warm up
  const n = 2000;
  const us = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await c.exec(1, 'k');
    us.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  us.sort((a, b) => a - b);
  const median = us[n / 2];
  t.diagnostic(`exec round trip over ipc: median ${median.toFixed(0)} us, p90 ${us[Math.floor(n * 0.9)].toFixed(0)} us, p99 ${us[Math.floor(n * 0.99)].toFixed(0)} us (n=${n})`);
  assert.ok(median < 50000, `median ${median} us`);
});

test('Client.connect rejects a malformed endpoint locally', async () => {
  await assert.rejects(Client.connect('nonsense', { protoPath: ARBOR_PROTO }), { name: 'InvalidArgument', local: true });
  await assert.rejects(Client.connect('', { protoPath: ARBOR_PROTO }), { name: 'InvalidArgument', local: true });
});
