// Requests refused before the app sees them, over raw sockets: what Node's parser or the
// adapter used to answer with a bare status and no log line now gets the JSON of the one error
// table and a log line; two Host headers are a 400 (RFC 9112 §3.2); and a valid pipelined
// request keeps its answer, in order, before the error for the broken one after it (§9.3.2).
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { startFerry, type RunningFerry } from '../../src/node.js';
import type { RequestLogEntry } from '../../src/request-log.js';
import { TEST_APP, TEST_APPS, testKey } from '../helpers/targets.js';

let ferry: RunningFerry;
let port: number;
let dir: string;
const entries: RequestLogEntry[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-refusals-'));
  ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS },
    { log: () => {}, requestLog: (e) => entries.push(e) },
  );
  port = Number(new URL(ferry.url).port);
});
afterAll(async () => {
  await ferry.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `text` in one write and collects everything until the server closes (or 5 s pass). */
function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
    socket.write(text);
  });
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits a stream of HTTP/1.1 responses (Content-Length or chunked bodies). */
function responses(stream: string): Answer[] {
  const out: Answer[] = [];
  let rest = stream;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    expect(end, `no header end in ${JSON.stringify(rest)}`).toBeGreaterThan(0);
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    rest = rest.slice(end + 4);
    let body = '';
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = rest.slice(0, n);
      rest = rest.slice(n);
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, eol), 16);
        rest = rest.slice(eol + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else if (!/^HTTP\/1\.1 (1\d\d|204|304)/.test(statusLine!)) {
      // Neither length nor chunks: the body runs to the close.
      body = rest;
      rest = '';
    }
    out.push({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]), headers, body });
  }
  return out;
}

async function waitForLog(requestId: string): Promise<RequestLogEntry> {
  for (let i = 0; i < 200; i++) {
    const e = entries.find((x) => x.requestId === requestId);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line for ${requestId}`);
}

/** One error answer: JSON from the table, its status, and one log line with its code. */
async function expectJsonError(answer: Answer, code: keyof typeof ERRORS) {
  expect(answer.status).toBe(ERRORS[code]);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const json = JSON.parse(answer.body) as { error: { code: string; message: string } };
  expect(json.error.code).toBe(code);
  expect(json.error.message.length).toBeGreaterThan(0);
  const requestId = answer.headers['x-request-id'];
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  const line = await waitForLog(requestId!);
  expect(line).toMatchObject({ status: ERRORS[code], error: code, route: 'unmatched', client: '127.0.0.0/24' });
}

describe('requests refused before the app', () => {
  it.each([
    ['no Host on HTTP/1.1', 'GET /healthz HTTP/1.1\r\n\r\n', 'bad_request'],
    ['Host: a b', 'GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n', 'bad_request'],
    ['a port out of range', 'GET /healthz HTTP/1.1\r\nHost: a:99999\r\n\r\n', 'bad_request'],
    ['a percent sign the URL parser refuses in Host', 'GET /healthz HTTP/1.1\r\nHost: a%zz\r\n\r\n', 'bad_request'],
    ['a backslash in the target', 'GET /a\\b HTTP/1.1\r\nHost: x\r\n\r\n', 'bad_request'],
    ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 'bad_request'],
    ['an absolute-form ftp:// target', 'GET ftp://x/y HTTP/1.1\r\nHost: x\r\n\r\n', 'bad_request'],
    ['a target that is no path', 'GET healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'bad_request'],
    ['Expect: x-evil', 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: x-evil\r\n\r\n', 'expectation_failed'],
    ['two Host headers', 'GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 'bad_request'],
    ['two Host headers, the second empty', 'GET /healthz HTTP/1.1\r\nHost: x\r\nhost:\r\n\r\n', 'bad_request'],
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 'bad_request'],
    ['oversized headers', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, 'headers_too_large'],
  ] as const)('%s: JSON error from the table, logged, connection closed', async (_, text, code) => {
    const answers = responses(await raw(text));
    expect(answers).toHaveLength(1);
    await expectJsonError(answers[0]!, code);
    expect(answers[0]!.headers.connection).toBe('close');
  });

  it('a refused upload stores nothing, and the server serves on', async () => {
    const answers = responses(
      await raw(`POST /v1/files?key=${TEST_APP.key}&filename=a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: 5\r\n\r\nhello`),
    );
    await expectJsonError(answers[0]!, 'bad_request');
    let n = 0;
    for await (const _ of ferry.store.list('')) n++;
    expect(n).toBe(0);
    expect((await fetch(`${ferry.url}/healthz`)).status).toBe(200);
  });

  it('still serves HTTP/1.0 without Host, Expect: 100-continue and a well-formed Host with a port', async () => {
    expect(responses(await raw('GET /healthz HTTP/1.0\r\n\r\n'))[0]!.status).toBe(200);
    const cont = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    // A request whose body is never read gets its answer without a 100 first (node-http/early-answer.ts).
    expect(cont).toMatch(/^HTTP\/1\.1 200 /);
    for (const host of ['localhost:8080', '127.0.0.1:1', '[::1]:65535', 'files.example']) {
      const [answer] = responses(await raw(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
      expect(answer!.status, host).toBe(200);
    }
  });
});

describe('pipelining (RFC 9112 §9.3.2)', () => {
  it('answers a valid keep-alive request before the error for the malformed one after it', async () => {
    const answers = responses(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n'));
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(JSON.parse(answers[0]!.body)).toEqual({ ok: true });
    await expectJsonError(answers[1]!, 'bad_request');
  });

  it('keeps the order with a slower answer first, and a request refused by the guard after it', async () => {
    // A download takes a store read and decryption: its answer is still being written when the
    // broken request behind it is parsed.
    const up = await fetch(`${ferry.url}/v1/files?key=${TEST_APP.key}&filename=p.bin`, { method: 'POST', body: new Uint8Array(300_000).fill(7) });
    const file = (await up.json()) as { url: string };
    const path = new URL(file.url).pathname + new URL(file.url).search;
    const answers = responses(
      await raw(
        `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n` +
          'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
          'GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400]);
    expect(answers[0]!.body.length).toBe(300_000);
    expect(answers[0]!.body).toBe('\x07'.repeat(300_000));
    await expectJsonError(answers[2]!, 'bad_request');
    const broken = responses(await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`));
    expect(broken.map((a) => a.status)).toEqual([200, 400]);
    expect(broken[0]!.body.length).toBe(300_000);
  });
});
