// A full disk under the embedded store: FERRY_DATA_DIR on a real 8 MiB tmpfs (mounted here; the
// suite runs as root, in CI too), half of it taken by a ballast file as another program would.
// An upload that does not fit gets `507 storage_full`, keeps nothing (no temp file, no object),
// the server stays healthy and serves what it has, and once the ballast is gone the same upload
// succeeds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, testKey } from '../helpers/targets.js';
import { MiB, call, download, kill9, patternBlock, repeatedSha256, sendBody, startServerProcess, type ServerProcess } from './harness.js';

const key = TEST_APP.key;
let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-full-'));
  // Needs root (CI runs .ci/run as root); a refused mount fails here, loudly, rather than skipping.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', dir]);
  server = await startServerProcess({ FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
});

afterAll(async () => {
  if (server) await kill9(server);
  try {
    execFileSync('umount', [dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Files under the data dir that are not finished objects: temp files and parts. */
function scratch(): string[] {
  return ['.tmp', '.uploads'].flatMap((sub) => {
    try {
      return readdirSync(join(dir, sub), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name);
    } catch {
      return [];
    }
  });
}

function objects(): string[] {
  try {
    return readdirSync(join(dir, 'objects'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

describe('a full disk under the embedded store', () => {
  it('answers 507 storage_full, keeps nothing, stays healthy, and accepts the upload once there is room', { timeout: 120_000 }, async () => {
    const keptBlock = patternBlock(11);
    const kept = await sendBody(server.url, 'POST', `/v1/files?key=${key}&filename=kept.bin`, {}, MiB, MiB, keptBlock).answer;
    expect(kept.status).toBe(201);
    const keptFile = JSON.parse(kept.body);
    const ballast = join(dir, 'ballast');
    writeFileSync(ballast, new Uint8Array(4 * MiB));

    // 1. A streamed upload that runs out of room part-way.
    const big = await sendBody(server.url, 'POST', `/v1/files?key=${key}&filename=big.bin`, {}, 4 * MiB).answer.catch((e: Error) => ({ status: 0, body: e.message }));
    expect(big.status, big.body).toBe(507);
    expect(JSON.parse(big.body).error.code).toBe('storage_full');
    expect(scratch()).toEqual([]);
    expect(objects()).toHaveLength(1);

    // 2. A session part sent to Ferry's own part URL.
    const session = await call(server.url, 'POST', `/v1/uploads?key=${key}`, { 'content-type': 'application/json' }, JSON.stringify({ filename: 's.bin', size: 6 * MiB }));
    expect(session.status).toBe(201);
    const s = JSON.parse(session.body);
    const part = await sendBody(server.url, 'PUT', `/v1/uploads/${s.upload}/parts/1?key=${key}`, {}, s.objectSize).answer.catch((e: Error) => ({ status: 0, body: e.message }));
    expect(part.status, part.body).toBe(507);
    expect(JSON.parse(part.body).error.code).toBe('storage_full');
    expect(scratch().filter((f) => f !== 'info')).toEqual([]);
    await call(server.url, 'DELETE', `/v1/uploads/${s.upload}?key=${key}`);

    // 3. A tus PATCH.
    const created = await call(server.url, 'POST', `/v1/tus?key=${key}`, { 'tus-resumable': '1.0.0', 'upload-length': String(4 * MiB) });
    expect(created.status).toBe(201);
    const tusUrl = new URL(created.headers.location as string);
    const patch = await sendBody(server.url, 'PATCH', tusUrl.pathname + tusUrl.search, { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, 4 * MiB).answer.catch((e: Error) => ({ status: 0, body: e.message }));
    expect(patch.status, patch.body).toBe(507);
    expect(JSON.parse(patch.body).error.code).toBe('storage_full');
    await call(server.url, 'DELETE', tusUrl.pathname + tusUrl.search, { 'tus-resumable': '1.0.0' });
    expect(scratch()).toEqual([]);
    expect(objects()).toHaveLength(1);

    // Healthy, and what it holds is intact.
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
    expect(await download(keptFile.url)).toMatchObject({ status: 200, size: MiB, sha256: repeatedSha256(keptBlock, MiB), complete: true });

    // Room again: the same upload goes through, byte-exact.
    rmSync(ballast);
    const againBlock = patternBlock(1);
    const again = await sendBody(server.url, 'POST', `/v1/files?key=${key}&filename=big.bin`, {}, 4 * MiB, 4 * MiB, againBlock).answer;
    expect(again.status, again.body).toBe(201);
    expect(await download(JSON.parse(again.body).url)).toMatchObject({ status: 200, size: 4 * MiB, sha256: repeatedSha256(againBlock, 4 * MiB), complete: true });
    expect(scratch()).toEqual([]);
  });
});
