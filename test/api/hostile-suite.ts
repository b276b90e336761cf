// Hostile input: each request gets the right 4xx and JSON code, the server stays healthy,
// and nothing is stored. Run against every target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPolicy } from '../../lib/policy.mjs';
import { OTHER_APP, SIGNED_APP, TEST_APP, type Target, type TargetFactory } from '../helpers/targets.js';
import { upload } from './files-suite.js';

interface Hostile {
  name: string;
  path: string;
  init?: RequestInit;
  status: number;
  code: string;
}

const K = TEST_APP.key;
const B = 'hostile-boundary';

function form(parts: string, boundary = B): RequestInit {
  return { method: 'POST', body: parts, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

function filePart(disposition: string, body = 'data'): string {
  return `--${B}\r\ncontent-disposition: form-data; name="file"; ${disposition}\r\ncontent-type: text/plain\r\n\r\n${body}\r\n`;
}

const raw = (filename: string): [string, RequestInit] => [`/v1/files?key=${K}&filename=${filename}`, { method: 'POST', body: 'x' }];

/** What the cases need from the running target: a stored file's handle and signed policies. */
interface HostileContext {
  handle: string;
  otherApp: SignedPolicy;
  expired: SignedPolicy;
  forged: SignedPolicy;
}

type SignedPolicy = { policy: string; signature: string };

/**
 * Every hostile request. The names do not depend on the context, so the list is built once
 * with placeholders to declare one test per case, and again with the target's real values.
 */
function hostileCases({ handle, otherApp, expired, forged }: HostileContext): Hostile[] {
  const badHandles = [
    'a',
    handle.slice(0, 42),
    handle + 'A',
    handle.slice(0, 40) + '+/=',
    handle.slice(0, 42) + '=',
    handle.slice(0, 42) + '.',
    'é'.repeat(43),
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'A'.repeat(2000),
    handle.slice(0, 42) + 'B', // non-canonical final character
  ];
  return [
    // Multipart
    { name: 'multipart without boundary', path: `/v1/files?key=${K}`, init: { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/form-data' } }, status: 400, code: 'invalid_multipart' },
    { name: 'multipart with empty boundary', path: `/v1/files?key=${K}`, init: { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/form-data; boundary=' } }, status: 400, code: 'invalid_multipart' },
    { name: 'truncated multipart', path: `/v1/files?key=${K}`, init: form(filePart('filename="a.txt"').slice(0, -10)), status: 400, code: 'invalid_multipart' },
    { name: 'multipart with no closing delimiter', path: `/v1/files?key=${K}`, init: form(filePart('filename="a.txt"')), status: 400, code: 'invalid_multipart' },
    { name: 'multipart that is not multipart', path: `/v1/files?key=${K}`, init: form('just some bytes'), status: 400, code: 'invalid_multipart' },
    { name: 'multipart with only fields', path: `/v1/files?key=${K}`, init: form(`--${B}\r\ncontent-disposition: form-data; name="a"\r\n\r\nv\r\n--${B}--\r\n`), status: 400, code: 'missing_file' },
    { name: 'multipart with too many files', path: `/v1/files?key=${K}`, init: form(Array.from({ length: 25 }, (_, i) => filePart(`filename="f${i}.txt"`)).join('') + `--${B}--\r\n`), status: 400, code: 'invalid_multipart' },
    { name: 'multipart with too many parts', path: `/v1/files?key=${K}`, init: form(Array.from({ length: 60 }, (_, i) => `--${B}\r\ncontent-disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join('') + `--${B}--\r\n`), status: 400, code: 'invalid_multipart' },
    { name: 'multipart part header block too large', path: `/v1/files?key=${K}`, init: form(`--${B}\r\ncontent-disposition: form-data; name="file"; filename="a"\r\n${Array.from({ length: 200 }, (_, i) => `x-h${i}: ${'v'.repeat(100)}`).join('\r\n')}\r\n\r\ndata\r\n--${B}--\r\n`), status: 400, code: 'invalid_multipart' },
    { name: 'multipart file name with CRLF', path: `/v1/files?key=${K}`, init: form(filePart("filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x") + `--${B}--\r\n`), status: 400, code: 'invalid_filename' },
    { name: 'multipart file name with NUL', path: `/v1/files?key=${K}`, init: form(filePart("filename*=UTF-8''a%00.txt") + `--${B}--\r\n`), status: 400, code: 'invalid_filename' },
    { name: 'multipart file name with ../', path: `/v1/files?key=${K}`, init: form(filePart('filename="../../etc/passwd"') + `--${B}--\r\n`), status: 400, code: 'invalid_filename' },
    { name: 'multipart file name with RTL override', path: `/v1/files?key=${K}`, init: form(filePart("filename*=UTF-8''invoice%E2%80%AEfdp.exe") + `--${B}--\r\n`), status: 400, code: 'invalid_filename' },
    { name: 'multipart file name of 1 KB UTF-8', path: `/v1/files?key=${K}`, init: form(filePart(`filename*=UTF-8''${encodeURIComponent('ж'.repeat(512))}`) + `--${B}--\r\n`), status: 400, code: 'invalid_filename' },
    { name: 'multipart/mixed', path: `/v1/files?key=${K}`, init: { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/mixed; boundary=x' } }, status: 415, code: 'unsupported_media_type' },
    // Raw uploads with hostile names
    ...(
      [
        ['a%0D%0ASet-Cookie:%20x', 'CRLF'],
        ['a%00b', 'NUL'],
        ['..%2F..%2Fetc%2Fpasswd', '../'],
        ['..', '..'],
        ['a%5Cb', 'backslash'],
        ['invoice%E2%80%AEfdp.exe', 'RTL override'],
        [encodeURIComponent('ж'.repeat(512)), '1 KB of UTF-8'],
        ['%20leading', 'leading space'],
        ['', 'empty'],
        ['%FF%FE', 'invalid UTF-8'],
      ] as const
    ).map(([fname, what]) => {
      const [path, init] = raw(fname);
      return { name: `raw file name: ${what}`, path, init, status: 400, code: 'invalid_filename' };
    }),
    { name: 'PUT name with CRLF', path: `/v1/files/a%0D%0Ab?key=${K}`, init: { method: 'PUT', body: 'x' }, status: 400, code: 'invalid_filename' },
    // Ranges
    ...['bytes=-0', 'bytes=99999999999999999999-', 'bytes=0-1,3-x', 'bytes=50000-,60000-70000', 'bytes=9-2', 'bytes=--1', 'bytes=', 'bytes=50000-', 'bytes=1-2-3'].map((range) => ({
      name: `range ${range}`,
      path: `/v1/files/${handle}?key=${K}`,
      init: { headers: { range } },
      status: 416,
      code: 'range_not_satisfiable',
    })),
    // Handles of every wrong length and alphabet
    ...badHandles.map((h, i) => ({ name: `bad handle #${i}`, path: `/v1/files/${h}?key=${K}`, status: 404, code: 'not_found' })),
    // Keys and policies
    { name: 'unknown key', path: `/v1/files?key=${'k'.repeat(300)}&filename=a`, init: { method: 'POST', body: 'x' }, status: 401, code: 'unknown_key' },
    { name: 'policy from another app', path: `/v1/files?key=${SIGNED_APP.key}&filename=a&policy=${otherApp.policy}&signature=${otherApp.signature}`, init: { method: 'POST', body: 'x' }, status: 401, code: 'invalid_signature' },
    { name: 'policy replayed after expiry', path: `/v1/files?key=${SIGNED_APP.key}&filename=a&policy=${expired.policy}&signature=${expired.signature}`, init: { method: 'POST', body: 'x' }, status: 401, code: 'policy_expired' },
    { name: 'forged policy', path: `/v1/files?key=${SIGNED_APP.key}&filename=a&policy=${forged.policy}&signature=${forged.signature}`, init: { method: 'POST', body: 'x' }, status: 401, code: 'invalid_signature' },
    { name: 'policy of 10 KB', path: `/v1/files?key=${SIGNED_APP.key}&filename=a&policy=${'A'.repeat(10_000)}&signature=${'0'.repeat(64)}`, init: { method: 'POST', body: 'x' }, status: 401, code: 'malformed_policy' },
    // TTL
    ...['1e9', 'NaN', '-1', '0x10', '99999999999999999999'].map((ttl) => ({ name: `ttl ${ttl}`, path: `/v1/files?key=${K}&filename=a&ttl=${ttl}`, init: { method: 'POST', body: 'x' }, status: 400, code: 'invalid_ttl' })),
    // Methods
    { name: 'PATCH a file', path: `/v1/files/${handle}?key=${K}`, init: { method: 'PATCH', body: 'x' }, status: 405, code: 'method_not_allowed' },
    { name: 'DELETE the collection', path: `/v1/files?key=${K}`, init: { method: 'DELETE' }, status: 405, code: 'method_not_allowed' },
    { name: 'POST to meta', path: `/v1/files/${handle}/meta?key=${K}`, init: { method: 'POST' }, status: 405, code: 'method_not_allowed' },
    { name: 'PUT the collection', path: `/v1/files?key=${K}`, init: { method: 'PUT', body: 'x' }, status: 405, code: 'method_not_allowed' },
    // JSON bodies (picks)
    { name: 'giant JSON', path: `/v1/picks?key=${K}`, init: { method: 'POST', body: JSON.stringify({ source: 'url', url: 'http://x.test/' + 'a'.repeat(100_000) }), headers: { 'content-type': 'application/json' } }, status: 413, code: 'body_too_large' },
    { name: 'deeply nested JSON', path: `/v1/picks?key=${K}`, init: { method: 'POST', body: '['.repeat(60_000) + ']'.repeat(60_000), headers: { 'content-type': 'application/json' } }, status: 413, code: 'body_too_large' },
    { name: 'nested JSON under the cap', path: `/v1/picks?key=${K}`, init: { method: 'POST', body: '{"a":' + '['.repeat(30_000) + ']'.repeat(30_000) + '}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'bad_request' },
    { name: 'truncated JSON', path: `/v1/picks?key=${K}`, init: { method: 'POST', body: '{"source":"url","url":', headers: { 'content-type': 'application/json' } }, status: 400, code: 'invalid_json' },
    { name: 'JSON array', path: `/v1/picks?key=${K}`, init: { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } }, status: 400, code: 'invalid_json' },
    { name: 'pick as a form', path: `/v1/picks?key=${K}`, init: { method: 'POST', body: 'source=url', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'unsupported_media_type' },
    // App listing with bad credentials
    { name: 'listing with a malformed Authorization', path: '/v1/app/files', init: { headers: { authorization: 'Basic abc' } }, status: 401, code: 'missing_secret' },
    { name: 'deleting by a path-traversal id', path: '/v1/app/files/..%2F..%2Fkeys', init: { method: 'DELETE', headers: { authorization: `Bearer ${TEST_APP.secret}` } }, status: 404, code: 'not_found' },
  ];
}

const placeholder: SignedPolicy = { policy: 'placeholder', signature: 'placeholder' };
const CASE_NAMES = hostileCases({
  handle: 'A'.repeat(43),
  otherApp: placeholder,
  expired: placeholder,
  forged: placeholder,
}).map((c) => c.name);

export function describeHostileInput(name: string, makeTarget: TargetFactory) {
  describe(`hostile input (${name})`, () => {
    let t: Target;
    let cases: Hostile[];
    let before: string[];
    beforeAll(async () => {
      t = await makeTarget();
      const handle = (await upload(t.url, new Uint8Array(50_000))).handle;
      cases = hostileCases({
        handle,
        otherApp: await signPolicy(OTHER_APP.secret, { call: ['store'] }),
        expired: await signPolicy(SIGNED_APP.secret, { call: ['store'], expiry: Math.floor(Date.now() / 1000) - 1 }),
        forged: await signPolicy('not-the-secret-at-all', { call: ['store'] }),
      });
      before = (await t.residue()).sort();
    });
    afterAll(async () => t?.close());

    it('covers at least 40 hostile requests', () => {
      expect(cases.map((c) => c.name)).toEqual(CASE_NAMES);
      expect(cases.length).toBeGreaterThanOrEqual(40);
    });

    // One test per case, so one wrong answer does not hide the others.
    for (const [i, caseName] of CASE_NAMES.entries()) {
      it(`answers ${caseName} with the right 4xx and JSON code`, async () => {
        const c = cases[i]!;
        const res = await fetch(`${t.url}${c.path}`, c.init);
        expect(res.status, c.name).toBe(c.status);
        expect(res.headers.get('content-type'), c.name).toMatch(/^application\/json/);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code, c.name).toBe(c.code);
        expect(body.error.message.length, c.name).toBeGreaterThan(0);
      });
    }

    // Declared last: vitest runs a file's tests in order, so every case above has been sent.
    it('stays healthy and stores nothing after all of them', async () => {
      const health = await fetch(`${t.url}/healthz`);
      expect(health.status).toBe(200);
      const until = Date.now() + 5000;
      let after = (await t.residue()).sort();
      while (JSON.stringify(after) !== JSON.stringify(before) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        after = (await t.residue()).sort();
      }
      expect(after).toEqual(before);
    });
  });
}
