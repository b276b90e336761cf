// The upload queue without a browser: files go ready → queued → uploading → done | failed |
// canceled, at most `concurrency` at once, retries start afresh, a cancelled upload's late answer
// changes nothing, and the app hears each round once through roundDone. The upload step is a
// fake whose transfers the test resolves, rejects and watches being aborted.
import { describe, expect, it } from 'vitest';
import type { FerryError, FerryFile, SelectedFile, UploadDone, UploadProgress } from '../../widget/api.js';
import { RequestError, type PickRequest, type Transfer } from '../../widget/client.js';
import { UploadQueue, type QueueHooks, type QueueItem } from '../../widget/upload-queue.js';

interface FakeTransfer {
  item: QueueItem;
  progress(loaded: number): void;
  resolve(file?: Partial<FerryFile>): void;
  reject(err: unknown): void;
  aborted: boolean;
}

function fileFor(item: QueueItem, extra: Partial<FerryFile> = {}): FerryFile {
  return {
    handle: `h${item.id}`,
    url: `http://127.0.0.1/v1/files/h${item.id}`,
    filename: item.selected.filename,
    size: item.selected.size,
    type: item.selected.type,
    createdAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-02T00:00:00Z',
    source: item.selected.source,
    ...extra,
  };
}

/** A queue over a fake upload step, recording what the picker would hear, in order. */
function harness(concurrency: number, overrides: Partial<QueueHooks> = {}, { abortAnswers = true } = {}) {
  const transfers: FakeTransfer[] = [];
  const events: string[] = [];
  const rounds: UploadDone[] = [];
  const progress: UploadProgress[] = [];
  let clock = 0;
  let active = 0;
  let maxActive = 0;
  const hooks: QueueHooks = {
    upload(item, onProgress) {
      let settle!: { resolve(f: FerryFile): void; reject(e: unknown): void };
      const done = new Promise<FerryFile>((resolve, reject) => (settle = { resolve, reject }));
      active++;
      maxActive = Math.max(maxActive, active);
      const finish = () => void active--;
      const fake: FakeTransfer = {
        item,
        aborted: false,
        progress: onProgress,
        resolve: (f) => (finish(), settle.resolve(fileFor(item, f))),
        reject: (e) => (finish(), settle.reject(e)),
      };
      transfers.push(fake);
      const transfer: Transfer<FerryFile> = {
        done,
        abort() {
          fake.aborted = true;
          // Like XMLHttpRequest's abort event; off, the test answers the aborted request itself, late.
          if (abortAnswers) fake.reject(new RequestError('canceled', 'Cancelled.'));
        },
      };
      return transfer;
    },
    errorFor: (code) => ({ code, message: `sentence for ${code}` }),
    now: () => clock,
    changed: (e) => events.push(`changed ${e.id} ${e.status}`),
    progress: (e, p) => (progress.push(p), events.push(`progress ${e.id} ${p.loaded}`)),
    finished: (e) => events.push(`finished ${e.id}`),
    failed: (e, err) => events.push(`failed ${e.id} ${err.code}`),
    canceledAll: () => events.push('canceledAll'),
    redraw: () => events.push('redraw'),
    roundDone: (r) => (rounds.push(r), events.push(`roundDone ${r.filesUploaded.length}/${r.filesFailed.length}`)),
    ...overrides,
  };
  const queue = new UploadQueue(concurrency, hooks);
  return {
    queue,
    transfers,
    events,
    rounds,
    progress,
    maxActive: () => maxActive,
    tick: (ms: number) => void (clock += ms),
    add(name: string, size: number | null = 10, remote?: PickRequest) {
      const selected: SelectedFile = { filename: name, size, type: 'text/plain', source: remote ? remote.source : 'local' };
      return queue.add(selected, remote);
    },
  };
}

/** Lets the transfers' promise callbacks run. */
const settled = () => new Promise((r) => setTimeout(r, 0));
const statuses = (q: UploadQueue) => q.items.map((e) => e.status);

