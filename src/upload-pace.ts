// A floor under the speed of an upload's body. The idle timeout resets on every byte, so a
// client sending one byte every 20 s keeps its upload slot (and the app's) for ever; sixteen
// of them starve an app. Here the body must bring at least `bytesPerSecond` over each window of
// `windowMs`, or it is cut with 408 `request_timeout` (and, the store's put failing, nothing is
// kept). Only time spent waiting for the client counts: while Ferry is not asking for bytes
// (the store is slow, backpressure) the clock stops, so a slow bucket never cuts a fast client.
// The first window is the grace period. Web APIs only (timers), so Workers hold the same rule.
// It measures real time (Date.now and setTimeout), not the app's clock: a deadline that wakes a
// waiting read can only be a timer, and the two must agree.
import { FerryError } from './errors.js';

export interface UploadPace {
  /** Bytes the client must send per second, averaged over a window; 0 turns the floor off. */
  bytesPerSecond: number;
  windowMs: number;
}

export function tooSlow(pace: UploadPace): FerryError {
  return new FerryError(
    'request_timeout',
    `The upload was slower than ${pace.bytesPerSecond} bytes/s over ${pace.windowMs / 1000} s, so it was stopped; nothing was kept.`,
  );
}

/** The body, cut with 408 `request_timeout` when a window brings fewer bytes than the pace asks. */
export function requirePace(body: ReadableStream<Uint8Array>, pace: UploadPace | undefined): ReadableStream<Uint8Array> {
  if (!pace || pace.bytesPerSecond <= 0) return body;
  const reader = body.getReader();
  const needed = (pace.bytesPerSecond * pace.windowMs) / 1000;
  // This window so far: milliseconds spent waiting for the client, and bytes it brought.
  let waited = 0;
  let bytes = 0;
  let failed: FerryError | undefined;

  /** Ends a full window: resets it, or returns the error when it fell short. */
  const closeWindow = (): FerryError | undefined => {
    if (bytes < needed) return (failed = tooSlow(pace));
    waited = 0;
    bytes = 0;
    return undefined;
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let since = Date.now();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const deadline = new Promise<never>((_, reject) => {
          const arm = () => {
            timer = setTimeout(
              () => {
                const now = Date.now();
                waited += now - since;
                since = now;
                const e = closeWindow();
                if (e) reject(e);
                else arm();
              },
              Math.max(0, pace.windowMs - waited),
            );
          };
          arm();
        });
        deadline.catch(() => {});
        try {
          const { done, value } = await Promise.race([reader.read(), deadline]);
          waited += Date.now() - since;
          if (done) return controller.close();
          bytes += value.byteLength;
          if (waited >= pace.windowMs) {
            const e = closeWindow();
            if (e) throw e;
          }
          controller.enqueue(value);
        } catch (e) {
          if (e === failed) await reader.cancel(e).catch(() => {});
          throw e;
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
