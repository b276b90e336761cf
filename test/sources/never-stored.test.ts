// The promise of remote picks, measured: a 256 MiB file picked from a cloud account and
// another from a link go from the (loopback fake) origin through a real Ferry process to the
// client, and Ferry's store and data directory receive nothing while its resident memory stays
// bounded by a constant, not by the file size.
import { mkdtempSync, readdirSync, rmSync, statSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Of } from '../fakes/content.js';
import { startFakes, type Fakes } from '../fakes/server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { TEST_APP, testKey } from '../helpers/targets.js';
import { sampleRss, streamDownload } from '../helpers/transfer.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB + 12_345;

/** Every file (not directory) under `dir`, with its size. */
function filesUnder(dir: string): { path: string; size: number }[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path: path.slice(dir.length + 1), size: statSync(path).size };
    });
}

describe('remote picks are never stored', () => {
  let fakes: Fakes;
  let server: ServerProcess;
  let dataDir: string;
  const key = `key=${TEST_APP.key}`;

  beforeAll(async () => {
    fakes = await startFakes({ bigSize: SIZE, manyFiles: 3 });
    dataDir = mkdtempSync(join(tmpdir(), 'ferry-never-stored-'));
    server = await startServerProcess({
      FERRY_DATA_DIR: dataDir,
      FERRY_KEYS: testKey(),
      FERRY_APPS: JSON.stringify([TEST_APP]),
      ...fakes.env(),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fakes?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function connectDropbox(): Promise<string> {
    const start = await fetch(`${server.url}/v1/connect/dropbox?${key}&origin=${encodeURIComponent(TEST_APP.origins[0]!)}`, { redirect: 'manual' });
    const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const page = await (await fetch(consent.headers.get('location')!)).text();
    return JSON.parse(/id="ferry-result">(.*?)<\/script>/s.exec(page)![1]!).message.account;
  }

  async function pick(body: unknown): Promise<{ url: string; size: number }> {
    const res = await fetch(`${server.url}/v1/picks?${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return (await res.json()) as { url: string; size: number };
  }

  it('relays 256 MiB from a cloud account and from a link in bounded memory, writing nothing', { timeout: 120_000 }, async () => {
    const account = await connectDropbox();
    const big = fakes.providers.dropbox.tree.byName('big.bin');
    const small = fakes.providers.dropbox.tree.byName('report.pdf');

    // Warm up (JIT, first connections) before the baseline.
    for (let i = 0; i < 3; i++) await streamDownload((await pick({ source: 'dropbox', account, id: small.id })).url);
    const filesBefore = filesUnder(dataDir);
    let filesDuring = 0;
    const { baseline, peak } = await sampleRss(
      () => server.rssBytes(),
      async () => {
        const fromAccount = await pick({ source: 'dropbox', account, id: big.id });
        expect(fromAccount.size).toBe(SIZE);
        const down = await streamDownload(fromAccount.url);
        expect(down).toEqual({ status: 200, size: SIZE, sha256: sha256Of(big.seed, SIZE) });

        const fromLink = await pick({ source: 'url', url: `${fakes.url}/origin/files/77/${SIZE}/big-link.bin` });
        expect(fromLink.size).toBe(SIZE);
        const linkDown = await streamDownload(fromLink.url);
        expect(linkDown).toEqual({ status: 200, size: SIZE, sha256: sha256Of(77, SIZE) });
      },
      () => (filesDuring = Math.max(filesDuring, filesUnder(dataDir).length)),
    );
    console.info(`never-stored: RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB for 2 × ${(SIZE / MiB).toFixed(0)} MiB`);
    expect(peak - baseline).toBeLessThan(64 * MiB);
    // Nothing was written: no object, no temp file, no new file of any kind in the data directory.
    expect(filesBefore).toEqual([]);
    expect(filesDuring).toBe(0);
    expect(filesUnder(dataDir)).toEqual([]);
  });
});
