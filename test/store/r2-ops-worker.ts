// A test Worker that exposes each R2Store operation over HTTP, so the store conformance suite
// (run in Node) drives R2Store code running inside workerd on Miniflare's local R2. Each request
// names its key prefix, so every test gets a fresh store in the same bucket.
//
// Bodies going in are pulled from the Node side one chunk per read (GET <back>/body/<id>), so
// the store sees exactly the pull-based source the suite built: its backpressure, its errors (a
// 500 there errors the stream here with a tag the Node side maps back to the original error),
// its stalls, and its cancellation (POST <back>/body/<id>/cancel). An abort signal is raised on
// the Node side and relayed here (GET <back>/signal/<id> answers), tagged the same way.
import { R2Store, type R2BucketLike } from '../../src/store/r2-store.js';
import type { ReadRange } from '../../src/store/object-store.js';

interface Env {
  FERRY_BUCKET: R2BucketLike;
}

let accepted = 0;

function storeFor(env: Env, prefix: string): R2Store {
  return new R2Store({ bucket: env.FERRY_BUCKET, prefix, partSize: 5 * 1024 * 1024, listPageSize: 5, onAccepted: (n) => (accepted += n) });
}

function pulledBody(back: string, id: string): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const res = await fetch(`${back}/body/${id}`);
        try {
          if (res.status === 204) controller.close();
          else if (res.status === 200) controller.enqueue(new Uint8Array(await res.arrayBuffer()));
          else controller.error(new Error(`body:${id}`));
        } catch {
          // cancelled meanwhile
        }
      },
      async cancel(reason: unknown) {
        const text = reason instanceof Error ? reason.message : String(reason);
        await fetch(`${back}/body/${id}/cancel`, { method: 'POST', body: text });
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The signal of one call. Workers let a request touch only its own I/O objects, so the abort
 * cannot come from another request: this request waits on GET <back>/signal/<id>, which the
 * Node side answers when its signal aborts.
 */
function signalFor(back: string, id: string | undefined, aborted: unknown): AbortSignal | undefined {
  if (!id) return undefined;
  const c = new AbortController();
  if (aborted) c.abort(new Error(`signal:${id}`));
  fetch(`${back}/signal/${id}`).then(
    async (res) => {
      if (res.status === 200) c.abort(new Error(`signal:${await res.text()}`));
    },
    () => {},
  );
  return c.signal;
}

function errorJson(e: unknown): Response {
  const err = e as Error & { code?: string };
  return Response.json({ error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code } }, { status: 500 });
}

type Args = Record<string, unknown> & { prefix: string; key: string; back: string };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const op = new URL(request.url).pathname.replace(/^\/op\//, '');
    const a = (await request.json()) as Args;
    const store = storeFor(env, a.prefix);
    try {
      switch (op) {
        case 'put': {
          const stored = await store.put(a.key, pulledBody(a.back, a.body as string), {
            expiresAt: new Date(Number(a.expiresAt)),
            ...(a.metadata ? { metadata: a.metadata as Record<string, string> } : {}),
            ...(a.size === undefined ? {} : { size: a.size as number }),
            signal: signalFor(a.back, a.signal as string | undefined, a.aborted),
          });
          return Response.json({ ok: stored });
        }
        case 'get': {
          const got = await store.get(a.key, a.range as ReadRange | undefined);
          if (!got) return new Response(null, { status: 404 });
          const { body, ...meta } = got;
          return new Response(body, { headers: { 'x-object': JSON.stringify(meta) } });
        }
        case 'head':
          return Response.json({ ok: await store.head(a.key) });
        case 'delete':
          return Response.json({ ok: await store.delete(a.key) });
        case 'list': {
          const out = [];
          for await (const o of store.list(a.key)) out.push(o);
          return Response.json({ ok: out });
        }
        case 'listMultipart': {
          const out = [];
          for await (const o of store.listMultipart(a.key)) out.push(o);
          return Response.json({ ok: out });
        }
        case 'createMultipart':
          return Response.json({
            ok: await store.createMultipart(a.key, { expiresAt: new Date(Number(a.expiresAt)), metadata: a.metadata as Record<string, string> }),
          });
        case 'putPart':
          return Response.json({
            ok: await store.putPart(a.key, a.uploadId as string, a.n as number, pulledBody(a.back, a.body as string), {
              size: a.size as number,
              signal: signalFor(a.back, a.signal as string | undefined, a.aborted),
            }),
          });
        case 'listParts':
          return Response.json({ ok: await store.listParts(a.key, a.uploadId as string) });
        case 'completeMultipart':
          return Response.json({ ok: await store.completeMultipart(a.key, a.uploadId as string, a.parts as never) });
        case 'abortMultipart':
          return Response.json({ ok: await store.abortMultipart(a.key, a.uploadId as string) });
        case 'chunkSizes': {
          // The piece sizes a reader of the object's body sees.
          const got = await store.get(a.key);
          const sizes: number[] = [];
          for await (const c of got!.body as unknown as AsyncIterable<Uint8Array>) sizes.push(c.byteLength);
          return Response.json({ ok: sizes });
        }
        case 'accepted':
          return Response.json({ ok: accepted });
        case 'etag': {
          // The binding's etag: a multipart object's ends in -<parts>, a single put's does not.
          const o = await env.FERRY_BUCKET.head((a.prefix ?? '') + a.key);
          return Response.json({ ok: o?.etag ?? null });
        }
        case 'residue': {
          const keys: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await env.FERRY_BUCKET.list({ prefix: a.prefix, ...(cursor ? { cursor } : {}) });
            keys.push(...page.objects.map((o) => o.key));
            cursor = page.truncated ? page.cursor : undefined;
          } while (cursor);
          return Response.json({ ok: keys });
        }
        default:
          return new Response('no such op', { status: 404 });
      }
    } catch (e) {
      return errorJson(e);
    }
  },
};
