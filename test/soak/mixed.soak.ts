// The mixed soak: for FERRY_SOAK_MINUTES (default 10), workers interleave uploads (small and
// large), whole downloads, ranges, meta, deletes, link picks from the loopback origin, and
// hostile requests, against two real server processes at once (embedded store and S3 on
// s3rver). Every answer is checked (bytes by hash, statuses and error codes); anything the mix
// did not ask for is an error. Every 10 s each server's RSS and open file descriptors are
// sampled; from minute 2 (or a fifth of a shorter run) to the end both must stay flat: no
// sustained growth (least-squares slope over the window) and no late peak far above the first.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Of } from '../fakes/content.js';
import { startFakes, type Fakes } from '../fakes/server.js';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { MiB, kill9, openFiles, patternBlock, startServerProcess, type ServerProcess } from '../faults/harness.js';

const MINUTES = Number(process.env.FERRY_SOAK_MINUTES ?? 10);
const DURATION_MS = MINUTES * 60_000;
const WARM_MS = Math.min(2 * 60_000, DURATION_MS / 5);
const SAMPLE_MS = 10_000;
const WORKERS_PER_SERVER = 4;
const key = TEST_APP.key;

interface Sample {
  t: number;
  rss: number;
  fds: number;
}

interface Target {
  name: string;
  server: ServerProcess;
  samples: Sample[];
  counts: Record<string, number>;
  errors: string[];
  files: { url: string; seed: number; size: number }[];
}

let fakes: Fakes;
const targets: Target[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  fakes = await startFakes();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-soak-'));
  dirs.push(dir);
  const { bucket, endpoint } = await newBucket();
  const common = { FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, FERRY_RATE_LIMIT_PER_MINUTE: '1000000', ...fakes.env() };
  for (const [name, env] of [
    ['fs', { FERRY_DATA_DIR: dir }],
    ['s3', s3Vars(bucket, endpoint)],
  ] as const) {
    const server = await startServerProcess({ ...common, ...env });
    // The servers log a line per request: drop what they print, keep only what we need.
    server.child.stdout!.removeAllListeners('data');
    server.child.stdout!.resume();
    targets.push({ name, server, samples: [], counts: {}, errors: [], files: [] });
  }
});

afterAll(async () => {
  for (const t of targets) await kill9(t.server);
  await fakes?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---- one request each, checked ----------------------------------------------------------------

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  complete: boolean;
}

function send(base: string, method: string, path: string, headers: Record<string, string | number> = {}, body?: { block: Uint8Array; size: number } | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const length = body === undefined ? undefined : typeof body === 'string' ? Buffer.byteLength(body) : body.size;
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: false, headers: { ...headers, ...(length !== undefined && { 'content-length': length }) } },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (d: Buffer) => {
          // Keep at most 4 MiB (ranges and answers); whole downloads are hashed by `fetchSha`.
          if (kept < 4 * MiB) chunks.push(d);
          kept += d.length;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else if (body) {
      let sent = 0;
      const write = () => {
        while (sent < body.size) {
          const n = Math.min(body.block.length, body.size - sent);
          sent += n;
          if (!req.write(body.block.subarray(0, n))) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    } else req.end();
  });
}

function fetchSha(url: string, headers: Record<string, string> = {}): Promise<{ status: number; size: number; sha256: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers, agent: false }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        h.update(d);
      });
      res.on('end', () => resolve({ status: res.statusCode!, size, sha256: h.digest('hex'), complete: res.complete }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

function expectedSha(block: Uint8Array, size: number, start = 0): string {
  const h = createHash('sha256');
  let at = start;
  const end = start + size;
  while (at < end) {
    const off = at % block.length;
    const n = Math.min(block.length - off, end - at);
    h.update(block.subarray(off, off + n));
    at += n;
  }
  return h.digest('hex');
}

const blocks = new Map<number, Uint8Array>();
const blockOf = (seed: number) => {
  let b = blocks.get(seed);
  if (!b) blocks.set(seed, (b = patternBlock(seed)));
  return b;
};

const rand = (n: number) => Math.floor(Math.random() * n);
const codeOf = (a: Answer): string | undefined => {
  try {
    return JSON.parse(a.body.toString('utf8')).error?.code;
  } catch {
    return undefined;
  }
};

/** The hostile requests of the mix: each with the answer it must get. */
const HOSTILE: { name: string; run: (base: string) => Promise<Answer>; status: number; code?: string }[] = [
  { name: 'unknown key', run: (b) => send(b, 'POST', '/v1/files?key=nope&filename=a', {}, 'x'), status: 401, code: 'unknown_key' },
  { name: 'made-up handle', run: (b) => send(b, 'GET', `/v1/files/${'A'.repeat(43)}?key=${key}`), status: 404, code: 'not_found' },
  { name: 'traversal', run: (b) => send(b, 'GET', `/v1/files/..%2f..%2fetc%2fpasswd?key=${key}`), status: 404 },
  { name: 'bad pick json', run: (b) => send(b, 'POST', `/v1/picks?key=${key}`, { 'content-type': 'application/json' }, '{"source":'), status: 400, code: 'invalid_json' },
  { name: 'private address pick', run: (b) => send(b, 'POST', `/v1/picks?key=${key}`, { 'content-type': 'application/json' }, JSON.stringify({ source: 'url', url: 'http://10.0.0.1/x' })), status: 403, code: 'blocked_address' },
  { name: 'huge header', run: (b) => send(b, 'GET', '/healthz', { 'x-big': 'a'.repeat(70_000) }), status: 431, code: 'headers_too_large' },
  { name: 'bad ttl', run: (b) => send(b, 'POST', `/v1/files?key=${key}&filename=a&ttl=-5`, {}, 'x'), status: 400, code: 'invalid_ttl' },
  { name: 'tus elsewhere', run: (b) => send(b, 'POST', `/v1/files?key=${key}&filename=a`, { 'tus-resumable': '1.0.0' }, 'x'), status: 400, code: 'tus_wrong_endpoint' },
];

/** A raw client that sends half a request head and disappears. */
function halfHead(base: string): Promise<void> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write('POST /v1/files?key=test-key HTTP/1.1\r\nHost: x\r\nContent-Len');
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 50);
    });
    s.on('error', () => resolve());
  });
}

