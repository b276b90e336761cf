// src/streams.ts on fake sources that record their pulls and cancel reasons (node-server's
// style): for each tool, what it hands on, how far it reads ahead of a consumer that stopped
// (backpressure), that cancelling its output cancels the source with the reason, and that a
// source that fails or is aborted errors its output. One behaviour per test.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../src/errors.js';
import { coalesce, countedBody, primeStream, readPrefix, readSmall, streamOf, tooLarge } from '../src/streams.js';
import { concat, expectBytes, fakeSource, idle, readAll } from './helpers/byte-streams.js';

const KiB = 1024;
/** Chunk i is 1 KiB of the byte i & 0xff, so order and content are both checked. */
const numbered = (i: number) => new Uint8Array(KiB).fill(i & 0xff);
const expected = (count: number) => concat(Array.from({ length: count }, (_, i) => numbered(i)));

/** Pieces carved back to back from one buffer, as node-crypto's slabs are. */
function slabPieces(count: number, size: number) {
  const slab = Uint8Array.from({ length: count * size }, (_, i) => i % 251);
  return { slab, chunk: (i: number) => slab.subarray(i * size, (i + 1) * size) };
}

describe('countedBody', () => {
  it('passes the body through unchanged and counts its bytes', async () => {
    const { stream } = fakeSource({ chunk: numbered, count: 5 });
    const c = countedBody(stream, 10 * KiB);
    const { out, error } = await readAll(c.body);
    expect(error).toBeUndefined();
    expectBytes(out, expected(5));
    expect(c.counted()).toBe(5 * KiB);
    expect(c.failure()).toBeUndefined();
  });

  it('reads the source only as the consumer reads (no read-ahead)', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const reader = countedBody(stream, 1e9).body.getReader();
    await idle();
    expect(log.pulls).toBe(0);
    for (let i = 0; i < 3; i++) await reader.read();
    await idle();
    expect(log.pulls).toBe(3);
  });

  it('errors with 413 file_too_large on the read that passes the limit, leaving the source open', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const c = countedBody(stream, 2.5 * KiB);
    const { chunks, error } = await readAll(c.body);
    expect(chunks.length).toBe(2);
    expect(error).toBeInstanceOf(FerryError);
    expect([(error as FerryError).code, (error as FerryError).status]).toEqual(['file_too_large', 413]);
    expect(c.failure()).toBe(error);
    expect(log.cancelled).toBe(false);
  });

  it('after a 413, drain() reads on within its byte bound, then cancels the source', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const c = countedBody(stream, 2.5 * KiB);
    await readAll(c.body);
    const before = log.given;
    await c.drain({ bytes: 4 * KiB, ms: 10_000 });
    expect(log.given - before).toBeGreaterThan(4 * KiB);
    expect(log.given - before).toBeLessThanOrEqual(5 * KiB);
    expect(log.cancelled).toBe(true);
  });

  it('drain() ends quietly, without cancelling, when the client stops sending', async () => {
    const { stream, log } = fakeSource({ chunk: numbered, count: 4 });
    const c = countedBody(stream, 2.5 * KiB);
    await readAll(c.body);
    await c.drain({ bytes: 1e6, ms: 10_000 });
    expect(log.pulls).toBe(5); // every chunk, then the close
    expect(log.cancelled).toBe(false);
  });

  it('turns a failing source into 400 upload_interrupted', async () => {
    const { stream } = fakeSource({ chunk: numbered, failAt: 2 });
    const c = countedBody(stream, 1e9);
    const { chunks, error } = await readAll(c.body);
    expect(chunks.length).toBe(2);
    expect([(error as FerryError).code, (error as FerryError).status]).toEqual(['upload_interrupted', 400]);
    expect(c.failure()).toBe(error);
  });

  it('keeps a FerryError the source fails with as it is', async () => {
    const own = new FerryError('request_timeout', 'too slow');
    const { stream } = fakeSource({ failAt: 0, error: own });
    const { error } = await readAll(countedBody(stream, 1e9).body);
    expect(error).toBe(own);
  });

  it('errors as upload_interrupted when the request is aborted mid-body', async () => {
    const abort = new AbortController();
    const { stream } = fakeSource({ chunk: numbered, signal: abort.signal });
    const reader = countedBody(stream, 1e9).body.getReader();
    await reader.read();
    abort.abort(new Error('client went away'));
    await expect(reader.read()).rejects.toMatchObject({ code: 'upload_interrupted' });
  });

  it('cancelling the body cancels the source with the same reason', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const c = countedBody(stream, 1e9);
    const reason = new Error('store gave up');
    await c.body.cancel(reason);
    expect(log.cancelReason).toBe(reason);
  });
});

