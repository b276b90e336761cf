// The picker's upload queue: the files the user chose and the state machine they go through,
// ready → queued → uploading → done | failed | canceled, with failed and canceled files retried on
// demand and at most `concurrency` uploading at once. It touches no DOM, so it is tested in Node
// (test/widget/upload-queue.test.ts). How one file is sent is injected (`upload`): today a raw
// POST or a pick; an uploader that encrypts parts and resumes can take its place unchanged here.
// What the picker must show or tell the app goes out through `QueueHooks`, in the order the app
// hears it: a file's own callbacks first, then the round's `roundDone` (once per round).
import type { FailedFile, FerryError, FerryFile, SelectedFile, UploadDone, UploadProgress } from './api.js';
import { RequestError, type PickRequest, type Transfer } from './client.js';

export type Status = 'ready' | 'queued' | 'uploading' | 'done' | 'failed' | 'canceled';

export interface QueueItem {
  readonly id: number;
  selected: SelectedFile;
  /** What to ask Ferry to fetch, for links and cloud files (local files carry `selected.file`). */
  remote?: PickRequest;
  status: Status;
  /** Bytes sent so far in the current attempt. */
  loaded: number;
  /** Smoothed bytes per second, once measured. */
  speed: number | null;
  sampleAt: number;
  sampleLoaded: number;
  /** The attempt in flight; a settled attempt's late answer is ignored by comparing with this. */
  transfer?: Transfer<FerryFile>;
  result?: FerryFile;
  error?: FerryError;
  /** Already handed to roundDone. */
  reported: boolean;
}

/** Sends one file; reports bytes sent through `onProgress`; rejects with a RequestError. */
export type UploadOne = (item: QueueItem, onProgress: (loaded: number) => void) => Transfer<FerryFile>;

export interface QueueHooks {
  /** Sends one file. */
  upload: UploadOne;
  /** Looks at a pick's answer (its size is known only then); an error refuses the file. */
  refuse?(file: FerryFile): FerryError | undefined;
  /** The error shown for a code Ferry answered, or "network" and "canceled". */
  errorFor(code: string): FerryError;
  /** A clock in milliseconds, for the speed. */
  now?(): number;
  /** One file's state or progress changed. */
  changed(item: QueueItem): void;
  progress(item: QueueItem, progress: UploadProgress): void;
  finished(item: QueueItem, file: FerryFile): void;
  failed(item: QueueItem, error: FerryError): void;
  /** `cancelAll()` stopped everything (before the round is reported). */
  canceledAll(): void;
  /** The set of files or their counts changed: redraw the totals. */
  redraw(): void;
  /** A round is over: every file of it settled and either all uploaded or the user said Done. */
  roundDone(result: UploadDone): void;
}

export function isSettled(s: Status): boolean {
  return s === 'done' || s === 'failed' || s === 'canceled';
}

/** How often the speed is sampled, in milliseconds. */
const SPEED_SAMPLE_MS = 250;

export class UploadQueue {
  private list: QueueItem[] = [];
  private nextId = 1;
  private readonly now: () => number;

  constructor(
    private readonly concurrency: number,
    private readonly hooks: QueueHooks,
  ) {
    this.now = hooks.now ?? (() => performance.now());
  }

  get items(): readonly QueueItem[] {
    return this.list;
  }

  count(status: Status): number {
    return this.list.filter((e) => e.status === status).length;
  }

  /** Whether any file is still to be uploaded or on its way. */
  hasPending(): boolean {
    return this.list.some((e) => e.status === 'ready' || e.status === 'queued' || e.status === 'uploading');
  }

  add(selected: SelectedFile, remote?: PickRequest): QueueItem {
    const item: QueueItem = { id: this.nextId++, selected, remote, status: 'ready', loaded: 0, speed: null, sampleAt: 0, sampleLoaded: 0, reported: false };
    this.list.push(item);
    return item;
  }

  /** Takes a settled or ready file off the list; files on their way stay (cancel them first). */
  remove(item: QueueItem): boolean {
    if (item.status === 'queued' || item.status === 'uploading') return false;
    const index = this.list.indexOf(item);
    if (index < 0) return false;
    this.list.splice(index, 1);
    return true;
  }

  /** Forgets every file (after the round has been reported). */
  clear(): void {
    this.list = [];
  }

  /** Queues every ready file and starts as many as the bound allows. */
  start(): void {
    for (const e of this.list) if (e.status === 'ready') e.status = 'queued';
    this.pump();
    this.hooks.redraw();
  }

