// S3Store: the shared conformance suite against a real S3 server (s3rver on loopback), plus what
// s3rver cannot answer, asserted against a loopback endpoint that records the exact requests.
//
// Residue on s3rver: ListObjectsV2 shows every stored object, and ListMultipartUploads every
// upload in progress (the suite's s3rver has the multipart calls it lacks added from its own
// files, test/helpers/s3rver-multipart.mjs, so AbortMultipartUpload really drops the parts).
// Where a server does not implement ListMultipartUploads (501), `residue()` falls back to a
// ledger kept by middleware on the store's own S3 client: every upload it created, minus those
// it completed or delivered an AbortMultipartUpload for. The recording endpoint below proves
// that the abort request is exactly right and sent before `put` rejects.
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FerryError } from '../../src/errors.js';
import { createS3Client } from '../../src/store/s3-client.js';
import { S3Store, type S3StoreOptions } from '../../src/store/s3-store.js';
import { sweepExpired } from '../../src/store/sweep.js';
import { describeObjectStore, expectBytes, pattern, source, type StoreHarness } from './conformance.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB; // S3's (and lib-storage's) smallest part
const EXPIRES = new Date('2030-01-02T03:04:05.678Z');
const endpoint = inject('s3Endpoint');

function client(at = endpoint): S3Client {
  return createS3Client({ endpoint: at, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
}

let buckets = 0;
function bucketName(): string {
  return `ferry-s3-store-${process.pid}-${Date.now().toString(36)}-${buckets++}`;
}

/** What the store's client did with multipart uploads, and how many body bytes S3 accepted. */
interface UploadLedger {
  open: Map<string, string>;
  accepted: number;
}

function recordUploads(s3: S3Client): UploadLedger {
  const ledger: UploadLedger = { open: new Map(), accepted: 0 };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { UploadId?: string; Key?: string; Body?: Uint8Array };
      const name = context.commandName;
      try {
        const out = await next(args);
        const output = out.output as { UploadId?: string };
        if (name === 'CreateMultipartUploadCommand') ledger.open.set(output.UploadId!, input.Key!);
        if (name === 'CompleteMultipartUploadCommand') ledger.open.delete(input.UploadId!);
        if (name === 'UploadPartCommand' || name === 'PutObjectCommand') ledger.accepted += input.Body?.byteLength ?? 0;
        if (name === 'AbortMultipartUploadCommand') ledger.open.delete(input.UploadId!);
        return out;
      } catch (e) {
        // The server answered the abort (s3rver: 405): it was delivered, which is all the
        // client can do; a real S3 drops the parts then.
        const answered = typeof (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 'number';
        if (name === 'AbortMultipartUploadCommand' && answered) ledger.open.delete(input.UploadId!);
        throw e;
      }
    },
    { step: 'initialize', name: 'uploadLedger' },
  );
  return ledger;
}

async function allKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function pendingUploads(s3: S3Client, bucket: string, ledger: UploadLedger): Promise<string[]> {
  try {
    const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (res.Uploads ?? []).map((u) => `upload ${u.Key} ${u.UploadId}`);
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 501) throw e;
    return [...ledger.open].map(([id, key]) => `upload ${key} ${id}`);
  }
}

async function makeS3Store(options: Partial<S3StoreOptions> = {}): Promise<StoreHarness & { s3: S3Client; bucket: string }> {
  const s3 = client();
  const bucket = bucketName();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const ledger = recordUploads(s3);
  const queueSize = options.queueSize ?? 2;
  const store = new S3Store({ client: s3, bucket, prefix: 'ferry/', partSize: PART, queueSize, listPageSize: 2, ...options });
  return {
    s3,
    bucket,
    store,
    residue: async () => [...(await allKeys(s3, bucket)), ...(await pendingUploads(s3, bucket, ledger))],
    acceptedBytes: async () => ledger.accepted,
    // lib-storage holds at most queueSize parts, plus a source chunk or two while cutting them.
    maxBufferedBytes: PART * queueSize + 256 * 1024,
    largeSize: 2 * PART + 1234,
    cleanup: async () => {
      for (const key of await allKeys(s3, bucket)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      s3.destroy();
    },
  };
}

describeObjectStore('S3Store on s3rver', () => makeS3Store());

describe('createS3Client', () => {
  it('always turns the flexible checksums off (no aws-chunked bodies) and keeps forcePathStyle as configured', async () => {
    for (const forcePathStyle of [true, false]) {
      const s3 = createS3Client({ endpoint, region: 'eu-west-1', accessKeyId: 'a', secretAccessKey: 'b', forcePathStyle });
      expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
      expect(await s3.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
      expect(s3.config.forcePathStyle).toBe(forcePathStyle);
      expect(await s3.config.region()).toBe('eu-west-1');
      s3.destroy();
    }
  });

  it('sends a streamed body as it is, where the SDK default stores aws-chunked framing as the object', async () => {
    const ours = client();
    const sdkDefault = new S3Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    const bucket = bucketName();
    await ours.send(new CreateBucketCommand({ Bucket: bucket }));
    const data = pattern(100_000, 42);
    const stored = async (s3: S3Client, key: string) => {
      // A Node stream body: what the SDK would frame (lib-storage itself sends byte arrays).
      const body = Readable.from([data.subarray(0, 40_000), data.subarray(40_000)]);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: data.length }));
      const res = await fetch(`${endpoint}/${bucket}/${key}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    expectBytes(await stored(ours, 'ours'), data);
    // The control: without WHEN_REQUIRED the stored object starts with a chunk-size line.
    const framed = await stored(sdkDefault, 'default');
    expect(new TextDecoder('latin1').decode(framed.subarray(0, 6))).toBe(`${(40_000).toString(16)}\r\n`);
    for (const key of ['ours', 'default']) await ours.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await ours.send(new DeleteBucketCommand({ Bucket: bucket }));
    ours.destroy();
    sdkDefault.destroy();
  });

  it('refuses half a credential pair', () => {
    expect(() => createS3Client({ region: 'us-east-1', accessKeyId: 'only-the-id' })).toThrow(TypeError);
  });
});

describe('S3Store on s3rver', () => {
  let h: Awaited<ReturnType<typeof makeS3Store>>;
  beforeAll(async () => {
    h = await makeS3Store({ prefix: '' });
  });
  afterAll(async () => {
    await h.cleanup();
  });

  /** The object exactly as s3rver keeps it, fetched without the SDK. */
  const raw = (key: string, init?: RequestInit) => fetch(`${endpoint}/${h.bucket}/${key}`, init);

  it('stores a streamed body of unknown length byte for byte (no aws-chunked framing), single and multipart', async () => {
    for (const [key, size] of [
      ['raw/small', 100_000],
      ['raw/multipart', 2 * PART + 999],
    ] as const) {
      const data = pattern(size, size);
      await h.store.put(key, source(data, { chunk: 10_007 }).stream, { expiresAt: EXPIRES, metadata: { kid: 'k1', format: '1' } });
      const res = await raw(key);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-amz-meta-ferry-expires')).toBe('2030-01-02T03:04:05.678Z');
      expect(res.headers.get('x-amz-meta-kid')).toBe('k1');
      expect(res.headers.get('x-amz-meta-format')).toBe('1');
      expect(res.headers.get('content-encoding')).toBeNull();
      expectBytes(new Uint8Array(await res.arrayBuffer()), data);
    }
  });

  it('treats an object without a readable expiry as long expired, so it is never kept', async () => {
    await h.s3.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'foreign/x', Body: new Uint8Array(3) }));
    await h.s3.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'foreign/y', Body: new Uint8Array(3), Metadata: { 'ferry-expires': 'soon' } }));
    expect(await h.store.head('foreign/x')).toEqual({ key: 'foreign/x', size: 3, expiresAt: new Date(0), metadata: {} });
    expect((await h.store.head('foreign/y'))!.expiresAt).toEqual(new Date(0));
    expect(await sweepExpired(h.store, new Date(), 'foreign/')).toBe(2);
    expect(await allKeys(h.s3, h.bucket).then((keys) => keys.filter((k) => k.startsWith('foreign/')))).toEqual([]);
  });

  it('skips objects whose names are not Ferry keys when listing', async () => {
    await h.s3.send(new PutObjectCommand({ Bucket: h.bucket, Key: 'odd/a b', Body: new Uint8Array(1) }));
    await h.store.put('odd/ok', source(pattern(1)).stream, { expiresAt: EXPIRES });
    const keys = [];
    for await (const o of h.store.list('odd/')) keys.push(o.key);
    expect(keys).toEqual(['odd/ok']);
    await h.s3.send(new DeleteObjectCommand({ Bucket: h.bucket, Key: 'odd/a b' }));
  });

  it('answers storage_unavailable, not null, when the bucket does not exist', async () => {
    // (HEAD answers have no body, so a missing bucket and a missing key look alike there.)
    const store = new S3Store({ client: h.s3, bucket: 'no-such-bucket-here' });
    await expect(store.get('k')).rejects.toMatchObject({ code: 'storage_unavailable' });
    await expect(store.put('k', source(pattern(10)).stream, { expiresAt: EXPIRES })).rejects.toMatchObject({ code: 'storage_unavailable' });
    await expect(store.list('')[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'storage_unavailable' });
  });

  it('refuses part sizes S3 would reject', () => {
    expect(() => new S3Store({ client: h.s3, bucket: h.bucket, partSize: PART - 1 })).toThrow(RangeError);
    expect(() => new S3Store({ client: h.s3, bucket: h.bucket, queueSize: 0 })).toThrow(RangeError);
    expect(() => new S3Store({ client: h.s3, bucket: h.bucket, prefix: '../' })).toThrow(TypeError);
  });
});

// ---- a recording S3 endpoint, for what s3rver cannot do --------------------------------------

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  bytes: number;
}

interface Recorder {
  endpoint: string;
  requests: Recorded[];
  /** Answer everything with this status instead of S3's success responses. */
  failWith?: number;
  close(): Promise<void>;
}

const UPLOAD_ID = 'recorded-upload-7f3a';

async function startRecorder(): Promise<Recorder> {
  const requests: Recorded[] = [];
  const recorder: Recorder = { endpoint: '', requests, close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      requests.push({ method: req.method!, path: url.pathname, query: url.searchParams, bytes });
      const xml = (body: string, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
      };
      if (recorder.failWith) {
        const s = recorder.failWith;
        if (req.method === 'HEAD') {
          res.writeHead(s).end();
          return;
        }
        xml(`<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>`, s);
        return;
      }
      const q = url.searchParams;
      if (req.method === 'POST' && q.has('uploads')) {
        xml(`<InitiateMultipartUploadResult><Bucket>rec</Bucket><Key>${url.pathname.slice(5)}</Key><UploadId>${UPLOAD_ID}</UploadId></InitiateMultipartUploadResult>`);
      } else if (req.method === 'PUT') {
        res.writeHead(200, { etag: `"etag-${q.get('partNumber') ?? 'single'}"` }).end();
      } else if (req.method === 'DELETE' && q.has('uploadId')) {
        res.writeHead(204).end();
      } else if (req.method === 'POST' && q.has('uploadId')) {
        xml(`<CompleteMultipartUploadResult><Bucket>rec</Bucket><Key>${url.pathname.slice(5)}</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>`);
      } else {
        xml(`<Error><Code>NotImplemented</Code><Message>recorder</Message></Error>`, 501);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  recorder.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recorder.close = () => new Promise((r) => server.close(() => r()));
  return recorder;
}

describe('S3Store against a recording endpoint', () => {
  let rec: Recorder;
  let s3: S3Client;
  let store: S3Store;
  beforeAll(async () => {
    rec = await startRecorder();
    s3 = client(rec.endpoint);
    store = new S3Store({ client: s3, bucket: 'rec', prefix: 'ferry/', partSize: PART, queueSize: 2 });
  });
  afterAll(async () => {
    s3.destroy();
    await rec.close();
  });

  const aborts = (requests: Recorded[]) => requests.filter((r) => r.method === 'DELETE');
  const completes = (requests: Recorded[]) => requests.filter((r) => r.method === 'POST' && r.query.has('uploadId'));

  /** Runs a put that must fail; returns its error and the requests seen by the time it rejected. */
  const failingPut = async (put: Promise<unknown>) => {
    const seen = await put.then(
      () => {
        throw new Error('put resolved');
      },
      (e: unknown) => ({ error: e, requests: [...rec.requests] }),
    );
    return seen;
  };

  it('aborts the multipart upload exactly once, by its id, when the body fails after two parts', async () => {
    rec.requests.length = 0;
    const boom = new Error('body broke');
    const body = source(pattern(2 * PART + 4321), { end: { error: boom } });
    const { error, requests } = await failingPut(store.put('up/broken', body.stream, { expiresAt: EXPIRES }));
    expect(error).toBe(boom);
    expect(requests.filter((r) => r.method === 'POST' && r.query.has('uploads'))).toHaveLength(1);
    expect(requests.filter((r) => r.method === 'PUT' && r.query.get('uploadId') === UPLOAD_ID).map((r) => r.bytes)).toEqual([PART, PART]);
    // Exactly one AbortMultipartUpload, for this upload, sent before put rejected.
    const deletes = aborts(requests);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.path).toBe('/rec/ferry/up/broken');
    expect(deletes[0]!.query.get('uploadId')).toBe(UPLOAD_ID);
    expect(completes(requests)).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(aborts(rec.requests)).toHaveLength(1);
  });

  it('aborts the multipart upload exactly once when the signal aborts while the body is stalled', async () => {
    rec.requests.length = 0;
    const reason = new Error('client disconnected');
    const body = source(pattern(PART + PART / 2), { end: 'stall' });
    const controller = new AbortController();
    const put = store.put('up/stalled', body.stream, { expiresAt: EXPIRES, signal: controller.signal });
    const deadline = Date.now() + 10_000;
    while (!rec.requests.some((r) => r.method === 'PUT') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    controller.abort(reason);
    const { error, requests } = await failingPut(put);
    expect(error).toBe(reason);
    expect(body.cancelled()).toEqual({ reason });
    const deletes = aborts(requests);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.path).toBe('/rec/ferry/up/stalled');
    expect(deletes[0]!.query.get('uploadId')).toBe(UPLOAD_ID);
    expect(completes(requests)).toEqual([]);
  });

  it('sends no abort when the body fails before a multipart upload began', async () => {
    rec.requests.length = 0;
    const boom = new Error('early');
    const body = source(pattern(1000), { end: { error: boom } });
    const { error, requests } = await failingPut(store.put('up/early', body.stream, { expiresAt: EXPIRES }));
    expect(error).toBe(boom);
    expect(requests).toEqual([]);
  });

  it('answers storage_unavailable when S3 answers 5xx', async () => {
    rec.failWith = 503;
    try {
      const calls: [string, () => Promise<unknown>][] = [
        ['put', () => store.put('k', source(pattern(10)).stream, { expiresAt: EXPIRES })],
        ['get', () => store.get('k')],
        ['head', () => store.head('k')],
        ['delete', () => store.delete('k')],
        ['list', async () => { for await (const _ of store.list('')) void _; }],
      ];
      for (const [name, call] of calls) {
        const e = await call().then(() => null, (err: unknown) => err);
        expect(e, name).toBeInstanceOf(FerryError);
        expect(e, name).toMatchObject({ code: 'storage_unavailable', status: 503 });
      }
    } finally {
      rec.failWith = undefined;
    }
  });
});

describe('S3Store with storage down', () => {
  it('answers storage_unavailable for every operation when nothing listens, and cancels the body', async () => {
    // A loopback port that was just free: connections are refused.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const s3 = client(`http://127.0.0.1:${port}`);
    const store = new S3Store({ client: s3, bucket: 'down', partSize: PART });
    const body = source(pattern(2 * PART + 1), { end: 'stall' });
    const calls: [string, () => Promise<unknown>][] = [
      ['put', () => store.put('k', body.stream, { expiresAt: EXPIRES })],
      ['get', () => store.get('k')],
      ['head', () => store.head('k')],
      ['delete', () => store.delete('k')],
      ['list', async () => { for await (const _ of store.list('')) void _; }],
    ];
    for (const [name, call] of calls) {
      const e = await call().then(() => null, (err: unknown) => err);
      expect(e, name).toBeInstanceOf(FerryError);
      expect(e, name).toMatchObject({ code: 'storage_unavailable', status: 503 });
    }
    expect(body.cancelled()?.reason).toBeInstanceOf(FerryError);
    s3.destroy();
  });
});