async function step(t: Target): Promise<void> {
  const base = t.server.url;
  const count = (op: string) => (t.counts[op] = (t.counts[op] ?? 0) + 1);
  const fail = (op: string, what: string) => t.errors.push(`${op}: ${what}`);
  const roll = rand(100);
  if (roll < 25 || t.files.length < 3) {
    // Upload: mostly small, sometimes large (past S3's 8 MiB parts).
    const size = roll < 5 ? 9 * MiB + rand(8 * MiB) : 1 + rand(2 * MiB);
    const seed = 1 + rand(50);
    const a = await send(base, 'POST', `/v1/files?key=${key}&filename=s${seed}.bin`, {}, { block: blockOf(seed), size });
    count('upload');
    if (a.status !== 201) return void fail('upload', `${a.status} ${a.body.toString().slice(0, 200)}`);
    t.files.push({ url: JSON.parse(a.body.toString()).url, seed, size });
    if (t.files.length > 40) t.files.splice(rand(t.files.length), 1); // forget some, let expiry have them
  } else if (roll < 40) {
    const f = t.files[rand(t.files.length)]!;
    const got = await fetchSha(f.url);
    count('download');
    if (got.status === 404) return; // deleted meanwhile by another worker
    if (got.status !== 200 || !got.complete || got.size !== f.size || got.sha256 !== expectedSha(blockOf(f.seed), f.size)) fail('download', `${got.status} ${got.size}/${f.size}`);
  } else if (roll < 55) {
    const f = t.files[rand(t.files.length)]!;
    const start = rand(f.size);
    const end = Math.min(f.size - 1, start + rand(MiB));
    const a = await send(base, 'GET', new URL(f.url).pathname + new URL(f.url).search, { range: `bytes=${start}-${end}` });
    count('range');
    if (a.status === 404) return;
    const want = expectedSha(blockOf(f.seed), end - start + 1, start);
    if (a.status !== 206 || createHash('sha256').update(a.body).digest('hex') !== want) fail('range', `${a.status} ${start}-${end} of ${f.size}`);
  } else if (roll < 62) {
    const f = t.files[rand(t.files.length)]!;
    const u = new URL(f.url);
    const a = await send(base, 'GET', `${u.pathname}/meta${u.search}`);
    count('meta');
    if (a.status !== 200 && a.status !== 404) fail('meta', String(a.status));
  } else if (roll < 70) {
    const i = rand(t.files.length);
    const f = t.files.splice(i, 1)[0]!;
    const u = new URL(f.url);
    const a = await send(base, 'DELETE', u.pathname + u.search);
    count('delete');
    if (a.status !== 204 && a.status !== 404) return void fail('delete', String(a.status));
    const after = await send(base, 'GET', `${u.pathname}/meta${u.search}`);
    if (after.status !== 404) fail('delete', `then ${after.status}`);
  } else if (roll < 82) {
    const seed = 1 + rand(20);
    const size = 1 + rand(3 * MiB);
    const a = await send(base, 'POST', `/v1/picks?key=${key}`, { 'content-type': 'application/json' }, JSON.stringify({ source: 'url', url: `${fakes.url}/origin/files/${seed}/${size}/p.bin` }));
    count('pick');
    if (a.status !== 201) return void fail('pick', `${a.status} ${a.body.toString().slice(0, 200)}`);
    const got = await fetchSha(JSON.parse(a.body.toString()).url);
    if (got.status !== 200 || !got.complete || got.size !== size || got.sha256 !== sha256Of(seed, size)) fail('pick', `download ${got.status} ${got.size}/${size}`);
  } else if (roll < 97) {
    const h = HOSTILE[rand(HOSTILE.length)]!;
    const a = await h.run(base);
    count(`hostile`);
    if (a.status !== h.status || (h.code && codeOf(a) !== h.code)) fail(`hostile ${h.name}`, `${a.status} ${codeOf(a)}`);
  } else {
    await halfHead(base);
    count('half head');
  }
}

