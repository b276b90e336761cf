// Signed policies, checked without a server: the shapes of `policy` and `signature` that are
// refused before any crypto, the signature check (this app's secret, these exact bytes), the
// document rules that only run once the signature holds, expiry to the second on an explicit
// clock, and the call and handle scoping. Policies are signed here with node:crypto, apart from
// the code under test and from lib/policy.mjs, so a shared mistake cannot hide.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { devApp } from '../src/apps.js';
import { FerryError } from '../src/errors.js';
import { checkPolicy } from '../src/policy.js';
import { signPolicy } from '../lib/policy.mjs';

type App = Parameters<typeof checkPolicy>[0];
type Call = Parameters<typeof checkPolicy>[1];

const SECRET = 'policy-test-secret-0123456789';
const NOW = new Date('2026-06-01T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const HANDLE = 'A'.repeat(43);
const OTHER_HANDLE = 'B'.repeat(43);

const app = (requireSignature: Call[] = []): App => ({ ...devApp(SECRET), requireSignature });

/** Signs any JSON text (valid policy or not) the way an app's backend would. */
function sign(json: string, secret = SECRET): { policy: string; signature: string } {
  const policy = Buffer.from(json, 'utf8').toString('base64url');
  return { policy, signature: createHmac('sha256', secret).update(policy).digest('hex') };
}
const signed = (doc: Record<string, unknown>, secret = SECRET) => sign(JSON.stringify(doc), secret);

async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return { code: (e as FerryError).code, status: (e as FerryError).status };
  }
  throw new Error('the policy was accepted');
}

describe('checkPolicy without a policy', () => {
  it('passes (undefined) when the app does not require one for the call', async () => {
    for (const call of ['store', 'read', 'remove', 'pick'] as const) {
      expect(await checkPolicy(app(), call, {}, NOW)).toBeUndefined();
      expect(await checkPolicy(app(['store']), call === 'store' ? 'read' : call, {}, NOW)).toBeUndefined();
    }
  });

  it.each(['store', 'read', 'remove', 'pick'] as const)('answers 401 missing_policy when the app requires one for %s', async (call) => {
    expect(await refusal(checkPolicy(app([call]), call, {}, NOW))).toEqual({ code: 'missing_policy', status: 401 });
  });
});

describe('checkPolicy input shape', () => {
  const good = signed({ expiry: NOW_S + 60, call: ['store'] });
  it.each([
    ['a policy without a signature', { policy: good.policy }],
    ['a signature without a policy', { signature: good.signature }],
    ['an empty policy', { policy: '', signature: good.signature }],
    ['a policy of 4097 characters', { policy: 'A'.repeat(4097), signature: good.signature }],
    ['a policy in standard base64', { policy: good.policy + '+/', signature: good.signature }],
    ['a padded policy', { policy: good.policy + '=', signature: good.signature }],
    ['a signature of 63 hex digits', { policy: good.policy, signature: good.signature.slice(1) }],
    ['a signature of 65 hex digits', { policy: good.policy, signature: good.signature + '0' }],
    ['a signature that is not hex', { policy: good.policy, signature: 'g'.repeat(64) }],
    ['a base64 signature', { policy: good.policy, signature: Buffer.from(good.signature, 'hex').toString('base64') }],
  ])('refuses %s with 401 malformed_policy', async (_, input) => {
    expect(await refusal(checkPolicy(app(), 'store', input, NOW))).toEqual({ code: 'malformed_policy', status: 401 });
  });

  it('accepts a policy of exactly 4096 characters once signed', async () => {
    // Unknown keys are refused, so pad with whitespace inside the JSON: 3072 bytes are 4096 base64url characters.
    const base = JSON.stringify({ expiry: NOW_S + 60, call: ['store'] });
    const json = base.slice(0, -1) + ' '.repeat(3072 - base.length) + '}';
    const p = sign(json);
    expect(p.policy.length).toBe(4096);
    expect(await checkPolicy(app(), 'store', p, NOW)).toMatchObject({ call: ['store'] });
  });

  it('accepts a signature in upper-case hex', async () => {
    const p = signed({ expiry: NOW_S + 60, call: ['store'] });
    expect(await checkPolicy(app(), 'store', { ...p, signature: p.signature.toUpperCase() }, NOW)).toBeDefined();
  });
});

