// A loopback stand-in for S3's bucket-configuration API, for the calls s3rver does not implement
// (lifecycle, public access block, encryption, policy). It records every request exactly as it
// arrived (method, path, query, headers, body bytes) so tests can assert what went on the wire,
// and by default behaves like S3 for these five subresources: PUT stores the document, GET returns
// it or S3's "no such configuration" error, DELETE removes it. Tests can seed documents written
// the way AWS returns them, or make any route answer an error.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. "/ferry-test/". */
  path: string;
  /** The raw query string without "?", e.g. "lifecycle". */
  query: string;
  /** The bucket subresource named by the query ("lifecycle", "policy"…), or "" for none. */
  subresource: string;
  bucket: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (to test timeouts). */
  hang?: boolean;
}

const ABSENT: Record<string, string> = {
  lifecycle: 'NoSuchLifecycleConfiguration',
  policy: 'NoSuchBucketPolicy',
  publicAccessBlock: 'NoSuchPublicAccessBlockConfiguration',
  encryption: 'ServerSideEncryptionConfigurationNotFoundError',
  cors: 'NoSuchCORSConfiguration',
};

export function s3Error(status: number, code: string, message = code): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>RECORDED</RequestId><HostId>loopback</HostId></Error>`,
  };
}

export interface RecordingS3 {
  endpoint: string;
  requests: RecordedRequest[];
  /** Stored documents: bucket → subresource → body. */
  documents: Map<string, Map<string, string>>;
  /** Store a document as if it had been PUT (or written by AWS in its own formatting). */
  seed(bucket: string, subresource: string, body: string): void;
  /** From now on answer `METHOD subresource` (e.g. "PUT policy", "GET lifecycle", "* *") with this. */
  answer(route: string, response: FakeResponse): void;
  close(): Promise<void>;
}

export async function startRecordingS3(buckets: string[]): Promise<RecordingS3> {
  const requests: RecordedRequest[] = [];
  const documents = new Map<string, Map<string, string>>(buckets.map((b) => [b, new Map()]));
  const overrides = new Map<string, FakeResponse>();

  function respond(req: RecordedRequest): FakeResponse {
    const override =
      overrides.get(`${req.method} ${req.subresource}`) ?? overrides.get(`* ${req.subresource}`) ?? overrides.get(`${req.method} *`) ?? overrides.get('* *');
    if (override) return override;
    const stored = documents.get(req.bucket);
    if (!stored) return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (!(req.subresource in ABSENT)) return s3Error(501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented');
    switch (req.method) {
      case 'PUT':
        stored.set(req.subresource, req.body);
        return { status: 200 };
      case 'DELETE':
        stored.delete(req.subresource);
        return { status: 204 };
      case 'GET': {
        const body = stored.get(req.subresource);
        if (body === undefined) return s3Error(404, ABSENT[req.subresource]!, 'The configuration does not exist');
        return { status: 200, body, headers: { 'content-type': req.subresource === 'policy' ? 'application/json' : 'application/xml' } };
      }
      default:
        return s3Error(405, 'MethodNotAllowed');
    }
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://recording');
      const query = url.search.replace(/^\?/, '');
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: url.pathname,
        query,
        subresource: query.split('&')[0]?.split('=')[0] ?? '',
        bucket: decodeURIComponent(url.pathname.split('/')[1] ?? ''),
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const answer = respond(recorded);
      if (answer.hang) return;
      const body = answer.body ?? '';
      response.writeHead(answer.status, {
        'x-amz-request-id': 'RECORDED',
        'content-length': String(Buffer.byteLength(body)),
        ...answer.headers,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    documents,
    seed(bucket, subresource, body) {
      documents.get(bucket)?.set(subresource, body);
    },
    answer(route, response) {
      overrides.set(route, response);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Checks a recorded request's AWS Signature V4, computed here from scratch with node:crypto, so a
 * test fails if anything changed the request after the SDK signed it (real S3 would answer
 * SignatureDoesNotMatch; s3rver and this endpoint check nothing by themselves).
 */
export function signatureIsValid(request: RecordedRequest, secretAccessKey: string): boolean {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    String(request.headers.authorization ?? ''),
  );
  if (!auth) return false;
  const [, , date, region, service, signedHeaders, signature] = auth as unknown as string[];
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = request.query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((part) => encode(decodeURIComponent(part ?? ''))))
    .map(([k, v = '']) => [k!, v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders!.split(';');
  const headers = names.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [request.method, request.path, query, headers, signedHeaders, String(request.headers['x-amz-content-sha256'])].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(date!).digest();
  for (const part of [region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === signature;
}
