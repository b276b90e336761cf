// kill -9 of the server in the middle of uploads of all three kinds (a streamed POST, a session
// part sent to Ferry's own part URL, a tus PATCH), on the embedded store and on S3 (s3rver).
// After a restart: the file completed before the crash is byte-exact, nothing partial can be
// read, the session and the tus upload can still be resumed (their state lives in the store),
// and one sweep run at the uploads' expiry (at most a day: FERRY_TTL_SECONDS) removes every temp
// file and every incomplete multipart upload the crash left. The sweep is the server's own
// `sweepExpired`, run here on the same store with the clock moved on, since no test can wait a day.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DECOY_KEY } from '../../src/files.js';
import { FsStore } from '../../src/store/fs-store.js';
import { S3Store } from '../../src/store/s3-store.js';
import { sweepExpired } from '../../src/store/sweep.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { TEST_APP, TEST_APPS, newBucket, s3Client, s3Vars, testKey } from '../helpers/targets.js';
import { MiB, call, download, kill9, patternBlock, repeatedSha256, sendBody, startServerProcess, until, type ServerProcess } from './harness.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const key = TEST_APP.key;

interface World {
  name: string;
  env: Record<string, string>;
  store: ObjectStore;
  /** Everything physically there: files under the data dir, or objects and multipart uploads. */
  residue(): Promise<{ objects: string[]; pending: string[] }>;
  cleanup(): void;
}

