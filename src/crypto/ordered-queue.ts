// The in-flight window of the chunked transforms: AEAD calls that may finish out of order
// (WebCrypto costs ~50 µs a call on Node, so several run at once) are released to the stream
// strictly in chunk order. That order is what lets decryption promise that no byte of a chunk
// leaves before it and every chunk ahead of it authenticated. Kept apart from the transforms so
// its rules (order, bound, first failure wins) are tested on their own.
import { joinAdjacent } from './byte-runs.js';

interface Slot {
  done: boolean;
  value?: Uint8Array;
  failed?: { error: unknown };
}

/**
 * Releases results strictly in submission order, each as soon as it and everything before it
 * are ready, with at most `limit` in flight. A failure errors the stream at once and nothing
 * queued behind it is ever released. Synchronous results skip the slots when nothing is in
 * flight ahead of them (the node:crypto path costs no promise), and results that lie back to
 * back in one buffer leave as one chunk (joinAdjacent), so a 64 KiB write costs the streams
 * downstream one chunk, not four. Empty results are dropped.
 */
export class OrderedQueue {
  private readonly slots: Slot[] = [];
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  /** Synchronous results not yet enqueued; empty whenever a slot is in flight. */
  private run: Uint8Array | undefined;

  constructor(
    private readonly limit: number,
    private readonly controller: TransformStreamDefaultController<Uint8Array>,
  ) {}

  /** Returns a promise only when the caller must wait for room. */
  push(result: Promise<Uint8Array> | Uint8Array): Promise<void> | undefined {
    if (this.failure) throw this.failure.error;
    if (!(result instanceof Promise)) {
      if (this.slots.length === 0) {
        this.append(result);
        return undefined;
      }
      this.slots.push({ done: true, value: result });
    } else {
      this.flush();
      const slot: Slot = { done: false };
      this.slots.push(slot);
      result.then(
        (value) => {
          slot.done = true;
          slot.value = value;
          this.release();
        },
        (error: unknown) => {
          slot.done = true;
          slot.failed = { error };
          this.release();
        },
      );
    }
    return this.slots.length >= this.limit ? this.settled(this.limit - 1) : undefined;
  }

  /** Resolves once at most `keep` results are in flight; rejects with the first failure. */
  async settled(keep = 0): Promise<void> {
    this.flush();
    while (!this.failure && this.slots.length > keep) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw this.failure.error;
  }

  /** Enqueues the pending run of synchronous results: at the end of every write, at least. */
  flush(): void {
    const run = this.run;
    this.run = undefined;
    if (run) this.controller.enqueue(run);
  }

  private append(b: Uint8Array): void {
    if (b.length === 0) return;
    const joined = this.run && joinAdjacent(this.run, b);
    if (joined) {
      this.run = joined;
    } else {
      this.flush();
      this.run = b;
    }
  }

  private release(): void {
    if (this.failure) return;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      try {
        if (slot.failed) throw slot.failed.error;
        if (slot.value!.length > 0) this.controller.enqueue(slot.value!);
      } catch (error) {
        // A failed chunk, or a stream already cancelled or errored: stop for good.
        this.failure = { error };
        this.slots.length = 0;
        try {
          this.controller.error(error);
        } catch {
          // already errored or closed
        }
        break;
      }
    }
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
