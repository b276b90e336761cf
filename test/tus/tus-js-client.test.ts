// The real tus-js-client, from Node, against Ferry over S3 (s3rver): whole bodies and 5 MiB
// chunks, 0 B to 256 MiB, byte-exact; and through a proxy that cuts the connection mid-PATCH, a
// resume that starts exactly where the server says and sends again only what it had not stored.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_APP, nodeS3, type Target } from '../helpers/targets.js';
import { cuttingProxy } from './cutting-proxy.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function downloadedSha(url: string): Promise<{ hash: string; size: number }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const h = createHash('sha256');
  let size = 0;
  for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
    h.update(piece);
    size += piece.length;
  }
  return { hash: h.digest('hex'), size };
}

/** Uploads with tus-js-client; resolves with the file URL Ferry answered in Ferry-File-URL. */
function tusUpload(endpoint: string, input: Buffer | ReturnType<typeof createReadStream>, size: number, chunkSize?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let fileUrl: string | null = null;
    const upload = new Upload(input, {
      endpoint,
      uploadSize: size,
      // tus-js-client spreads its options over its defaults: an explicit undefined would replace Infinity.
      ...(chunkSize ? { chunkSize } : {}),
      metadata: { filename: 'data.bin', filetype: 'application/octet-stream' },
      retryDelays: [200, 500, 1000, 2000, 3000],
      onAfterResponse: (_req, res) => {
        fileUrl = res.getHeader('Ferry-File-URL') ?? fileUrl;
      },
      onError: reject,
      onSuccess: () => (fileUrl ? resolve(fileUrl) : reject(new Error('no Ferry-File-URL on the last answer'))),
    });
    upload.start();
  });
}

describe('tus-js-client from Node, into S3', () => {
  let t: Target;
  let dir: string;
  let big: { path: string; hash: string; size: number };
  beforeAll(async () => {
    t = await nodeS3();
    dir = mkdtempSync(join(tmpdir(), 'ferry-tus-'));
    const bytes = randomBytes(256 * MiB);
    big = { path: join(dir, 'big.bin'), hash: sha(bytes), size: bytes.length };
    writeFileSync(big.path, bytes);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const endpoint = () => `${t.url}/v1/tus?key=${TEST_APP.key}`;

  for (const chunkSize of [undefined, 5 * MiB]) {
    const how = chunkSize ? 'in 5 MiB chunks' : 'as one body';
    it(`uploads 0 B and 1 MiB byte-exact ${how}`, async () => {
      for (const size of [0, MiB]) {
        const data = randomBytes(size);
        const url = await tusUpload(endpoint(), data, size, chunkSize);
        expect(await downloadedSha(url)).toEqual({ hash: sha(data), size });
      }
    });

    it(`uploads 256 MiB from a file byte-exact ${how}`, async () => {
      const url = await tusUpload(endpoint(), createReadStream(big.path), big.size, chunkSize);
      expect(await downloadedSha(url)).toEqual({ hash: big.hash, size: big.size });
    }, 180_000);
  }

  for (const [how, chunkSize, cutPatch, cutAfter] of [
    ['one body cut after 37 MiB', undefined, 1, 37 * MiB + 1234],
    ['5 MiB chunks, the third cut half-way', 5 * MiB, 3, 2.5 * MiB + 77],
  ] as const) {
    it(`resumes exactly where the server says: ${how}`, async () => {
      const data = randomBytes(64 * MiB);
      const proxy = await cuttingProxy(t.url, cutPatch, cutAfter);
      try {
        const url = await tusUpload(`${proxy.url}/v1/tus?key=${TEST_APP.key}`, data, data.length, chunkSize);
        expect(await downloadedSha(url)).toEqual({ hash: sha(data), size: data.length });
        const patches = proxy.passed.filter((p) => p.method === 'PATCH');
        const cutIndex = patches.findIndex((p) => p.cut);
        expect(cutIndex).toBe(cutPatch - 1);
        const cut = patches[cutIndex]!;
        // Every PATCH starts where the one before was acknowledged, or (after the cut) where HEAD says.
        const heads = proxy.passed.filter((p) => p.method === 'HEAD');
        expect(heads.length).toBeGreaterThan(0);
        const resumed = patches.slice(cutIndex + 1).find((p) => p.status === 204)!;
        const lastHead = proxy.passed.slice(0, proxy.passed.indexOf(resumed)).filter((p) => p.method === 'HEAD').at(-1)!;
        expect(resumed.offset).toBe(lastHead.answeredOffset);
        // Never earlier than what was acknowledged before the cut.
        expect(resumed.offset!).toBeGreaterThanOrEqual(cut.offset!);
        // What is sent again is only what the server had not stored: less than one part
        // (5 MiB of plaintext) and a chunk, of the bytes that reached it before the cut.
        const sentAgain = cut.bytes - (resumed.offset! - cut.offset!);
        expect(sentAgain).toBeGreaterThanOrEqual(0);
        expect(sentAgain).toBeLessThan(5 * MiB + 16 * 1024);
        // Every request that sends bytes starts at the last offset the server acknowledged
        // (a POST's, a PATCH's 204, or a HEAD's), so nothing before it is ever sent twice.
        let acknowledged = 0;
        for (const p of proxy.passed) {
          if (p.method === 'PATCH') expect(p.offset, 'a PATCH starts at the acknowledged offset').toBe(acknowledged);
          if (p.status !== null && p.status < 300 && p.answeredOffset !== null) acknowledged = p.answeredOffset;
        }
        console.log(`${how}: cut after ${cut.bytes} B of a PATCH from ${cut.offset}; resumed at ${resumed.offset}; sent again ${sentAgain} B`);
      } finally {
        await proxy.close();
      }
    }, 120_000);
  }
});