describe('checkPolicy signature', () => {
  it('accepts what lib/policy.mjs signs, and returns the document', async () => {
    const p = await signPolicy(SECRET, { call: ['store', 'read'], expiry: NOW_S + 300, maxSize: 10, minSize: 1 });
    expect(await checkPolicy(app(['store']), 'store', p, NOW)).toEqual({ expiry: NOW_S + 300, call: ['store', 'read'], maxSize: 10, minSize: 1 });
  });

  it.each([
    ['another secret', () => signed({ expiry: NOW_S + 60, call: ['store'] }, 'some-other-secret-0123')],
    ['one flipped signature digit', () => {
      const p = signed({ expiry: NOW_S + 60, call: ['store'] });
      return { ...p, signature: (p.signature[0] === '0' ? '1' : '0') + p.signature.slice(1) };
    }],
    ['a policy changed after signing', () => {
      const p = signed({ expiry: NOW_S + 60, call: ['store'] });
      return { ...p, policy: signed({ expiry: NOW_S + 60, call: ['store', 'remove'] }).policy };
    }],
    ['an all-zero signature', () => ({ policy: signed({ expiry: NOW_S + 60, call: ['store'] }).policy, signature: '0'.repeat(64) })],
  ])('refuses %s with 401 invalid_signature', async (_, make) => {
    expect(await refusal(checkPolicy(app(), 'store', make(), NOW))).toEqual({ code: 'invalid_signature', status: 401 });
  });

  it('checks the signature before reading the document', async () => {
    // Garbage under a wrong signature is invalid_signature, not malformed_policy.
    const p = sign('not json at all');
    expect(await refusal(checkPolicy(app(), 'store', { ...p, signature: 'f'.repeat(64) }, NOW))).toEqual({
      code: 'invalid_signature',
      status: 401,
    });
  });
});

