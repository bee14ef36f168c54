// CURVE keys for a controller started with `--client-keys DIR` (docs/CLIENT_PROTOCOL.md).
//
// `arbor keygen PATH` writes PATH (the secret key, mode 0600) and PATH.pub (the
// public key, for the controller's key directory). The controller's
// `--endpoint-file` has the endpoint on line 1 and, with CURVE,
// `curve-server-key KEY` on line 2:
//
//   const ep = readEndpointFile('/run/arbor/endpoint');
//   const c = await Client.connect(ep.endpoint, { curve: curveKeysFromFiles('/home/me/.arbor/me', ep.serverKey) });
//
// Key files hold one Z85 key (40 characters); blank lines, `#` comment lines and
// whitespace around the key are ignored. File errors are Node's own (ENOENT, ...);
// contents that are not a key throw InvalidArgument (err.local = true).

import crypto from 'node:crypto';
import fs from 'node:fs';

import { InvalidArgument, StatusCode } from './errors.js';

export const KEY_LENGTH = 40;
const MAX_KEY_FILE_BYTES = 4096;
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_VALUE = new Map([...Z85].map((ch, i) => [ch, i]));
// X25519 keys as DER: these prefixes and the 32 raw bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function invalid(message) {
  return new InvalidArgument(StatusCode.INVALID_ARGUMENT, message, { local: true });
}

/** The 32 bytes of a Z85 key, or null when `text` is not one. */
export function z85Decode(text) {
  if (typeof text !== 'string' || text.length !== KEY_LENGTH) return null;
  const out = Buffer.alloc(32);
  for (let g = 0; g < 8; g++) {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const digit = Z85_VALUE.get(text[g * 5 + i]);
      if (digit === undefined) return null;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return null; // libzmq would silently wrap it into another key
    out.writeUInt32BE(value, g * 4);
  }
  return out;
}

/** 32 bytes as Z85 text. */
export function z85Encode(bytes) {
  let text = '';
  for (let g = 0; g < bytes.length / 4; g++) {
    let value = bytes.readUInt32BE(g * 4);
    let group = '';
    for (let i = 0; i < 5; i++) {
      group = Z85[value % 85] + group;
      value = Math.floor(value / 85);
    }
    text += group;
  }
  return text;
}

export function isZ85Key(text) {
  return z85Decode(text) !== null;
}

/** The public key (Z85) of a secret key (Z85), as zmq_curve_public computes it. */
export function publicFromSecret(secret) {
  const raw = z85Decode(secret);
  if (raw === null) throw invalid('curve: the secret key is not a Z85 key');
  const key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return z85Encode(spki.subarray(spki.length - 32));
}

/** The one key in `text`. */
export function parseKeyText(text, where = 'key') {
  let key = null;
  for (let line of text.split('\n')) {
    line = line.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (key !== null) throw invalid(`${where}: more than one key in it`);
    if (!isZ85Key(line)) throw invalid(`${where}: not a Z85 CURVE key (${KEY_LENGTH} characters expected)`);
    key = line;
  }
  if (key === null) throw invalid(`${where}: no key in it`);
  return key;
}

/** The key in the file at `path`. */
export function readKeyFile(path) {
  const data = fs.readFileSync(path);
  if (data.length > MAX_KEY_FILE_BYTES) throw invalid(`key file ${path}: larger than ${MAX_KEY_FILE_BYTES} bytes`);
  return parseKeyText(data.toString('latin1'), `key file ${path}`);
}

/**
 * readKeyFile of a secret key: a .pub file (a public key would be read as the wrong
 * secret one) and a file others may read are refused, as the controller and the
 * other clients refuse them.
 */
export function readSecretKeyFile(path) {
  if (path.endsWith('.pub')) throw invalid(`${path} is a public key file: give the secret key (without .pub)`);
  const key = readKeyFile(path);
  const mode = fs.statSync(path).mode & 0o7777;
  if (mode & 0o077) {
    throw invalid(`secret key file ${path} may be read by others (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`);
  }
  return key;
}

/** {publicKey, secretKey, serverKey} from keygen's secret key file (the public half derived). */
export function curveKeysFromFiles(secretKeyPath, serverKey) {
  const secretKey = readSecretKeyFile(secretKeyPath);
  return { publicKey: publicFromSecret(secretKey), secretKey, serverKey };
}

/** Throws InvalidArgument unless all three are Z85 keys and publicKey is secretKey's. */
export function checkCurveKeys(curve) {
  if (curve === null || typeof curve !== 'object') throw invalid('curve must be {publicKey, secretKey, serverKey}');
  if (publicFromSecret(curve.secretKey) !== curve.publicKey) throw invalid("curve: the public key is not the secret key's");
  if (!isZ85Key(curve.serverKey)) throw invalid('curve: the server key is not a Z85 key');
}

/** The controller's --endpoint-file: {endpoint, serverKey (null without CURVE)}. */
export function readEndpointFile(path) {
  const lines = fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) throw invalid(`endpoint file ${path}: no endpoint in it`);
  let serverKey = null;
  lines.slice(1).forEach((line, i) => {
    const words = line.split(/\s+/);
    if (words.length !== 2 || words[0] !== 'curve-server-key' || !isZ85Key(words[1]) || serverKey !== null) {
      throw invalid(`endpoint file ${path}: line ${i + 2} is not \`curve-server-key KEY\``);
    }
    serverKey = words[1];
  });
  return { endpoint: lines[0], serverKey };
}