function slope(samples: Sample[], of: (s: Sample) => number): number {
  const n = samples.length;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mv = samples.reduce((a, s) => a + of(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mt) * (of(s) - mv);
    den += (s.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den; // per millisecond
}

describe(`mixed soak, ${MINUTES} min`, () => {
  it('no unexpected error; RSS and open handles flat after warm-up', { timeout: DURATION_MS + 300_000 }, async () => {
    const t0 = Date.now();
    const deadline = t0 + DURATION_MS;
    const sampler = setInterval(() => {
      for (const t of targets) {
        const pid = t.server.child.pid!;
        t.samples.push({ t: Date.now() - t0, rss: t.server.rssBytes(), fds: openFiles(pid).length });
      }
    }, SAMPLE_MS);
    try {
      await Promise.all(
        targets.flatMap((t) =>
          Array.from({ length: WORKERS_PER_SERVER }, async () => {
            while (Date.now() < deadline) {
              try {
                await step(t);
              } catch (e) {
                t.errors.push(`request failed: ${(e as Error).message}`);
              }
            }
          }),
        ),
      );
    } finally {
      clearInterval(sampler);
    }
    // One last sample once the mix is over and the servers are idle.
    await new Promise((r) => setTimeout(r, 6_000));
    for (const t of targets) t.samples.push({ t: Date.now() - t0, rss: t.server.rssBytes(), fds: openFiles(t.server.child.pid!).length });

    const verdicts: Record<string, unknown> = {};
    for (const t of targets) {
      const late = t.samples.filter((s) => s.t >= WARM_MS);
      const window = late.slice(0, -1); // the mix running (the last sample is the idle server)
      const windowMin = (window.at(-1)!.t - window[0]!.t) / 60_000;
      const mib = (n: number) => (n / MiB).toFixed(0);
      const rssGrowth = slope(window, (s) => s.rss) * 60_000 * windowMin; // trend over the window
      const fdGrowth = slope(window, (s) => s.fds) * 60_000 * windowMin;
      const quarter = Math.max(1, Math.floor(window.length / 4));
      const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const early = median(window.slice(0, quarter).map((s) => s.rss));
      const lateMedian = median(window.slice(-quarter).map((s) => s.rss));
      const idle = t.samples.at(-1)!;
      console.info(
        `[soak] ${t.name}: ${MINUTES} min, ${Object.entries(t.counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}; ${t.errors.length} unexpected; RSS median ${mib(early)} MiB in the first quarter after warm-up, ` +
          `${mib(lateMedian)} MiB in the last, trend ${mib(rssGrowth)} MiB over ${windowMin.toFixed(1)} min; ` +
          `fds ${Math.min(...window.map((s) => s.fds))}–${Math.max(...window.map((s) => s.fds))} under load, trend ${fdGrowth.toFixed(1)}, ${idle.fds} idle at the end`,
      );
      console.info(`[soak] ${t.name} samples (min,RSS MiB,fds): ${t.samples.map((s) => `${(s.t / 60_000).toFixed(1)},${mib(s.rss)},${s.fds}`).join(' ')}`);
      verdicts[t.name] = {
        errors: t.errors.slice(0, 20),
        // Flat: the RSS trend over the window under 32 MiB, the late median within 15% (+8 MiB)
        // of the early one, the descriptors' trend under 8, and an idle server back near its
        // fewest descriptors.
        rssFlat: rssGrowth < 32 * MiB && lateMedian <= early * 1.15 + 8 * MiB,
        fdsFlat: Math.abs(fdGrowth) < 8 && idle.fds <= Math.min(...t.samples.map((s) => s.fds)) + 8,
      };
    }
    for (const t of targets) expect(verdicts[t.name], t.name).toEqual({ errors: [], rssFlat: true, fdsFlat: true });
  });
});