describe('checkPolicy document', () => {
  it.each([
    ['text that is not JSON', 'not json'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"store"'],
    ['invalid UTF-8', '\ufffd'],
    ['no expiry', JSON.stringify({ call: ['store'] })],
    ['a fractional expiry', JSON.stringify({ expiry: NOW_S + 0.5, call: ['store'] })],
    ['a negative expiry', JSON.stringify({ expiry: -1, call: ['store'] })],
    ['an expiry as a string', JSON.stringify({ expiry: String(NOW_S + 60), call: ['store'] })],
    ['an expiry past 2^53', JSON.stringify({ expiry: 2 ** 53, call: ['store'] })],
    ['no call', JSON.stringify({ expiry: NOW_S + 60 })],
    ['an empty call list', JSON.stringify({ expiry: NOW_S + 60, call: [] })],
    ['call as a string', JSON.stringify({ expiry: NOW_S + 60, call: 'store' })],
    ['an unknown call', JSON.stringify({ expiry: NOW_S + 60, call: ['store', 'admin'] })],
    ['an unknown field', JSON.stringify({ expiry: NOW_S + 60, call: ['store'], path: '/' })],
    ['a handle of 42 characters', JSON.stringify({ expiry: NOW_S + 60, call: ['read'], handle: HANDLE.slice(1) })],
    ['a handle with a dot', JSON.stringify({ expiry: NOW_S + 60, call: ['read'], handle: HANDLE.slice(1) + '.' })],
    ['a numeric handle', JSON.stringify({ expiry: NOW_S + 60, call: ['read'], handle: 1 })],
    ['a negative maxSize', JSON.stringify({ expiry: NOW_S + 60, call: ['store'], maxSize: -1 })],
    ['a fractional minSize', JSON.stringify({ expiry: NOW_S + 60, call: ['store'], minSize: 1.5 })],
  ])('refuses a signed document with %s as 401 malformed_policy', async (_, json) => {
    const p = json === '\ufffd' ? invalidUtf8() : sign(json);
    expect(await refusal(checkPolicy(app(), 'store', p, NOW))).toEqual({ code: 'malformed_policy', status: 401 });
  });

  it('accepts maxSize and minSize of 0', async () => {
    const p = signed({ expiry: NOW_S + 60, call: ['store'], maxSize: 0, minSize: 0 });
    expect(await checkPolicy(app(), 'store', p, NOW)).toMatchObject({ maxSize: 0, minSize: 0 });
  });
});

function invalidUtf8() {
  const policy = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url');
  return { policy, signature: createHmac('sha256', SECRET).update(policy).digest('hex') };
}

describe('checkPolicy expiry', () => {
  it.each([
    // [expiry relative to now in seconds, accepted]
    [3600, true],
    [1, true],
    [0, false], // expiry is the first second the policy is refused
    [-1, false],
    [-86_400, false],
  ])('with expiry %i s from now is accepted: %s', async (delta, accepted) => {
    const p = signed({ expiry: NOW_S + delta, call: ['store'] });
    if (accepted) expect(await checkPolicy(app(), 'store', p, NOW)).toBeDefined();
    else expect(await refusal(checkPolicy(app(), 'store', p, NOW))).toEqual({ code: 'policy_expired', status: 401 });
  });

  it('refuses at the expiry second on a clock that is 1 ms short of the next', async () => {
    const p = signed({ expiry: NOW_S + 1, call: ['store'] });
    expect(await checkPolicy(app(), 'store', p, new Date(NOW.getTime() + 999))).toBeDefined();
    expect((await refusal(checkPolicy(app(), 'store', p, new Date(NOW.getTime() + 1000)))).code).toBe('policy_expired');
  });
});

describe('checkPolicy scope', () => {
  it.each([
    // [calls in the policy, call made, allowed]
    [['store'], 'store', true],
    [['store'], 'read', false],
    [['store'], 'pick', false],
    [['read', 'remove'], 'remove', true],
    [['read', 'remove'], 'store', false],
    [['pick'], 'pick', true],
    [['store', 'read', 'remove', 'pick'], 'remove', true],
  ] as const)('a policy for %j used for %s is allowed: %s', async (calls, call, allowed) => {
    const p = signed({ expiry: NOW_S + 60, call: calls });
    const handle = call === 'read' || call === 'remove' ? HANDLE : undefined;
    if (allowed) expect(await checkPolicy(app(), call, p, NOW, handle)).toBeDefined();
    else expect(await refusal(checkPolicy(app(), call, p, NOW, handle))).toEqual({ code: 'policy_call_denied', status: 403 });
  });

  it.each([
    // [handle in the policy, call, handle of the request, result]
    [HANDLE, 'read', HANDLE, 'ok'],
    [HANDLE, 'remove', HANDLE, 'ok'],
    [HANDLE, 'read', OTHER_HANDLE, 'policy_handle_denied'],
    [HANDLE, 'remove', OTHER_HANDLE, 'policy_handle_denied'],
    [HANDLE, 'read', undefined, 'policy_handle_denied'], // a one-file policy used where no file is named
    [HANDLE, 'store', undefined, 'ok'], // store and pick name no file yet
    [HANDLE, 'pick', undefined, 'ok'],
    [undefined, 'read', HANDLE, 'ok'], // no handle: any file of this app
    [undefined, 'read', undefined, 'ok'],
  ] as const)('handle %s, call %s on %s: %s', async (policyHandle, call, handle, result) => {
    const p = signed({ expiry: NOW_S + 60, call: [call], ...(policyHandle ? { handle: policyHandle } : {}) });
    if (result === 'ok') expect(await checkPolicy(app(), call, p, NOW, handle)).toBeDefined();
    else expect(await refusal(checkPolicy(app(), call, p, NOW, handle))).toEqual({ code: result, status: 403 });
  });
});
