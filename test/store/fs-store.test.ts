// FsStore: the shared conformance suite on a temp directory, plus what only a local disk can show:
// temp files (never visible, swept when stale), the on-disk layout, damaged files, real I/O
// failures and file handles given back.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../src/errors.js';
import { FsStore } from '../../src/store/fs-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { startSweeper, sweepExpired } from '../../src/store/sweep.js';
import { describeObjectStore, expectBytes, pattern, readAll, source, type StoreHarness } from './conformance.js';

const MiB = 1024 * 1024;
const EXPIRES = new Date('2030-01-02T03:04:05.678Z');

/** Files under `root`, and directories with nothing in them, except the store's two fixed ones. */
async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const rel = relative(root, dir);
    if (entries.length === 0 && rel !== '.tmp' && rel !== '.uploads' && rel !== 'objects' && rel !== '') out.push(`${rel}/`);
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  try {
    await walk(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return out.sort();
}

async function bytesOnDisk(root: string): Promise<number> {
  let total = 0;
  for (const path of await tree(root)) {
    if (!path.endsWith('/')) total += (await stat(join(root, path)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

async function makeFsStore(): Promise<StoreHarness & { root: string; store: FsStore }> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-fs-store-'));
  const store = new FsStore(root);
  await store.tempSwept;
  return {
    root,
    store,
    cleanup: () => rm(root, { recursive: true, force: true }),
    residue: () => tree(root),
    acceptedBytes: () => bytesOnDisk(root),
    // One source chunk is written (and awaited) before the next is asked for.
    maxBufferedBytes: 256 * 1024,
    largeSize: 3 * MiB + 5,
  };
}

describeObjectStore('FsStore', makeFsStore);

describe('FsStore on disk', () => {
  const roots: string[] = [];
  const fresh = async () => {
    const h = await makeFsStore();
    roots.push(h.root);
    return h;
  };
  afterEach(async () => {
    for (const root of roots.splice(0)) {
      await chmod(root, 0o700).catch(() => {});
      await rm(root, { recursive: true, force: true });
    }
  });

  it('writes into a temp file that is never visible, and renames it into place at the end', async () => {
    const { store, root } = await fresh();
    const data = pattern(2 * MiB);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let pulledAll = false;
    const body = source(data, {
      beforePull: async (pulled) => {
        if (pulled === data.length) {
          pulledAll = true;
          await gate;
        }
      },
    });
    const put = store.put('v/x', body.stream, { expiresAt: EXPIRES });
    while (!pulledAll) await new Promise((r) => setTimeout(r, 5));

    // Everything is written, but only to .tmp: the key does not exist yet.
    const during = await tree(root);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.tmp\/[0-9a-f-]{36}\.part$/);
    expect((await stat(join(root, during[0]!))).size).toBeGreaterThan(data.length);
    expect(await store.get('v/x')).toBeNull();
    expect(await store.head('v/x')).toBeNull();
    const listed = [];
    for await (const o of store.list('')) listed.push(o);
    expect(listed).toEqual([]);

    release();
    await put;
    expect(await tree(root)).toEqual(['objects/v/x~obj']);
    expectBytes(await readAll((await store.get('v/x'))!.body), data);
  });

  it('removes temp files older than an hour at construction and on sweepTemp(), and only those', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ferry-fs-store-'));
    roots.push(root);
    await mkdir(join(root, '.tmp'), { recursive: true });
    const old = join(root, '.tmp', 'crashed.part');
    const recent = join(root, '.tmp', 'in-progress.part');
    await writeFile(old, 'half an object');
    await writeFile(recent, 'someone is writing this');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(old, twoHoursAgo, twoHoursAgo);

    const store = new FsStore(root);
    expect(await store.tempSwept).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);

    expect(await store.sweepTemp(Date.now() + 2 * 60 * 60 * 1000)).toBe(1);
    expect(existsSync(recent)).toBe(false);
  });

  it('keeps keys away from its temp directory', async () => {
    const { store, root } = await fresh();
    await store.put('.tmp/x', source(pattern(10)).stream, { expiresAt: EXPIRES });
    expect(await store.sweepTemp(Date.now() + 10 * 60 * 60 * 1000)).toBe(0);
    expect(await tree(root)).toEqual(['objects/.tmp/x~obj']);
    expect((await store.head('.tmp/x'))!.size).toBe(10);
  });

  it('stores segments longer than a file name may be (cut at 200 characters) and lists them whole', async () => {
    const { store, root } = await fresh();
    const single = 'k'.repeat(512);
    const deep = `${'p'.repeat(250)}/${'q'.repeat(201)}`;
    const near = `${'p'.repeat(200)}/x`;
    for (const [i, key] of [single, deep, near].entries()) await store.put(key, source(pattern(i + 1)).stream, { expiresAt: EXPIRES });
    expect(await tree(root)).toEqual(
      [
        `objects/${'k'.repeat(200)}+/${'k'.repeat(200)}+/${'k'.repeat(112)}~obj`,
        `objects/${'p'.repeat(200)}+/${'p'.repeat(50)}/${'q'.repeat(200)}+/q~obj`,
        `objects/${'p'.repeat(200)}/x~obj`,
      ].sort(),
    );
    expectBytes(await readAll((await store.get(single))!.body), pattern(1));
    expectBytes(await readAll((await store.get(deep))!.body), pattern(2));
    const keys = async (prefix: string) => {
      const out = [];
      for await (const o of store.list(prefix)) out.push(o.key);
      return out.sort();
    };
    expect(await keys('')).toEqual([single, deep, near].sort());
    expect(await keys('k'.repeat(300))).toEqual([single]);
    expect(await keys('p'.repeat(200))).toEqual([deep, near].sort());
    expect(await keys(`${'p'.repeat(200)}/`)).toEqual([near]);
    expect(await keys('p'.repeat(250))).toEqual([deep]);
    expect(await keys(`${'p'.repeat(250)}/q`)).toEqual([deep]);
    for (const key of [single, deep, near]) await store.delete(key);
    expect(await tree(root)).toEqual([]);
  });

  it('removes directories a delete leaves empty, and keeps the ones still in use', async () => {
    const { store, root } = await fresh();
    await store.put('a/b/c', source(pattern(1)).stream, { expiresAt: EXPIRES });
    await store.put('a/d', source(pattern(1)).stream, { expiresAt: EXPIRES });
    await store.delete('a/b/c');
    expect(await tree(root)).toEqual(['objects/a/d~obj']);
    await store.delete('a/d');
    expect(readdirSync(join(root, 'objects'))).toEqual([]);
  });

  it('reports a damaged object as corrupt_object, and lists it as expired so the sweeper removes it', async () => {
    const { store, root } = await fresh();
    await store.put('dmg', source(pattern(100)).stream, { expiresAt: EXPIRES });
    const fh = await open(join(root, 'objects', 'dmg~obj'), 'r+');
    await fh.write(new Uint8Array([0x58]), 0, 1, 0);
    await fh.close();
    await expect(store.get('dmg')).rejects.toMatchObject({ code: 'corrupt_object' });
    await expect(store.head('dmg')).rejects.toMatchObject({ code: 'corrupt_object' });
    const listed = [];
    for await (const o of store.list('')) listed.push(o);
    expect(listed).toEqual([{ key: 'dmg', size: expect.any(Number), expiresAt: new Date(0), metadata: {} }]);
    expect(await sweepExpired(store, new Date())).toBe(1);
    expect(await tree(root)).toEqual([]);
  });

  it('answers storage_unavailable when the disk fails, and cancels the body of a failed put', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-fs-store-'));
    roots.push(dir);
    await writeFile(join(dir, 'file'), 'not a directory');
    const store = new FsStore(join(dir, 'file', 'root')); // every path under it fails with ENOTDIR
    const body = source(pattern(1000));
    const failures: (() => Promise<unknown>)[] = [
      () => store.put('k', body.stream, { expiresAt: EXPIRES }),
      () => store.get('k'),
      () => store.head('k'),
      () => store.delete('k'),
      async () => {
        for await (const _ of store.list('')) void _;
      },
    ];
    for (const failure of failures) {
      const e = await failure().then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(FerryError);
      expect(e).toMatchObject({ code: 'storage_unavailable', status: 503 });
    }
    expect(body.cancelled()?.reason).toBeInstanceOf(FerryError);
  });

  it.skipIf(process.getuid?.() === 0)('answers storage_unavailable when the directory is not writable', async () => {
    const { store, root } = await fresh();
    await chmod(root, 0o500);
    await rm(join(root, '.tmp'), { recursive: true, force: true }).catch(() => {});
    await expect(store.put('k', source(pattern(10)).stream, { expiresAt: EXPIRES })).rejects.toMatchObject({
      code: 'storage_unavailable',
    });
  });

  it.skipIf(!existsSync('/proc/self/fd'))('gives file handles back: after a full read, a cancelled read and a bad range', async () => {
    const { store } = await fresh();
    await store.put('fd', source(pattern(MiB)).stream, { expiresAt: EXPIRES });
    const openFds = () => readdirSync('/proc/self/fd').length;
    // Let handles from the put and from earlier tests close first.
    await new Promise((r) => setTimeout(r, 50));
    const before = openFds();

    await readAll((await store.get('fd'))!.body);
    await readAll((await store.get('fd', { start: 10, end: 20 }))!.body);
    const reader = (await store.get('fd'))!.body.getReader();
    await reader.read();
    await reader.cancel();
    await expect(store.get('fd', { start: 0, end: MiB })).rejects.toThrow(RangeError);
    await store.head('fd');
    for await (const _ of store.list('')) void _;

    expect(openFds()).toBe(before);
  });
});

