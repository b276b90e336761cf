// Signed policies, the model users know from Filestack: an app's backend signs a short JSON
// statement ("this browser may store one file up to 10 MB in the next 5 minutes") with the
// app's secret, and the widget sends it along. The signature is checked in constant time
// (crypto.subtle.verify) before the policy's JSON is even parsed.
import { POLICY_CALLS, type App, type PolicyCall } from './apps.js';
import { FerryError } from './errors.js';

export interface Policy {
  /** Unix seconds after which the policy is refused. */
  expiry: number;
  call: PolicyCall[];
  /** Restricts read/remove to one file. */
  handle?: string;
  maxSize?: number;
  minSize?: number;
}

export interface PolicyInput {
  policy?: string;
  signature?: string;
}

const MAX_POLICY_CHARS = 4096;

function decodeBase64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

/**
 * Checks the policy sent with a request against `call` (and `handle` for read/remove).
 * Returns the policy when one was sent and holds, `undefined` when none was sent and the app
 * does not require one for this call; throws the matching 401/403 otherwise.
 */
export async function checkPolicy(
  app: App,
  call: PolicyCall,
  input: PolicyInput,
  now: Date,
  handle?: string,
): Promise<Policy | undefined> {
  const { policy, signature } = input;
  if (policy === undefined && signature === undefined) {
    if (app.requireSignature.includes(call)) {
      throw new FerryError('missing_policy', `This app requires a signed policy for "${call}".`);
    }
    return undefined;
  }
  if (policy === undefined || signature === undefined) {
    throw new FerryError('malformed_policy', 'A policy needs both "policy" and "signature".');
  }
  if (policy.length === 0 || policy.length > MAX_POLICY_CHARS || !/^[A-Za-z0-9_-]+$/.test(policy)) {
    throw new FerryError('malformed_policy', 'The policy is not base64url text of a sensible length.');
  }
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) {
    throw new FerryError('malformed_policy', 'The signature must be 64 hex characters (HMAC-SHA256).');
  }
  const valid = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(app.secret),
    hexBytes(signature),
    new TextEncoder().encode(policy),
  );
  if (!valid) throw new FerryError('invalid_signature', 'The policy signature does not match this app.');

  let parsed: Policy;
  try {
    parsed = parsePolicy(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decodeBase64url(policy))));
  } catch {
    throw new FerryError('malformed_policy', 'The signed policy is not a valid policy document.');
  }
  if (parsed.expiry * 1000 <= now.getTime()) throw new FerryError('policy_expired', 'The policy has expired.');
  if (!parsed.call.includes(call)) {
    throw new FerryError('policy_call_denied', `The policy does not allow "${call}".`);
  }
  if (parsed.handle !== undefined && handle !== undefined && parsed.handle !== handle) {
    throw new FerryError('policy_handle_denied', 'The policy is for another file.');
  }
  if (parsed.handle !== undefined && handle === undefined && call !== 'store' && call !== 'pick') {
    throw new FerryError('policy_handle_denied', 'The policy is for one file only.');
  }
  return parsed;
}

function parsePolicy(v: unknown): Policy {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['expiry', 'call', 'handle', 'maxSize', 'minSize'].includes(k)) throw new Error(k);
  const whole = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!whole(o.expiry)) throw new Error('expiry');
  if (!Array.isArray(o.call) || o.call.length === 0 || !o.call.every((c) => (POLICY_CALLS as string[]).includes(c))) {
    throw new Error('call');
  }
  if (o.handle !== undefined && (typeof o.handle !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(o.handle))) throw new Error('handle');
  if (o.maxSize !== undefined && !whole(o.maxSize)) throw new Error('maxSize');
  if (o.minSize !== undefined && !whole(o.minSize)) throw new Error('minSize');
  return o as unknown as Policy;
}
