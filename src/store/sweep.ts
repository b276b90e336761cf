// Deleting what has expired, on any ObjectStore. Expiry is enforced when files are read; the
// sweeper makes "lives at most one day" true of the bytes too (for S3 the bucket's lifecycle
// rule is the backstop behind it). Web APIs only: the runtime's timer handle goes to an optional
// `unref` hook, so Node can let the process exit without this file importing node:*.
import type { ObjectStore } from './object-store.js';

const DELETES_IN_FLIGHT = 8;
/**
 * An upload in parts lives no longer than the file it would become: at most a day. Where the
 * store does not know an upload's expiry (S3 reports only when it began), it is aborted a day
 * after it began.
 */
const UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes every object under `prefix` whose expiresAt ≤ now, aborts every upload in parts that
 * has outlived its file, and removes the store's own leftovers of crashed writes (temp files);
 * returns how many objects, uploads and leftovers went.
 */
export async function sweepExpired(store: ObjectStore, now: Date, prefix = ''): Promise<number> {
  const objects = await sweepObjects(store, now, prefix);
  const uploads = await sweepUploads(store, now, prefix);
  // Leftovers are not under any tenant's prefix: the sweep of the whole store takes them.
  const leftovers = prefix === '' && store.sweepLeftovers ? await store.sweepLeftovers(now) : 0;
  return objects + uploads + leftovers;
}

async function sweepUploads(store: ObjectStore, now: Date, prefix: string): Promise<number> {
  const cutoff = now.getTime();
  let aborted = 0;
  for await (const upload of store.listMultipart(prefix)) {
    const end = upload.expiresAt?.getTime() ?? upload.initiated.getTime() + UPLOAD_LIFETIME_MS;
    if (end > cutoff) continue;
    await store.abortMultipart(upload.key, upload.uploadId);
    aborted++;
  }
  return aborted;
}

async function sweepObjects(store: ObjectStore, now: Date, prefix: string): Promise<number> {
  const cutoff = now.getTime();
  const inFlight = new Set<Promise<void>>();
  let deleted = 0;
  let failure: { error: unknown } | undefined;
  for await (const object of store.list(prefix)) {
    if (failure) break;
    if (object.expiresAt.getTime() > cutoff) continue;
    const p: Promise<void> = store.delete(object.key).then(
      () => {
        deleted++;
        inFlight.delete(p);
      },
      (error: unknown) => {
        failure ??= { error };
        inFlight.delete(p);
      },
    );
    inFlight.add(p);
    if (inFlight.size >= DELETES_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return deleted;
}

export interface SweeperOptions {
  intervalMs: number;
  now: () => Date;
  /** A failed sweep is reported here and retried at the next interval. */
  onError: (error: unknown) => void;
  /** Called after each sweep with the number of objects deleted. */
  onSwept?: (deleted: number) => void;
  prefix?: string;
  /** Receives each timer handle, e.g. `(t) => t.unref()` on Node. */
  unref?: (timer: unknown) => void;
}

/**
 * Sweeps now and then every `intervalMs` after the previous sweep ended (sweeps never overlap).
 * The returned function stops it; its promise settles once a sweep in progress has ended.
 */
export function startSweeper(store: ObjectStore, options: SweeperOptions): () => Promise<void> {
  const { intervalMs, now, onError, onSwept, prefix = '', unref } = options;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = sweepOnce().finally(() => schedule(intervalMs));
    }, delay);
    unref?.(timer);
  };
  const sweepOnce = async () => {
    try {
      const deleted = await sweepExpired(store, now(), prefix);
      onSwept?.(deleted);
    } catch (e) {
      try {
        onError(e);
      } catch {
        // a throwing reporter must not stop the sweeper
      }
    }
  };

  schedule(0);
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    return running;
  };
}
