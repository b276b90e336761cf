// An origin that misbehaves while a pick streams from it, through a real server process and the
// loopback origin of test/fakes: one that sends its headers and some bytes and then goes silent
// (the pick must fail within FERRY_ORIGIN_TIMEOUT_SECONDS, here 2, and the connection to the
// origin must be closed), and one that closes the connection early (a broken transfer, never a
// clean short end). Both leave the server's sockets to the origin where they were.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakes, type Fakes } from '../fakes/server.js';
import { TEST_APP, testKey } from '../helpers/targets.js';
import { call, download, kill9, startServerProcess, tcpConnections, until, type ServerProcess } from './harness.js';

const TIMEOUT_SECONDS = 2;
const key = TEST_APP.key;
let fakes: Fakes;
let server: ServerProcess;
let dataDir: string;

beforeAll(async () => {
  fakes = await startFakes();
  dataDir = mkdtempSync(join(tmpdir(), 'ferry-origin-'));
  server = await startServerProcess({
    FERRY_DATA_DIR: dataDir,
    FERRY_KEYS: testKey(),
    FERRY_APPS: JSON.stringify([TEST_APP]),
    FERRY_ORIGIN_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    ...fakes.env(),
  });
});
afterAll(async () => {
  if (server) await kill9(server);
  await fakes?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function pick(path: string): Promise<{ url: string; size: number }> {
  const res = await call(server.url, 'POST', `/v1/picks?key=${key}`, { 'content-type': 'application/json' }, JSON.stringify({ source: 'url', url: `${fakes.url}${path}` }));
  expect(res.status, res.body).toBe(201);
  return JSON.parse(res.body);
}

const originPort = () => Number(new URL(fakes.url).port);

describe('an origin that fails mid-pick', () => {
  it('stalls after some bytes: the pick fails within the idle timeout and its origin connection is closed', { timeout: 60_000 }, async () => {
    const baseline = tcpConnections(server.child.pid!, originPort());
    const p = await pick('/origin/stall/31/4000000/600000/stalled.bin');
    const t0 = Date.now();
    const got = await download(p.url);
    const took = Date.now() - t0;
    console.info(`[faults] stalled origin: ${got.size} of 4000000 bytes, then ${got.error} after ${took} ms (timeout ${TIMEOUT_SECONDS} s)`);
    expect(got.status).toBe(200);
    expect(got.complete).toBe(false);
    expect(got.error).toBeDefined();
    expect(got.size).toBeLessThan(4_000_000);
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 200);
    expect(took).toBeLessThan(TIMEOUT_SECONDS * 1000 + 8000);
    await until(() => tcpConnections(server.child.pid!, originPort()) <= baseline, 'the origin connection to close', 10_000);
  });

  it('closes early: a broken transfer, never a clean short end, and no socket left', { timeout: 60_000 }, async () => {
    const baseline = tcpConnections(server.child.pid!, originPort());
    const p = await pick('/origin/fail/32/3000000/900000/cut.bin');
    const got = await download(p.url);
    expect(got.status).toBe(200);
    expect(got.complete).toBe(false);
    expect(got.error).toBeDefined();
    expect(got.size).toBeLessThan(3_000_000);
    await until(() => tcpConnections(server.child.pid!, originPort()) <= baseline, 'the origin connection to close', 10_000);
    // And the server picks on: a whole file from the same origin.
    const ok = await pick('/origin/files/33/2000000/ok.bin');
    expect(await download(ok.url)).toMatchObject({ status: 200, size: 2_000_000, complete: true });
  });
});