describe('the upload queue', () => {
  it('uploads no more files at once than the bound, starting the next as each one finishes', async () => {
    const h = harness(2);
    for (const n of ['a', 'b', 'c', 'd', 'e']) h.add(n);
    expect(statuses(h.queue)).toEqual(['ready', 'ready', 'ready', 'ready', 'ready']);
    h.queue.start();
    expect(statuses(h.queue)).toEqual(['uploading', 'uploading', 'queued', 'queued', 'queued']);
    h.transfers[1]!.resolve();
    await settled();
    expect(statuses(h.queue)).toEqual(['uploading', 'done', 'uploading', 'queued', 'queued']);
    while (h.queue.count('uploading') > 0) {
      for (const t of h.transfers) if (t.item.status === 'uploading') t.resolve();
      await settled();
    }
    expect(statuses(h.queue)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(h.transfers).toHaveLength(5);
    expect(h.maxActive()).toBe(2);
  });

  it('reports a round once, as soon as every file of it has uploaded, with the files Ferry answered', async () => {
    const h = harness(3);
    h.add('a');
    h.add('b');
    h.queue.start();
    h.transfers[0]!.resolve();
    await settled();
    expect(h.rounds).toEqual([]);
    h.transfers[1]!.resolve();
    await settled();
    expect(h.rounds).toHaveLength(1);
    expect(h.rounds[0]!.filesUploaded.map((f) => f.handle)).toEqual(['h1', 'h2']);
    expect(h.rounds[0]!.filesFailed).toEqual([]);
    // The file's own callback comes before the round's, and the redraw last.
    expect(h.events.slice(-4)).toEqual(['changed 2 done', 'finished 2', 'roundDone 2/0', 'redraw']);
    h.queue.report();
    expect(h.rounds).toHaveLength(1);

    // A second round holds only the new files.
    h.add('c');
    h.queue.start();
    h.transfers[2]!.resolve();
    await settled();
    expect(h.rounds).toHaveLength(2);
    expect(h.rounds[1]!.filesUploaded.map((f) => f.filename)).toEqual(['c']);
  });

  it('keeps a round with a failure open until it is reported, then hands over the failed file with its error', async () => {
    const h = harness(3);
    h.add('good');
    h.add('bad');
    h.add('offline');
    h.queue.start();
    h.transfers[0]!.resolve();
    h.transfers[1]!.reject(new RequestError('storage_unavailable', 'no'));
    h.transfers[2]!.reject(new TypeError('not a RequestError'));
    await settled();
    expect(statuses(h.queue)).toEqual(['done', 'failed', 'failed']);
    expect(h.queue.items[1]!.error).toEqual({ code: 'storage_unavailable', message: 'sentence for storage_unavailable' });
    expect(h.queue.items[2]!.error?.code).toBe('network');
    expect(h.events).toContain('failed 2 storage_unavailable');
    expect(h.rounds).toEqual([]);
    h.queue.report();
    expect(h.rounds).toHaveLength(1);
    const { filesUploaded, filesFailed } = h.rounds[0]!;
    expect(filesUploaded.map((f) => f.filename)).toEqual(['good']);
    expect(filesFailed.map((f) => [f.filename, f.error.code])).toEqual([
      ['bad', 'storage_unavailable'],
      ['offline', 'network'],
    ]);
    h.queue.report();
    expect(h.rounds).toHaveLength(1);
  });

  it('retries a failed file from the start, in a new round that reports it once it has uploaded', async () => {
    const h = harness(1);
    const e = h.add('flaky', 100);
    h.queue.start();
    h.transfers[0]!.progress(60);
    h.transfers[0]!.reject(new RequestError('upload_interrupted', 'cut'));
    await settled();
    expect(e.status).toBe('failed');
    h.queue.report();
    expect(h.rounds).toHaveLength(1);
    expect(h.rounds[0]!.filesFailed.map((f) => f.filename)).toEqual(['flaky']);

    h.queue.retry(e);
    expect(h.transfers).toHaveLength(2);
    expect(e.status).toBe('uploading');
    expect(e.loaded).toBe(0);
    expect(e.error).toBeUndefined();
    h.transfers[1]!.resolve();
    await settled();
    expect(e.status).toBe('done');
    expect(e.loaded).toBe(100);
    expect(h.rounds).toHaveLength(2);
    expect(h.rounds[1]!.filesUploaded.map((f) => f.filename)).toEqual(['flaky']);
    // Only failed and cancelled files can be retried.
    h.queue.retry(e);
    expect(h.transfers).toHaveLength(2);
  });

  it('cancels one upload: the transfer is aborted, its late failure is ignored, and the next file starts', async () => {
    const h = harness(1);
    const a = h.add('a');
    const b = h.add('b');
    const c = h.add('c');
    h.queue.start();
    h.queue.cancel(a);
    expect(h.transfers[0]!.aborted).toBe(true);
    expect(a.status).toBe('canceled');
    expect(a.error).toEqual({ code: 'canceled', message: 'sentence for canceled' });
    expect(b.status).toBe('uploading');
    // A queued file is cancelled without ever being sent.
    h.queue.cancel(c);
    expect(c.status).toBe('canceled');
    await settled();
    expect(h.events.filter((e) => e.startsWith('failed'))).toEqual([]);
    expect(a.status).toBe('canceled');
    h.transfers[1]!.resolve();
    await settled();
    expect(h.transfers.map((t) => t.item.selected.filename)).toEqual(['a', 'b']);
    // Not every file of the round uploaded: it waits for Done.
    expect(h.rounds).toEqual([]);
    h.queue.report();
    expect(h.rounds[0]!.filesFailed.map((f) => [f.filename, f.error.code])).toEqual([
      ['a', 'canceled'],
      ['c', 'canceled'],
    ]);
  });

  it('ignores a cancelled attempt’s late answer, even once the file is retried', async () => {
    const h = harness(1, {}, { abortAnswers: false });
    const a = h.add('a');
    h.queue.start();
    h.queue.cancel(a);
    h.queue.retry(a);
    expect(h.transfers).toHaveLength(2);
    h.transfers[0]!.reject(new RequestError('storage_unavailable', 'late'));
    await settled();
    expect(a.status).toBe('uploading');
    expect(h.events.filter((e) => e.startsWith('failed'))).toEqual([]);
    h.transfers[0]!.resolve();
    h.transfers[1]!.progress(5);
    await settled();
    expect(a.status).toBe('uploading');
    h.transfers[1]!.resolve({ handle: 'second' });
    await settled();
    expect(a.result?.handle).toBe('second');
    expect(h.events.filter((e) => e.startsWith('finished'))).toEqual(['finished 1']);
  });

  it('cancels all: what waits and what is on its way, says so before reporting, and starts nothing', async () => {
    const h = harness(2);
    for (const n of ['a', 'b', 'c']) h.add(n);
    h.queue.start();
    h.queue.cancelAll();
    expect(statuses(h.queue)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(h.transfers.map((t) => t.aborted)).toEqual([true, true]);
    expect(h.events.slice(-2)).toEqual(['canceledAll', 'redraw']);
    await settled();
    expect(h.transfers).toHaveLength(2);
    expect(h.queue.hasPending()).toBe(false);
    // Cancelled files can be retried.
    h.queue.retry(h.queue.items[2]!);
    expect(h.queue.items[2]!.status).toBe('uploading');
  });

  it('reports progress with a percent and a speed smoothed over samples a quarter of a second apart', () => {
    const h = harness(1);
    h.add('big', 1000);
    h.queue.start();
    const t = h.transfers[0]!;
    h.tick(100);
    t.progress(100);
    expect(h.progress.at(-1)).toEqual({ loaded: 100, total: 1000, percent: 10, bytesPerSecond: null });
    h.tick(400);
    t.progress(500);
    expect(h.progress.at(-1)).toEqual({ loaded: 500, total: 1000, percent: 50, bytesPerSecond: 1000 });
    h.tick(500);
    t.progress(1000);
    // 0.6 × 1000 + 0.4 × (500 bytes / 0.5 s)
    expect(h.progress.at(-1)).toEqual({ loaded: 1000, total: 1000, percent: 100, bytesPerSecond: 1000 });
    expect(h.queue.items[0]!.loaded).toBe(1000);
  });

  it('takes a pick’s facts from Ferry’s answer, and lets the picker refuse it then', async () => {
    const refusal: FerryError = { code: 'file_too_large', message: 'too big' };
    const h = harness(2, { refuse: (file) => (file.size !== null && file.size > 50 ? refusal : undefined) });
    const small = h.add('link-a', null, { source: 'url', url: 'http://127.0.0.1/a' });
    const big = h.add('link-b', null, { source: 'url', url: 'http://127.0.0.1/b' });
    h.queue.start();
    h.transfers[0]!.resolve({ filename: 'a.txt', size: 20, type: 'text/plain' });
    h.transfers[1]!.resolve({ filename: 'b.iso', size: 5000, type: 'application/octet-stream' });
    await settled();
    expect(small.status).toBe('done');
    expect(small.selected).toMatchObject({ filename: 'a.txt', size: 20 });
    expect(big.status).toBe('failed');
    expect(big.error).toBe(refusal);
    expect(big.selected).toMatchObject({ filename: 'b.iso', size: 5000, type: 'application/octet-stream' });
    expect(h.events).toContain('failed 2 file_too_large');
  });

  it('removes only files that are not on their way', () => {
    const h = harness(1);
    const a = h.add('a');
    const b = h.add('b');
    const c = h.add('c');
    expect(h.queue.remove(c)).toBe(true);
    h.queue.start();
    expect(h.queue.remove(a)).toBe(false);
    expect(h.queue.remove(b)).toBe(false);
    expect(h.queue.items.map((e) => e.selected.filename)).toEqual(['a', 'b']);
  });
});
