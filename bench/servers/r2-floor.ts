// The R2-binding floor: what storing and serving bytes through a Worker costs on this machine
// without Ferry. A minimal Worker streaming request bodies, unencrypted, into the same binding
// Ferry's Worker uses (Miniflare's local R2), and streaming them back:
// PUT /o/:key stores (the request body as it comes, its length declared), GET /o/:key serves, with
// one `Range: bytes=a-b`, DELETE /o/:key removes. No auth, no metadata, no checks. Loopback only.
import type { R2BucketLike } from '../../src/store/r2-store.js';

interface Env {
  FERRY_BUCKET: R2BucketLike;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const key = new URL(request.url).pathname.replace(/^\/o\//, '');
    if (request.method === 'PUT') {
      await env.FERRY_BUCKET.put(key, request.body);
      return new Response('stored', { status: 201 });
    }
    if (request.method === 'DELETE') {
      await env.FERRY_BUCKET.delete(key);
      return new Response(null, { status: 204 });
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(request.headers.get('range') ?? '');
    const range = m ? { offset: Number(m[1]), length: Number(m[2]) - Number(m[1]) + 1 } : undefined;
    const o = await env.FERRY_BUCKET.get(key, range ? { range } : {});
    if (!o) return new Response('not found', { status: 404 });
    const length = range ? o.range?.length ?? range.length : o.size;
    return new Response(o.body, { status: range ? 206 : 200, headers: { 'content-length': String(length) } });
  },
};