describe('tooLarge', () => {
  it('names the limit in a 413 file_too_large', () => {
    const e = tooLarge(1234);
    expect([e.code, e.status]).toEqual(['file_too_large', 413]);
    expect(e.message).toContain('1234');
  });
});

describe('readSmall', () => {
  it('reads a stream of several chunks whole', async () => {
    const { stream } = fakeSource({ chunk: numbered, count: 3 });
    expectBytes(await readSmall(stream, 3 * KiB), expected(3));
  });

  it('past the limit cancels the source and throws the given error, reading no further', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const mine = new Error('too big');
    await expect(readSmall(stream, 2.5 * KiB, () => mine)).rejects.toBe(mine);
    expect(log.pulls).toBe(3);
    expect(log.cancelled).toBe(true);
  });

  it('throws 500 corrupt_object past the limit unless told otherwise', async () => {
    const { stream } = fakeSource({ chunk: numbered });
    await expect(readSmall(stream, KiB)).rejects.toMatchObject({ code: 'corrupt_object', status: 500 });
  });

  it('rejects with the error of a failing source', async () => {
    const failure = new Error('store broke');
    const { stream } = fakeSource({ chunk: numbered, failAt: 1, error: failure });
    await expect(readSmall(stream, 1e6)).rejects.toBe(failure);
  });
});

describe('primeStream', () => {
  it('reads exactly one chunk up front, and nothing more until the consumer reads', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const primed = await primeStream(stream);
    await idle();
    expect(log.pulls).toBe(1);
    const reader = primed.getReader();
    await reader.read(); // the replayed chunk: no new pull
    await idle();
    expect(log.pulls).toBe(1);
  });

  it('replays the first chunk, then hands on the rest in order', async () => {
    const { stream } = fakeSource({ chunk: numbered, count: 4 });
    const { out, error } = await readAll(await primeStream(stream));
    expect(error).toBeUndefined();
    expectBytes(out, expected(4));
  });

  it('rejects, before any response is committed, when the first read fails', async () => {
    const failure = new Error('first chunk damaged');
    const { stream } = fakeSource({ failAt: 0, error: failure });
    await expect(primeStream(stream)).rejects.toBe(failure);
  });

  it('gives an empty stream for an empty source', async () => {
    const { stream } = fakeSource({ count: 0 });
    expect((await readAll(await primeStream(stream))).chunks).toEqual([]);
  });

  it('errors the output with the error of a source that fails later', async () => {
    const failure = new Error('store went away');
    const { stream } = fakeSource({ chunk: numbered, failAt: 2, error: failure });
    const { chunks, error } = await readAll(await primeStream(stream));
    expect(chunks.length).toBe(2);
    expect(error).toBe(failure);
  });

  it('cancelling the output cancels the source with the same reason', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const reason = new Error('client closed the download');
    await (await primeStream(stream)).cancel(reason);
    expect(log.cancelReason).toBe(reason);
  });
});

describe('readPrefix', () => {
  it('splits at n inside a chunk: the prefix, then the rest from the same chunk on', async () => {
    const { stream } = fakeSource({ chunk: numbered, count: 3 });
    const { prefix, rest } = await readPrefix(stream, 1.5 * KiB);
    const all = expected(3);
    expectBytes(prefix, all.subarray(0, 1.5 * KiB));
    expectBytes((await readAll(rest)).out, all.subarray(1.5 * KiB));
  });

  it('reads only the chunks that hold the prefix, and the rest only when asked', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const { rest } = await readPrefix(stream, 1.5 * KiB);
    await idle();
    expect(log.pulls).toBe(2);
    const reader = rest.getReader();
    await reader.read(); // the leftover half chunk: no new pull
    await idle();
    expect(log.pulls).toBe(2);
  });

  it('gives a shorter prefix and an empty rest when the stream ends first', async () => {
    const { stream } = fakeSource({ chunk: numbered, count: 1 });
    const { prefix, rest } = await readPrefix(stream, 4 * KiB);
    expect(prefix.length).toBe(KiB);
    expect((await readAll(rest)).chunks).toEqual([]);
  });

  it('errors the rest with the error of a source that fails after the prefix', async () => {
    const failure = new Error('broken');
    const { stream } = fakeSource({ chunk: numbered, failAt: 1, error: failure });
    const { rest } = await readPrefix(stream, KiB);
    expect((await readAll(rest)).error).toBe(failure);
  });

  it('cancelling the rest cancels the source with the same reason', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const { rest } = await readPrefix(stream, 100);
    const reason = new Error('not needed');
    await rest.cancel(reason);
    expect(log.cancelReason).toBe(reason);
  });
});