describe('startSweeper (on an FsStore)', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('sweeps at once and then every interval, hands each timer to unref, and stops', async () => {
    const h = await makeFsStore();
    try {
      let clock = new Date('2030-01-01T00:00:00Z');
      await h.store.put('a', source(pattern(1)).stream, { expiresAt: new Date('2030-01-01T00:00:00Z') });
      await h.store.put('b', source(pattern(1)).stream, { expiresAt: new Date('2030-01-01T00:00:10Z') });
      const swept: number[] = [];
      const timers: unknown[] = [];
      const errors: unknown[] = [];
      const stop = startSweeper(h.store, {
        intervalMs: 20,
        now: () => clock,
        onError: (e) => errors.push(e),
        onSwept: (n) => swept.push(n),
        unref: (t) => timers.push(t),
      });
      while (swept.length < 1) await wait(2);
      expect(swept[0]).toBe(1);
      expect(await h.store.head('a')).toBeNull();
      clock = new Date('2030-01-01T00:00:10Z');
      while (swept.length < 3) await wait(2);
      expect(swept.slice(0, 3)).toEqual([1, 1, 0]);
      expect(await h.residue()).toEqual([]);
      await stop();
      const after = swept.length;
      await wait(80);
      expect(swept.length).toBe(after);
      expect(errors).toEqual([]);
      expect(timers.length).toBeGreaterThanOrEqual(3);
    } finally {
      await h.cleanup();
    }
  });

  it('reports a failed sweep to onError and keeps sweeping', async () => {
    const h = await makeFsStore();
    let failures = 1;
    const flaky: ObjectStore = {
      ...h.store,
      put: h.store.put.bind(h.store),
      get: h.store.get.bind(h.store),
      head: h.store.head.bind(h.store),
      delete: h.store.delete.bind(h.store),
      listMultipart: h.store.listMultipart.bind(h.store),
      abortMultipart: h.store.abortMultipart.bind(h.store),
      list: (prefix) => {
        if (failures-- > 0) throw new FerryError('storage_unavailable', 'disk went away');
        return h.store.list(prefix);
      },
    };
    try {
      await h.store.put('old', source(pattern(1)).stream, { expiresAt: new Date(0) });
      const errors: unknown[] = [];
      const swept: number[] = [];
      const stop = startSweeper(flaky, {
        intervalMs: 10,
        now: () => new Date(),
        onError: (e) => errors.push(e),
        onSwept: (n) => swept.push(n),
      });
      while (swept.length < 1) await wait(2);
      await stop();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'storage_unavailable' });
      expect(swept[0]).toBe(1);
      expect(await h.residue()).toEqual([]);
    } finally {
      await h.cleanup();
    }
  });
});