  cancel(e: QueueItem): void {
    if (e.status === 'uploading') this.abortNow(e);
    else if (e.status === 'queued') this.settle(e, 'canceled');
    this.afterSettle();
  }

  /** Cancels what waits and what is on its way, without starting anything or reporting. */
  abortAll(): void {
    for (const e of this.list) if (e.status === 'queued') this.settle(e, 'canceled');
    for (const e of this.list) if (e.status === 'uploading') this.abortNow(e);
  }

  cancelAll(): void {
    this.abortAll();
    this.hooks.canceledAll();
    this.afterSettle();
  }

  retry(e: QueueItem): void {
    if (e.status !== 'failed' && e.status !== 'canceled') return;
    e.status = 'queued';
    e.reported = false;
    e.error = undefined;
    e.loaded = 0;
    this.hooks.changed(e);
    this.pump();
    this.hooks.redraw();
  }

  /** Hands the finished round to roundDone (each file once), if there is one. */
  report(): void {
    const round = this.list.filter((e) => !e.reported && isSettled(e.status));
    if (round.length === 0) return;
    for (const e of round) e.reported = true;
    const filesUploaded = round.filter((e) => e.status === 'done').map((e) => e.result!);
    const filesFailed: FailedFile[] = round
      .filter((e) => e.status !== 'done')
      .map((e) => ({ ...e.selected, error: e.error ?? this.hooks.errorFor('canceled') }));
    this.hooks.roundDone({ filesUploaded, filesFailed });
  }

  private pump(): void {
    let active = this.count('uploading');
    for (const e of this.list) {
      if (active >= this.concurrency) break;
      if (e.status !== 'queued') continue;
      this.run(e);
      active++;
    }
  }

  private run(e: QueueItem): void {
    e.status = 'uploading';
    e.loaded = 0;
    e.speed = null;
    e.sampleAt = this.now();
    e.sampleLoaded = 0;
    e.error = undefined;
    const transfer = this.hooks.upload(e, (loaded) => this.progress(e, loaded));
    e.transfer = transfer;
    this.hooks.changed(e);
    transfer.done.then(
      (file) => {
        if (e.transfer !== transfer) return;
        if (e.remote) {
          e.selected = { ...e.selected, filename: file.filename, size: file.size, type: file.type };
          const refused = this.hooks.refuse?.(file);
          if (refused) return this.fail(e, refused);
        }
        e.result = file;
        e.loaded = e.selected.size ?? 0;
        this.settle(e, 'done');
        this.hooks.finished(e, file);
        this.afterSettle();
      },
      (err: unknown) => {
        if (e.transfer !== transfer) return;
        const code = err instanceof RequestError ? err.code : 'network';
        if (code === 'canceled') {
          this.settle(e, 'canceled');
          this.afterSettle();
        } else {
          this.fail(e, this.hooks.errorFor(code));
        }
      },
    );
  }

  private progress(e: QueueItem, loaded: number): void {
    e.loaded = loaded;
    const now = this.now();
    const dt = (now - e.sampleAt) / 1000;
    if (dt >= SPEED_SAMPLE_MS / 1000) {
      const instant = (loaded - e.sampleLoaded) / dt;
      e.speed = e.speed === null ? instant : e.speed * 0.6 + instant * 0.4;
      e.sampleAt = now;
      e.sampleLoaded = loaded;
    }
    const total = e.selected.size;
    this.hooks.progress(e, {
      loaded,
      total,
      percent: total ? Math.min(100, (loaded / total) * 100) : null,
      bytesPerSecond: e.speed,
    });
  }

  private fail(e: QueueItem, error: FerryError): void {
    e.error = error;
    this.settle(e, 'failed');
    this.hooks.failed(e, error);
    this.afterSettle();
  }

  private settle(e: QueueItem, status: 'done' | 'failed' | 'canceled'): void {
    e.status = status;
    e.transfer = undefined;
    if (status === 'canceled') e.error = this.hooks.errorFor('canceled');
    this.hooks.changed(e);
  }

  /** Aborts an upload and marks it cancelled at once (the request's own failure is then ignored). */
  private abortNow(e: QueueItem): void {
    const transfer = e.transfer;
    this.settle(e, 'canceled');
    transfer?.abort();
  }

  /** After a file finished one way or the other: start the next, and report a round that is over. */
  private afterSettle(): void {
    this.pump();
    const busy = this.list.some((e) => e.status === 'queued' || e.status === 'uploading');
    if (!busy) {
      const round = this.list.filter((e) => !e.reported && isSettled(e.status));
      if (round.length && round.every((e) => e.status === 'done')) this.report();
    }
    this.hooks.redraw();
  }
}
