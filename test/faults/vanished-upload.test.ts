// A client that goes away in the middle of an upload's body (its socket ends: the server sees
// EOF mid-message) must not keep the upload's slot. Node reports that EOF as a parser error
// ('clientError', HPE_INVALID_EOF_STATE); the handler that answers parser errors in order
// (src/node-http/client-errors.ts) once waited for the in-flight answer, which waited for a body
// that could never arrive: the slot stayed taken and the request was never logged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../../src/node.js';
import type { RequestLogEntry } from '../../src/request-log.js';
import { TEST_APP, TEST_APPS, testKey } from '../helpers/targets.js';
import { MiB, sendBody, until } from './harness.js';

let ferry: RunningFerry | undefined;
let dir: string | undefined;
afterEach(async () => {
  await ferry?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  ferry = dir = undefined;
});

async function start(log: RequestLogEntry[]): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'ferry-vanished-'));
  ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, FERRY_MAX_CONCURRENT_UPLOADS: '1' },
    { log: () => {}, requestLog: (e) => void log.push(e) },
  );
  return ferry.url.replace('localhost', '127.0.0.1');
}

describe('a client that vanishes mid-upload', () => {
  it('frees the upload slot at once and is logged as upload_interrupted', async () => {
    const log: RequestLogEntry[] = [];
    const url = await start(log);
    const held = sendBody(url, 'POST', `/v1/files?key=${TEST_APP.key}&filename=half.bin`, {}, 8 * MiB, 4 * MiB);
    held.answer.catch(() => {});
    await held.sent;
    await until(() => log.length === 0 && held.req.socket, 'the upload to be under way');
    held.req.destroy();

    // The app's one slot is free again: the next upload is taken, not refused with 429.
    await new Promise((r) => setTimeout(r, 500));
    const next = await fetch(`${url}/v1/files?key=${TEST_APP.key}&filename=next.txt`, { method: 'POST', body: 'hello' });
    expect(next.status).toBe(201);
    const entry = await until(() => log.find((e) => e.method === 'POST' && e.route === '/v1/files' && e.status !== 201), 'the upload to be logged', 10_000);
    expect(entry.error).toBe('upload_interrupted');
  });

  it('still answers complete pipelined requests before an unfinished one', async () => {
    const log: RequestLogEntry[] = [];
    const url = await start(log);
    const { connect } = await import('node:net');
    const u = new URL(url);
    const socket = connect(Number(u.port), u.hostname);
    let reply = '';
    socket.on('data', (d) => (reply += d));
    const closed = new Promise((r) => socket.once('close', r));
    socket.on('error', () => {});
    // A whole request, then half of a second one's head, then the client's half of the
    // connection ends: the whole one is still answered.
    socket.end('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /heal');
    await closed;
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });
});
