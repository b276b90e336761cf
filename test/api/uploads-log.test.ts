// The request log of an upload session keeps nothing it must not: the token, the handle, the
// data key, the prefix and the file name are bearer secrets or personal, so every line holds the
// route pattern and the file id only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startFerry } from '../../src/node.js';
import type { RequestLogEntry } from '../../src/request-log.js';
import { FsStore } from '../../src/store/fs-store.js';
import { TEST_APP, TEST_APPS, testKey, type Target } from '../helpers/targets.js';
import { sessionClient, uploadParts } from './uploads-suite.js';

it('logs route patterns and the file id, never the token, handle, key or name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-ulog-'));
  const entries: RequestLogEntry[] = [];
  const ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS },
    { log: () => {}, requestLog: (e) => entries.push(e) },
  );
  try {
    const t: Target = { name: 'log', url: ferry.url, store: new FsStore(dir), residue: async () => [], close: async () => {} };
    const c = sessionClient(t);
    const filename = 'Secret-Plans-Wombat.bin';
    const s = await c.session(50_000, filename);
    await uploadParts(c, s);
    await (await c.list(s)).arrayBuffer();
    expect((await c.complete(s)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 100));
    expect(entries.map((e) => [e.method, e.route, e.status])).toEqual([
      ['POST', '/v1/uploads', 201],
      ['POST', '/v1/uploads/:upload/parts', 200],
      ['PUT', '/v1/uploads/:upload/parts/:n', 200],
      ['GET', '/v1/uploads/:upload', 200],
      ['POST', '/v1/uploads/:upload/complete', 201],
    ]);
    const id = Buffer.from(s.handle, 'base64url').subarray(0, 16).toString('hex');
    expect(entries.every((e) => e.fileId === id)).toBe(true);
    expect(entries[2]!.bytesIn).toBe(s.objectSize);
    for (const line of entries.map((e) => JSON.stringify(e))) {
      for (const forbidden of [s.upload, s.upload.slice(40, 80), s.handle, s.handle.slice(22), s.chunkKey, s.baseNonce, s.prefix.slice(0, 40), filename, 'Wombat', TEST_APP.key]) {
        expect(line, `log line leaks ${forbidden}`).not.toContain(forbidden);
      }
    }
  } finally {
    await ferry.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
