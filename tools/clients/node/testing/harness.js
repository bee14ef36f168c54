// Test harness: starts a real `arbor --listen ... --no-stdin` per test, hands out
// clients, and tears everything down (SIGCONT to what a test stopped, SIGTERM to the
// controller, wait for its exit). Lives outside test/ because `node --test test/`
// runs every .js file under test/.
//
// Rules kept here: only processes this harness spawned (controllers) or that a
// create returned (workers of those controllers) are ever signalled; waiting is on
// events (stderr lines, process exit, replies, node events) with timeouts, never on
// sleeps.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '../src/client.js';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(PACKAGE_DIR, '../../..');

export const ARBOR_BIN = process.env.ARBOR_BIN || path.join(REPO, 'build/arbor');
export const ARBOR_PROTO = process.env.ARBOR_PROTO || path.join(REPO, 'proto/arbor/v1/arbor.proto');

// Controllers still running if the test process dies early: killed on exit.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Resolves `promise`, or rejects after `ms` with "timed out: what". */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the error `promise` rejects with (fails if it resolves), within `ms`. */
export async function rejection(promise, ms = 10000, what = 'the call') {
  const outcome = await within(
    promise.then(
      (value) => ({ ok: true, value }),
      (error) => ({ ok: false, error }),
    ),
    ms,
    what,
  );
  if (outcome.ok) throw new Error(`${what} resolved with ${String(outcome.value)} instead of failing`);
  return outcome.error;
}

/**
 * Awaits the rejection of `promise` and checks it is a `Cls` (an ArborError subclass)
 * with the code `code`, from the controller (local false) unless `local` is true.
 */
export async function expectError(promise, Cls, code, { local = false, ms = 10000, what = Cls.name } = {}) {
  const err = await rejection(promise, ms, what);
  assert.ok(err instanceof Cls, `${what}: expected ${Cls.name}, got ${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, `${what}: code`);
  assert.equal(err.local, local, `${what}: local verdict? ${err.message}`);
  return err;
}

/**
 * Collects events (node events of a watch) and lets a test await one that matches.
 * `handler` is the function to pass to client.watch().
 */
export class EventLog {
  constructor() {
    this.events = [];
    this._waiters = [];
    this.handler = (ev) => {
      this.events.push(ev);
      this._waiters = this._waiters.filter((w) => {
        if (!w.match(ev)) return true;
        w.resolve(ev);
        return false;
      });
    };
  }

  /** The first event (already seen or future) matching `pattern` ({id, kind, ...}). */
  next(pattern, ms = 10000) {
    const match = (ev) => Object.entries(pattern).every(([k, v]) => ev[k] === v);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    const p = new Promise((resolve) => this._waiters.push({ match, resolve }));
    return within(p, ms, `event ${JSON.stringify(pattern)} (seen: ${JSON.stringify(this.events)})`);
  }
}

/** A fresh private directory under the system tmpdir (short: ipc paths <= 107 bytes). */
export function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbor-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A copy of the arbor binary in a private directory next to a fake `arbor-worker`
 * shell script (the controller runs the arbor-worker next to its own binary).
 */
export function fakeWorkerArbor(t, script) {
  const dir = tempDir(t);
  const bin = path.join(dir, 'arbor');
  fs.copyFileSync(ARBOR_BIN, bin);
  fs.chmodSync(bin, 0o755);
  fs.writeFileSync(path.join(dir, 'arbor-worker'), script, { mode: 0o755 });
  return bin;
}

/**
 * Starts a controller and registers its teardown with `t`. Options:
 *   transport: 'ipc' (default; ipc://<tmpdir>/c) or 'tcp' (tcp://127.0.0.1:* with
 *   --endpoint-file); args: extra flags; bin: another arbor binary.
 * Resolves a Controller once it printed "clients connect to ENDPOINT".
 */
export async function startController(t, { transport = 'ipc', args = [], bin = ARBOR_BIN } = {}) {
  const dir = tempDir(t);
  const endpointFile = path.join(dir, 'endpoint');
  const listen = transport === 'tcp' ? 'tcp://127.0.0.1:*' : `ipc://${dir}/c`;
  const argv = ['--listen', listen, '--endpoint-file', endpointFile, '--no-stdin', ...args];
  // The controller writes the file (by a rename) once its endpoint is bound, and
  // then prints "clients connect to ...": either is a readiness signal.
  let watcher;
  const written = new Promise((resolve) => {
    const check = () => {
      // Line 1 is the endpoint (line 2, with --client-keys, the server's key).
      if (fs.existsSync(endpointFile)) resolve(fs.readFileSync(endpointFile, 'utf8').split('\n')[0].trim());
    };
    watcher = fs.watch(dir, check);
    check();
  });
  // TMPDIR: the controller's private ipc directory for its workers goes in ours too.
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: dir } });
  live.add(child);
  const ctl = new Controller(child, dir, endpointFile);
  t.after(() => ctl.stop());
  try {
    const [printed, fromFile] = await within(
      Promise.all([ctl._ready, written]), // _ready rejects if the controller exits
      15000,
      `controller ready (${bin} ${argv.join(' ')})`,
    );
    ctl.printedEndpoint = printed;
    ctl.endpoint = fromFile;
  } finally {
    watcher.close();
  }
  return ctl;
}

