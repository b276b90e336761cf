// The session domain on its own (src/uploads.ts): the part geometry, and completion from the
// client's record where the store cannot list parts. The store is the real filesystem store
// with its listing turned off, the way a backend without ListParts answers (s3rver did: 405).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCrypto } from '../src/crypto/node-crypto.js';
import { parseKeyring } from '../src/crypto/keyring.js';
import { FerryError } from '../src/errors.js';
import { tenantFor } from '../src/files.js';
import { tokenSealer } from '../src/sources/tokens.js';
import { FsStore } from '../src/store/fs-store.js';
import { MAX_PARTS, type ObjectStore } from '../src/store/object-store.js';
import { completeUpload, createUpload, partCount, partRange, partSizeFor, putUploadPart, type UploadsDeps } from '../src/uploads.js';
import { patternText, sessionPart, type SessionJson } from './helpers/session-parts.js';
import { streamOf } from '../src/streams.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('part geometry', () => {
  it('gives equal parts of at least 8 MiB, never more than 10,000, the last one shorter', () => {
    expect(partSizeFor(0)).toBe(8 * MiB);
    expect(partSizeFor(80 * 1024 * MiB)).toBe(9 * MiB);
    for (const size of [0, 1, 8 * MiB, 8 * MiB + 1, 5 * 1024 ** 4]) {
      const ps = partSizeFor(size);
      expect(ps % MiB).toBe(0);
      const count = partCount(size, ps);
      expect(count).toBeLessThanOrEqual(MAX_PARTS);
      expect(count).toBeGreaterThanOrEqual(1);
      const last = partRange(size, ps, count);
      expect(last.end).toBe(size);
      if (count > 1) expect(partRange(size, ps, count - 1).end - partRange(size, ps, count - 1).start).toBe(ps);
    }
    expect(() => partRange(10, 8 * MiB, 2)).toThrow(RangeError);
  });
});

describe('completion from the client record', () => {
  function deps(): { deps: UploadsDeps; store: FsStore } {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-up-'));
    dirs.push(dir);
    const store = new FsStore(dir);
    // The backend cannot list parts: everything else is the real store.
    const unlisting = new Proxy(store, {
      get(target, name) {
        if (name === 'listParts') {
          return async () => {
            throw new FerryError('storage_unavailable', 'ListParts is not implemented here (405)');
          };
        }
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as ObjectStore;
    const keyring = parseKeyring(`k1:${Buffer.alloc(32, 7).toString('base64')}`);
    const now = () => new Date();
    return { store, deps: { store: unlisting, keyring, crypto: nodeCrypto, now, sealer: tokenSealer(keyring, now) } };
  }

  it('completes with the record, and answers 409 for a record missing a part', async () => {
    const { deps: d, store } = deps();
    const tenant = tenantFor('app');
    const created = await createUpload(d, tenant, { filename: 'a.bin', type: 'application/octet-stream', size: 9 * MiB, ttlSeconds: 600, app: 'app' });
    const { session } = created;
    const json: SessionJson = {
      upload: session.token,
      handle: session.handle,
      url: '',
      size: session.size,
      objectSize: session.objectSize,
      partSize: session.partSize,
      prefix: Buffer.from(created.prefix).toString('base64'),
      chunkKey: Buffer.from(created.chunkKey).toString('base64'),
      baseNonce: Buffer.from(created.baseNonce).toString('base64'),
      expiresAt: '',
    };
    const text = patternText(5);
    const stored = [];
    for (const n of [1, 2]) stored.push(await putUploadPart(d, session, n, streamOf(sessionPart(json, text, n))));
    const record = stored.map((p) => ({ n: p.n, etag: p.etag }));

    const missing = await completeUpload(d, tenant, session, record.slice(0, 1)).catch((e) => e);
    expect([missing.code, missing.status]).toEqual(['upload_incomplete', 409]);
    // Without a listing and without a record there is nothing to complete from.
    await expect(completeUpload(d, tenant, session, undefined)).rejects.toMatchObject({ code: 'storage_unavailable' });

    const file = await completeUpload(d, tenant, session, record);
    expect(file).toMatchObject({ handle: session.handle, size: 9 * MiB, filename: 'a.bin' });
    expect((await store.head(session.key))?.size).toBe(session.objectSize);
  });

  it('deletes the upload when the record names an etag that is not stored (422)', async () => {
    const { deps: d, store } = deps();
    const tenant = tenantFor('app');
    const { session } = await createUpload(d, tenant, { filename: 'a.bin', type: 'application/octet-stream', size: 10, ttlSeconds: 600, app: 'app' });
    const error = await completeUpload(d, tenant, session, [{ n: 1, etag: 'not-stored' }]).catch((e) => e);
    expect([error.code, error.status]).toEqual(['invalid_upload', 422]);
    const pending = [];
    for await (const u of store.listMultipart('')) pending.push(u);
    expect(pending).toEqual([]);
  });
});