describe('streamOf', () => {
  it('is one chunk of the bytes, or no chunk at all for none', async () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    expect((await readAll(streamOf(bytes))).chunks).toEqual([bytes]);
    expect((await readAll(streamOf(new Uint8Array(0)))).chunks).toEqual([]);
  });
});

describe('coalesce', () => {
  it('joins pieces that lie back to back in one buffer into one chunk, without a copy', async () => {
    const { slab, chunk } = slabPieces(64, KiB);
    const reader = coalesce(fakeSource({ chunk, count: 64 }).stream, 8 * KiB).getReader();
    const first = (await reader.read()).value!;
    await idle(); // the consumer is busy: coalesce reads ahead
    const second = (await reader.read()).value!;
    expect(first.byteLength).toBe(KiB);
    expect(second.buffer).toBe(slab.buffer);
    expect([second.byteOffset, second.byteLength]).toEqual([KiB, 8 * KiB]);
  });

  it('never joins pieces from separate buffers', async () => {
    const reader = coalesce(fakeSource({ chunk: numbered, count: 64 }).stream, 8 * KiB).getReader();
    await reader.read();
    await idle();
    expect((await reader.read()).value!.byteLength).toBe(KiB);
  });

  it('hands on every byte in order, whatever the joins', async () => {
    const { slab, chunk } = slabPieces(40, KiB);
    const { out, error } = await readAll(coalesce(fakeSource({ chunk, count: 40 }).stream, 3 * KiB));
    expect(error).toBeUndefined();
    expectBytes(out, slab);
  });

  it('reads ahead no more than maxBytes while the consumer has stopped', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const reader = coalesce(stream, 8 * KiB).getReader();
    await reader.read();
    await idle();
    // One piece handed on, then read-ahead stops once 8 KiB wait.
    expect(log.given).toBe(9 * KiB);
    await idle();
    expect(log.given).toBe(9 * KiB);
  });

  it('gives a waiting consumer what has arrived at once, not when maxBytes have', async () => {
    let pulls = 0;
    const stalled = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(numbered(7));
          else return new Promise<void>(() => {}); // the next piece never comes
        },
      },
      { highWaterMark: 0 },
    );
    const reader = coalesce(stalled, 1024 * KiB).getReader();
    expect((await reader.read()).value).toEqual(numbered(7));
  });

  it('errors the output, on its next read, with the error of a failing source', async () => {
    const failure = new Error('upstream broke');
    const reader = coalesce(fakeSource({ chunk: numbered, failAt: 3, error: failure }).stream, 64 * KiB).getReader();
    await reader.read();
    await idle();
    await expect(reader.read()).rejects.toBe(failure);
  });

  it('errors the output with the abort reason when the source is aborted', async () => {
    const abort = new AbortController();
    const { stream } = fakeSource({ chunk: numbered, signal: abort.signal });
    const reader = coalesce(stream, KiB).getReader();
    await reader.read();
    await idle();
    const reason = new Error('aborted');
    abort.abort(reason);
    // What was read ahead before the abort (at most maxBytes) may still arrive, then the error.
    let after = 0;
    let error: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        after += value.byteLength;
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBe(reason);
    expect(after).toBeLessThanOrEqual(KiB);
  });

  it('cancelling the output cancels the source with the same reason', async () => {
    const { stream, log } = fakeSource({ chunk: numbered });
    const out = coalesce(stream, 8 * KiB);
    const reader = out.getReader();
    await reader.read();
    const reason = new Error('store aborted the upload');
    await reader.cancel(reason);
    expect(log.cancelReason).toBe(reason);
  });
});