function fsWorld(): World {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-crash-'));
  const walk = (sub: string): string[] => {
    try {
      return readdirSync(join(dir, sub), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
    } catch {
      return [];
    }
  };
  return {
    name: 'fs',
    env: { FERRY_DATA_DIR: dir },
    store: new FsStore(dir),
    residue: async () => ({ objects: walk('objects').filter((k) => !k.startsWith(`objects/${DECOY_KEY}`)), pending: [...walk('.tmp'), ...walk('.uploads')] }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function s3World(): Promise<World> {
  const { bucket, endpoint } = await newBucket();
  const client = s3Client(endpoint);
  const store = new S3Store({ client, bucket });
  return {
    name: 's3',
    env: s3Vars(bucket, endpoint),
    store,
    residue: async () => {
      const objects: string[] = [];
      // The decoy (files.ts) is Ferry's own, not a file's: it stays.
      for await (const o of store.list('')) if (o.key !== DECOY_KEY) objects.push(o.key);
      const pending: string[] = [];
      for await (const u of store.listMultipart('')) pending.push(`${u.key}?uploadId=${u.uploadId}`);
      return { objects, pending };
    },
    cleanup: () => client.destroy(),
  };
}

function pendingBytes(dir: string): number {
  let n = 0;
  for (const sub of ['.tmp', '.uploads']) {
    try {
      for (const e of readdirSync(join(dir, sub), { recursive: true, withFileTypes: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name), { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      // not there yet
    }
  }
  return n;
}

const worlds: [string, () => Promise<World>][] = [
  ['the embedded filesystem store', async () => fsWorld()],
  ['S3 (s3rver)', s3World],
];

describe.each(worlds)('kill -9 mid-upload, %s', (_, makeWorld) => {
  let world: World | undefined;
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await kill9(s);
    world?.cleanup();
  });

  it('keeps completed files, shows nothing partial, and one sweep clears what the crash left', { timeout: 180_000 }, async () => {
    world = await makeWorld();
    const env = { ...world.env, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS };
    const first = await startServerProcess(env);
    servers.push(first);

    // A file completed before the crash.
    const doneBlock = patternBlock(7);
    const doneSize = 3 * MiB + 123;
    const done = sendBody(first.url, 'POST', `/v1/files?key=${key}&filename=done.bin`, {}, doneSize, doneSize, doneBlock);
    const doneAnswer = await done.answer;
    expect(doneAnswer.status).toBe(201);
    const doneFile = JSON.parse(doneAnswer.body);

    // 1. A streamed POST of 40 MiB, 20 MiB of it sent (on S3 past the first 8 MiB part: a multipart upload).
    const streamed = sendBody(first.url, 'POST', `/v1/files?key=${key}&filename=streamed.bin`, {}, 40 * MiB, 20 * MiB);
    // 2. A session whose part 1 (8 MiB) goes to Ferry's own part URL, half of it sent.
    const session = await call(first.url, 'POST', `/v1/uploads?key=${key}`, { 'content-type': 'application/json' }, JSON.stringify({ filename: 'session.bin', type: 'application/octet-stream', size: 20 * MiB }));
    expect(session.status).toBe(201);
    const s = JSON.parse(session.body);
    const part = sendBody(first.url, 'PUT', `/v1/uploads/${s.upload}/parts/1?key=${key}`, {}, s.partSize, s.partSize / 2);
    // 3. A tus upload of 20 MiB whose PATCH sent 12 MiB.
    const created = await call(first.url, 'POST', `/v1/tus?key=${key}`, {
      'tus-resumable': '1.0.0',
      'upload-length': String(20 * MiB),
      'upload-metadata': `filename ${Buffer.from('tus.bin').toString('base64')}`,
    });
    expect(created.status).toBe(201);
    const tusUrl = new URL(created.headers.location as string);
    const patch = sendBody(first.url, 'PATCH', tusUrl.pathname + tusUrl.search, { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, 20 * MiB, 12 * MiB);
    await Promise.all([streamed.sent, part.sent, patch.sent]);
    // Wait until the crash really lands mid-write: the server has stored some of those bytes.
    // (On the filesystem: nearly all bytes sent are on disk; on S3 all three multipart uploads exist.)
    const sentBytes = 20 * MiB + s.partSize / 2 + 12 * MiB;
    await until(async () => (world!.name === 'fs' ? pendingBytes(world!.env.FERRY_DATA_DIR!) >= sentBytes - 4 * MiB : (await world!.residue()).pending.length >= 3), 'the three uploads to be under way in the store');

    await kill9(first);
    for (const r of [streamed, part, patch]) await expect(r.answer).rejects.toThrow();

    const afterCrash = await world.residue();
    console.info(`[faults] ${world.name} after kill -9: ${JSON.stringify(afterCrash)}`);
    // The store holds exactly one object, the completed file: nothing of the three uploads
    // became an object (each store's commit is atomic), so nothing partial can be read.
    expect(afterCrash.objects).toHaveLength(1);
    expect(afterCrash.pending.length).toBeGreaterThan(0);

    const second = await startServerProcess(env);
    servers.push(second);
    // The completed file is intact, byte for byte.
    const got = await download(doneFile.url.replace(first.url, second.url));
    expect(got).toMatchObject({ status: 200, size: doneSize, sha256: repeatedSha256(doneBlock, doneSize), complete: true });
    // Nor did the restart commit anything: still the one object.
    const listed: string[] = [];
    for await (const o of world.store.list('')) if (o.key !== DECOY_KEY) listed.push(o.key);
    expect(listed).toHaveLength(1);
    // The session and the tus upload survive the restart: their state is in the store.
    const resumed = await call(second.url, 'GET', `/v1/uploads/${s.upload}?key=${key}`);
    expect(resumed.status).toBe(200);
    const head = await call(second.url, 'HEAD', tusUrl.pathname + tusUrl.search, { 'tus-resumable': '1.0.0' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['upload-offset'])).toBeLessThanOrEqual(12 * MiB);
    await kill9(second);

    // A crashed write's temp files go with the first sweep after they are an hour stale (the
    // FsStore's staleTempMs; the server sweeps every 10 minutes): resumable uploads stay.
    await sweepExpired(world.store, new Date(Date.now() + HOUR + 60_000));
    const afterHour = await world.residue();
    expect(afterHour.pending.filter((p) => p.startsWith('.tmp/'))).toEqual([]);
    expect(afterHour.pending.length).toBeGreaterThan(0);
    expect(afterHour.objects).toEqual(afterCrash.objects);

    // One sweep at the uploads' expiry clears every temp file and incomplete multipart upload.
    const t0 = Date.now();
    await sweepExpired(world.store, new Date(Date.now() + DAY + 60_000));
    const sweptIn = Date.now() - t0;
    const afterSweep = await world.residue();
    expect(afterSweep.pending, `left after one sweep (${sweptIn} ms)`).toEqual([]);
    // The completed file has expired by then too and went with the same sweep; nothing remains.
    expect(afterSweep.objects).toEqual([]);
    console.info(`[faults] ${world.name}: crash left ${afterCrash.pending.length} temp/multipart items; one sweep removed them in ${sweptIn} ms`);
  });
});
