// A client that vanishes mid-download: the server must cancel the store read, not leave it
// open until the object has been read to the end (or forever, for a stalled reader). Measured on
// a real server process: its open handles on the data directory (filesystem store) and its TCP
// connections to s3rver (S3 store), before and after ten downloads that are cut part-way, by a
// reset and by a quiet close.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, inject } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { MiB, kill9, openFilesUnder, sendBody, startServerProcess, tcpConnections, until, type ServerProcess } from './harness.js';

const key = TEST_APP.key;
const SIZE = 32 * MiB;
let server: ServerProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (server) await kill9(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = dir = undefined;
});

/** Starts a download on a raw socket, reads `bytes` of it, then resets or closes the socket. */
async function vanishAfter(fileUrl: string, bytes: number, how: 'reset' | 'close'): Promise<void> {
  const u = new URL(fileUrl);
  const socket = connect(Number(u.port), u.hostname);
  socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
  let got = 0;
  await new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= bytes) {
        socket.pause();
        resolve();
      }
    });
    socket.on('close', () => resolve());
  });
  if (how === 'reset') socket.resetAndDestroy();
  else socket.destroy();
}

describe.each([
  ['the embedded filesystem store', 'fs'],
  ['S3 (s3rver)', 's3'],
] as const)('a client vanishes mid-download, %s', (_, kind) => {
  it('cancels the store read: open files and S3 sockets go back to the baseline', { timeout: 120_000 }, async () => {
    let measure: () => number;
    if (kind === 'fs') {
      dir = mkdtempSync(join(tmpdir(), 'ferry-vanish-'));
      server = await startServerProcess({ FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
      const s = server;
      measure = () => openFilesUnder(s.child.pid!, dir!).length;
    } else {
      const { bucket, endpoint } = await newBucket();
      server = await startServerProcess({ ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
      const s = server;
      const port = Number(new URL(inject('s3Endpoint')).port);
      measure = () => tcpConnections(s.child.pid!, port);
    }
    const up = await sendBody(server.url, 'POST', `/v1/files?key=${key}&filename=v.bin`, {}, SIZE).answer;
    expect(up.status).toBe(201);
    const file = JSON.parse(up.body);
    // Idle S3 keep-alive sockets are part of the baseline (the SDK's pool keeps some open).
    await new Promise((r) => setTimeout(r, 500));
    const baseline = measure();

    let peakDuring = 0;
    for (let i = 0; i < 10; i++) {
      await vanishAfter(file.url, 2 * MiB, i % 2 ? 'reset' : 'close');
      peakDuring = Math.max(peakDuring, measure());
    }
    // The reads end once the server notices; allow it a moment, but no more (a leak never ends).
    const settled = await until(
      () => {
        const n = measure();
        return n <= baseline ? { n } : undefined;
      },
      'the store reads to be released',
      15_000,
    ).catch(() => ({ n: measure() }));
    console.info(`[faults] vanish ${kind}: baseline ${baseline}, at most ${peakDuring} while cutting, ${settled.n} after`);
    expect(settled.n).toBeLessThanOrEqual(baseline);
  });
});
