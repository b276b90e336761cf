// An experiment Worker for bench/r2-memory.ts: the same R2 object read in different ways, to tell
// whether memory that grows with the object's size during a download is the reader's (Ferry's
// pipeline) or the local R2's (Miniflare's, inside the same workerd process).
// PUT /single/:key stores the request body in one put; PUT /jsfixed/:key too, but through a
// JavaScript stream (4 KiB pieces; with ?large, 256 KiB ones) and a FixedLengthStream (as R2Store's one put); PUT /multi/:key stores it in
// 8 MiB parts, as R2Store does for a body of unknown length longer than one part. GET /<reader>/:key reads it back:
//   native  the body handed to the Response (no JavaScript touches a byte): the floor
//   slow    read in JavaScript, 4 KiB pieces, a 1 ms pause every 64 KiB, discarded; answers the count
//   js      re-enqueued through a JavaScript ReadableStream (pull, highWaterMark 0) into the Response
//   large   largeChunks (R2Store's 256 KiB re-reading) into the Response
//   ferry   largeChunks, then an identity TransformStream, as Ferry's decrypt stage sits
// Loopback only; no auth.
import { largeChunks } from '../../src/store/large-chunks.js';
import type { R2BucketLike } from '../../src/store/r2-store.js';

interface Env {
  FERRY_BUCKET: R2BucketLike;
}

const PART = 8 * 1024 * 1024;
declare const FixedLengthStream: new (n: number) => TransformStream<Uint8Array, Uint8Array>;

async function putMulti(bucket: R2BucketLike, key: string, body: ReadableStream<Uint8Array>): Promise<void> {
  const upload = await bucket.createMultipartUpload(key);
  const reader = body.getReader();
  const parts = [];
  let buf = new Uint8Array(PART);
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (value) {
      let at = 0;
      while (at < value.byteLength) {
        const take = Math.min(PART - got, value.byteLength - at);
        buf.set(value.subarray(at, at + take), got);
        got += take;
        at += take;
        if (got === PART) {
          parts.push(await upload.uploadPart(parts.length + 1, buf));
          buf = new Uint8Array(PART);
          got = 0;
        }
      }
    }
    if (done) break;
  }
  if (got > 0) parts.push(await upload.uploadPart(parts.length + 1, buf.subarray(0, got)));
  await upload.complete(parts);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const [, mode, key] = url.pathname.split('/');
    const bucket = env.FERRY_BUCKET;
    if (request.method === 'PUT') {
      if (mode === 'multi') await putMulti(bucket, key!, request.body!);
      else if (mode === 'jsfixed') {
        // The body through a JavaScript stream into a FixedLengthStream, as R2Store's one put sends Ferry's ciphertext.
        const size = Number(request.headers.get('content-length'));
        const fixed = new FixedLengthStream(size);
        const source = url.searchParams.has('large') ? largeChunks(request.body!) : request.body!.pipeThrough(new TransformStream());
        void source.pipeTo(fixed.writable).catch(() => {});
        await bucket.put(key!, fixed.readable);
      } else await bucket.put(key!, request.body);
      return new Response('stored', { status: 201 });
    }
    if (request.method === 'DELETE') {
      await bucket.delete(key!);
      return new Response(null, { status: 204 });
    }
    const o = await bucket.get(key!);
    if (!o) return new Response('not found', { status: 404 });
    const headers = { 'content-length': String(o.size) };
    if (mode === 'native') return new Response(o.body, { headers });
    if (mode === 'slow') {
      const reader = o.body.getReader();
      let n = 0;
      let since = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        since += value.byteLength;
        if (since >= 64 * 1024) {
          since = 0;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
      return new Response(String(n));
    }
    let body: ReadableStream<Uint8Array>;
    if (mode === 'js') {
      const reader = o.body.getReader();
      body = new ReadableStream<Uint8Array>(
        {
          async pull(c) {
            const { done, value } = await reader.read();
            if (done) c.close();
            else c.enqueue(value);
          },
          cancel: (r) => reader.cancel(r),
        },
        { highWaterMark: 0 },
      );
    } else if (mode === 'large') body = largeChunks(o.body);
    else body = largeChunks(o.body).pipeThrough(new TransformStream());
    // A JavaScript stream has no length; a FixedLengthStream gives the Response one, as Ferry's does.
    const fixed = new FixedLengthStream(o.size);
    void body.pipeTo(fixed.writable).catch(() => {});
    return new Response(fixed.readable, { headers });
  },
};
