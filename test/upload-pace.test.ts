// The floor under an upload's speed (src/upload-pace.ts) on real streams and real timers: a
// body that stalls or trickles is cut with 408 request_timeout after its window, a burst does
// not buy a later trickle, time the consumer spends not reading never counts against the
// client, and a pace of 0 leaves the body untouched.
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../src/config.js';
import { FerryError } from '../src/errors.js';
import { requirePace } from '../src/upload-pace.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source that yields each [delayMs, bytes] step in turn, then ends (or stalls for ever). */
function paced(steps: [number, number][], endless = false): ReadableStream<Uint8Array> {
  let i = 0;
  let cancelled: unknown;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const step = steps[i++];
        if (!step) {
          if (endless) return new Promise<void>(() => {});
          return controller.close();
        }
        await sleep(step[0]);
        controller.enqueue(new Uint8Array(step[1]));
      },
      cancel(reason) {
        cancelled = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return Object.assign(stream, { cancelled: () => cancelled });
}

async function readAll(body: ReadableStream<Uint8Array>, pauseMs = 0): Promise<number> {
  const reader = body.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.byteLength;
    if (pauseMs) await sleep(pauseMs);
  }
}

async function cut(body: ReadableStream<Uint8Array>): Promise<FerryError> {
  try {
    await readAll(body);
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error('the body was not cut');
}

const PACE = { bytesPerSecond: 1000, windowMs: 200 }; // 200 bytes per 200 ms window

describe('requirePace', () => {
  it('cuts a body that stalls, with 408 request_timeout, after about one window, and cancels the source', async () => {
    const source = paced([[0, 10]], true) as ReadableStream<Uint8Array> & { cancelled: () => unknown };
    const started = Date.now();
    const e = await cut(requirePace(source, PACE));
    expect(e.code).toBe('request_timeout');
    expect(e.status).toBe(408);
    expect(e.message).toContain('1000 bytes/s');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(PACE.windowMs - 5);
    expect(took).toBeLessThan(PACE.windowMs * 20);
    expect(source.cancelled()).toBe(e);
  });

  it('cuts a trickle even when every byte comes sooner than an idle timeout would notice', async () => {
    const steps = Array.from({ length: 100 }, (): [number, number] => [20, 1]); // 50 bytes/s
    expect((await cut(requirePace(paced(steps), PACE))).code).toBe('request_timeout');
  });

  it('does not let an early burst pay for a later trickle', async () => {
    const steps: [number, number][] = [[0, 100_000], ...Array.from({ length: 100 }, (): [number, number] => [20, 1])];
    expect((await cut(requirePace(paced(steps), PACE))).code).toBe('request_timeout');
  });

  it('passes a body that keeps the pace for many windows', async () => {
    const steps = Array.from({ length: 40 }, (): [number, number] => [20, 100]); // 5000 bytes/s for 0.8 s
    expect(await readAll(requirePace(paced(steps), PACE))).toBe(4000);
  });

  it('never counts time the consumer spends not reading', async () => {
    // The source is instant; the consumer waits three windows between reads (a slow store).
    const steps = Array.from({ length: 4 }, (): [number, number] => [0, 1]);
    expect(await readAll(requirePace(paced(steps), PACE), PACE.windowMs * 3)).toBe(4);
  });

  it('leaves the body untouched at a pace of 0', () => {
    const body = paced([]);
    expect(requirePace(body, { bytesPerSecond: 0, windowMs: 1000 })).toBe(body);
    expect(requirePace(body, undefined)).toBe(body);
  });
});

describe('FERRY_MIN_UPLOAD_BYTES_PER_SECOND and FERRY_MIN_UPLOAD_WINDOW_SECONDS', () => {
  it('default to 1024 bytes/s over 30 s; 0 turns the floor off', () => {
    expect(readConfig({})).toMatchObject({ minUploadBytesPerSecond: 1024, minUploadWindowSeconds: 30 });
    expect(readConfig({ FERRY_MIN_UPLOAD_BYTES_PER_SECOND: '0' }).minUploadBytesPerSecond).toBe(0);
  });

  it.each([
    [{ FERRY_MIN_UPLOAD_BYTES_PER_SECOND: 'fast' }, 'FERRY_MIN_UPLOAD_BYTES_PER_SECOND'],
    [{ FERRY_MIN_UPLOAD_BYTES_PER_SECOND: '-1' }, 'FERRY_MIN_UPLOAD_BYTES_PER_SECOND'],
    [{ FERRY_MIN_UPLOAD_WINDOW_SECONDS: '0' }, 'FERRY_MIN_UPLOAD_WINDOW_SECONDS'],
    [{ FERRY_MIN_UPLOAD_WINDOW_SECONDS: '3601' }, 'FERRY_MIN_UPLOAD_WINDOW_SECONDS'],
  ])('refuses %j, naming %s', (env, variable) => {
    try {
      readConfig(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variable).toBe(variable);
      return;
    }
    throw new Error('accepted');
  });
});
