// Files written in format v1 (two objects: data, then sealed metadata) before the upgrade to v2
// still read through the API until they expire: whole, ranges, HEAD, /meta, the app listing and
// deletion, on both Node stores.
import { describe, expect, it } from 'vitest';
import { parseKeyring } from '../../src/crypto/keyring.js';
import { webCrypto } from '../../src/crypto/aead.js';
import { encodeHandle, encryptObject, fileIdHex, newFileRef, sealMetadata, type FormatParams } from '../../src/format.js';
import { TEST_APP, nodeFs, nodeS3, testKey, type TargetFactory } from '../helpers/targets.js';

const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 7) % 251);

describe.each([
  ['node+fs', nodeFs],
  ['node+s3', nodeS3],
] as [string, TargetFactory][])('v1 files on %s', (_, factory) => {
  it('read whole and by range, answer HEAD, /meta and the listing, and delete both objects', async () => {
    const keys = testKey('old');
    const t = await factory({ FERRY_KEYS: keys });
    try {
      const keyring = parseKeyring(keys);
      const ref = newFileRef();
      const id = fileIdHex(ref);
      const p: FormatParams = { keyring, ref, crypto: webCrypto };
      const bytes = pattern(100_000);
      const expiresAt = new Date(Date.now() + 3600_000);
      const plain = { expiresAt, metadata: { kid: 'old', format: '1' } };
      const data = new Blob([bytes]).stream().pipeThrough(encryptObject(p));
      await t.store.put(`apps/${TEST_APP.name}/data/${id}`, data, plain);
      const meta = await sealMetadata(p, {
        filename: 'old é.txt',
        type: 'text/plain',
        size: bytes.length,
        createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        app: TEST_APP.name,
      });
      await t.store.put(`apps/${TEST_APP.name}/meta/${id}`, new Blob([meta as Uint8Array<ArrayBuffer>]).stream(), plain);

      const url = `${t.url}/v1/files/${encodeHandle(ref)}?key=${TEST_APP.key}`;
      const whole = await fetch(url);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-length')).toBe('100000');
      expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      const ranged = await fetch(url, { headers: { range: 'bytes=50000-50099' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(Buffer.from(bytes.subarray(50000, 50100)))).toBe(true);
      expect((await fetch(url, { method: 'HEAD' })).headers.get('content-length')).toBe('100000');
      const info = await (await fetch(`${t.url}/v1/files/${encodeHandle(ref)}/meta?key=${TEST_APP.key}`)).json();
      expect(info).toMatchObject({ filename: 'old é.txt', size: 100_000, type: 'text/plain' });

      const listing = (await (await fetch(`${t.url}/v1/app/files`, { headers: { authorization: `Bearer ${TEST_APP.secret}` } })).json()) as {
        files: { id: string; size: number }[];
      };
      expect(listing.files).toContainEqual(expect.objectContaining({ id, size: 100_000 }));

      expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(url)).status).toBe(404);
      expect(await t.residue()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('lists v2 files with their sizes too', async () => {
    const t = await factory();
    try {
      const res = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}&filename=a.bin`, { method: 'POST', body: pattern(12_345) });
      const file = (await res.json()) as { handle: string };
      const id = Buffer.from(file.handle, 'base64url').subarray(0, 16).toString('hex');
      const listing = (await (await fetch(`${t.url}/v1/app/files`, { headers: { authorization: `Bearer ${TEST_APP.secret}` } })).json()) as {
        files: { id: string; size: number }[];
      };
      expect(listing.files).toContainEqual(expect.objectContaining({ id, size: 12_345 }));
    } finally {
      await t.close();
    }
  });
});