export class Controller {
  constructor(child, dir, endpointFile) {
    this.child = child;
    this.pid = child.pid;
    this.dir = dir;
    this.endpointFile = endpointFile;
    this.stdout = '';
    this.stderr = '';
    this.clients = [];
    this.stopped = new Set(); // worker pids a test SIGSTOPped and did not SIGCONT yet
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    this._ready = new Promise((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (s) => {
        this.stdout += s;
      });
      child.stderr.on('data', (s) => {
        this.stderr += s;
        const m = /clients connect to (\S+)/.exec(this.stderr);
        if (m) resolve(m[1]);
      });
      child.on('error', reject);
      this.exit.then(({ code, signal }) =>
        reject(new Error(`controller exited (${code ?? signal}) before it was ready: ${this.stderr}`)),
      );
    });
    this._ready.catch(() => {});
  }

  /** A client of this controller, closed at teardown. */
  async client(options = {}) {
    const c = await Client.connect(this.endpoint, { protoPath: ARBOR_PROTO, ...options });
    this.clients.push(c);
    return c;
  }

  /**
   * Signals a worker whose pid a create returned (never anything else). For
   * SIGSTOP it resolves once every thread of the worker is stopped: kill()
   * returns before that, and a thread still running could read a request sent
   * right after. Only the worker's parent could wait for the stop, so this
   * looks at /proc until every thread shows T (a wait for a state, with a deadline).
   */
  async signal(pid, sig) {
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || pid === this.pid) {
      throw new Error(`refusing to signal pid ${pid}`);
    }
    process.kill(pid, sig);
    if (sig === 'SIGSTOP') this.stopped.add(pid);
    if (sig === 'SIGCONT' || sig === 'SIGKILL') this.stopped.delete(pid);
    if (sig !== 'SIGSTOP') return;
    const deadline = Date.now() + 10000;
    for (;;) {
      let tasks = [];
      try {
        tasks = fs.readdirSync(`/proc/${pid}/task`);
      } catch {
        return; // gone
      }
      const states = tasks.map((t) => {
        try {
          const text = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
          return text[text.lastIndexOf(')') + 2];
        } catch {
          return 'T';
        }
      });
      if (states.every((st) => st === 'T' || st === 't')) return;
      if (Date.now() > deadline) throw new Error(`worker ${pid} did not stop`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** SIGTERM, then waits for the exit; resolves {code, signal}. Idempotent. */
  async stop() {
    if (this._stopping) return this._stopping;
    this._stopping = (async () => {
      for (const c of this.clients) await c.close();
      for (const pid of this.stopped) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone already
        }
      }
      this.stopped.clear();
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
      try {
        return await within(this.exit, 15000, `controller ${this.pid} exits on SIGTERM`);
      } catch (err) {
        this.child.kill('SIGKILL');
        await this.exit;
        throw err;
      }
    })();
    return this._stopping;
  }
}
