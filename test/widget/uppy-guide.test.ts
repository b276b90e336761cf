// docs/uppy.md, run: its two examples (@uppy/xhr-upload and @uppy/tus) are taken from the page
// as written, bundled with esbuild, and run in real Chromium from a page on an allowed origin
// against a real Ferry. A file within the app's limit arrives byte-exact; one over it fails with
// Ferry's sentence, after exactly one request. Uppy's defaults, for contrast, send the 413 four
// times and show no sentence: that is what the guide's settings are for.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../../src/node.js';
import type { RequestLogEntry } from '../../src/request-log.js';
import { newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { launchBrowser } from './harness.js';

const root = join(import.meta.dirname, '..', '..');
// Small files: the whole request is on the wire before Ferry's early 413, on a loaded machine too.
const LIMIT = 20_000;

/** The guide's examples: each ```js block right after the "runs in" marker. */
function guideExamples(): string[] {
  const md = readFileSync(join(root, 'docs', 'uppy.md'), 'utf8');
  return [...md.matchAll(/<!-- runs in test\/widget\/uppy-guide\.test\.ts -->\n```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Points an example at this Ferry and app (set by the page), and hands its `uppy` to the test. */
function asPageScript(example: string): string {
  const wired = example
    .replace("const FERRY = 'https://ferry.example.com';", 'const FERRY = window.FERRY_URL;')
    .replace("const KEY = 'YOUR_APP_KEY';", 'const KEY = window.FERRY_KEY;');
  if (wired === example) throw new Error('docs/uppy.md: an example no longer names FERRY and KEY as the test expects');
  return `${wired}\nwindow.uppy = uppy;\n`;
}

/** Uppy as it comes, with only the endpoint set. */
const DEFAULTS = `import Uppy from '@uppy/core';
import XHRUpload from '@uppy/xhr-upload';
const uppy = new Uppy().use(XHRUpload, { endpoint: \`\${window.FERRY_URL}/v1/files?key=\${window.FERRY_KEY}\` });
window.uppy = uppy;
`;

async function bundle(source: string): Promise<string> {
  const out = await build({ stdin: { contents: source, resolveDir: root, loader: 'js' }, bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

interface Outcome {
  successful: { name: string; url: string | undefined }[];
  failed: { name: string; error: string }[];
  logs: string[];
}

describe('docs/uppy.md in Chromium', () => {
  let ferry: RunningFerry;
  let host: Server;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const requests: RequestLogEntry[] = [];
  const scripts = new Map<string, string>();
  const app = { name: 'web', key: 'web-key', secret: 'web-secret-0123456789abcdef', origins: [] as string[], maxFileBytes: LIMIT };

  beforeAll(async () => {
    const [xhr, tus] = guideExamples();
    expect(xhr, 'docs/uppy.md has the @uppy/xhr-upload example').toContain("from '@uppy/xhr-upload'");
    expect(tus, 'docs/uppy.md has the @uppy/tus example').toContain("from '@uppy/tus'");
    scripts.set('xhr', await bundle(asPageScript(xhr!)));
    scripts.set('tus', await bundle(asPageScript(tus!)));
    scripts.set('defaults', await bundle(DEFAULTS));
    let ferryUrl = '';
    host = createServer((req, res) => {
      const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
      if (name.endsWith('.js') && scripts.has(name.slice(0, -3))) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(scripts.get(name.slice(0, -3)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Uppy</title>
<script>window.FERRY_URL = ${JSON.stringify(ferryUrl)}; window.FERRY_KEY = ${JSON.stringify(app.key)};</script>
<script src="/${name}.js"></script>`);
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    app.origins = [`http://127.0.0.1:${(host.address() as AddressInfo).port}`];
    const { bucket, endpoint } = await newBucket();
    ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: JSON.stringify([app]) },
      { log: () => {}, requestLog: (e) => void requests.push(e) },
    );
    ferryUrl = ferry.url;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ferry?.close();
    await new Promise((r) => host?.close(r));
  });

  /** Opens the page running `script`, uploads `size` deterministic bytes through its uppy. */
  async function run(script: string, size: number): Promise<Outcome & { sha: string }> {
    const page: Page = await browser.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    try {
      await page.goto(`${app.origins[0]}/${script}`);
      await page.waitForFunction(() => 'uppy' in window);
      const outcome = await page.evaluate(async (n) => {
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
        const sha = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Uppy, from the page's bundle
        const uppy = (window as any).uppy;
        uppy.addFile({ name: `data-${n}.bin`, type: 'application/octet-stream', data: new Blob([bytes]) });
        const result = await uppy.upload();
        return {
          sha,
          successful: result.successful.map((f: { name: string; uploadURL?: string }) => ({ name: f.name, url: f.uploadURL })),
          failed: result.failed.map((f: { name: string; error: unknown }) => ({ name: f.name, error: String(f.error) })),
        };
      }, size);
      return { ...outcome, logs };
    } finally {
      await page.close();
    }
  }

  const sha256 = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
  };
  const seen = (route: string, status: number, since: number) => requests.slice(since).filter((r) => r.route.startsWith(route) && r.status === status).length;
  const SENTENCE = /^The file is larger than .*\d+ bytes.*\.$/;

  it('@uppy/xhr-upload: a file within the limit arrives byte-exact, at the URL Uppy keeps', async () => {
    const r = await run('xhr', 15_000);
    expect(r.failed).toEqual([]);
    expect(r.successful[0]!.url).toMatch(/\/v1\/files\//);
    expect(await sha256(r.successful[0]!.url!)).toBe(r.sha);
    expect(r.logs).toContain(`data-15000.bin is at ${r.successful[0]!.url}`);
  }, 60_000);

  it("@uppy/xhr-upload: a file over the limit fails with Ferry's sentence, sent once", async () => {
    const since = requests.length;
    const r = await run('xhr', LIMIT + 1);
    expect(r.successful).toEqual([]);
    expect(r.failed[0]!.error).toMatch(SENTENCE);
    expect(r.logs).toContainEqual(expect.stringMatching(/^data-20001\.bin failed: The file is larger than/));
    expect(seen('/v1/files', 413, since)).toBe(1);
  }, 60_000);

  it("Uppy's defaults, for contrast: the same 413 is sent four times and shows no sentence", async () => {
    const since = requests.length;
    const r = await run('defaults', LIMIT + 1);
    expect(r.failed[0]!.error).not.toMatch(/larger than/);
    expect(seen('/v1/files', 413, since)).toBe(4);
  }, 60_000);

  it('@uppy/tus: a file within the limit arrives byte-exact', async () => {
    const r = await run('tus', 15_000);
    expect(r.failed).toEqual([]);
    const stored = r.logs.find((l) => l.startsWith('stored at '));
    expect(stored).toBeDefined();
    expect(await sha256(stored!.slice('stored at '.length))).toBe(r.sha);
  }, 60_000);

  it("@uppy/tus: a file over the limit fails with Ferry's sentence, and the creation is not retried", async () => {
    const since = requests.length;
    const r = await run('tus', LIMIT + 1);
    expect(r.successful).toEqual([]);
    expect(r.failed[0]!.error).toMatch(SENTENCE);
    expect(r.logs).toContainEqual(expect.stringMatching(/^data-20001\.bin failed: The file is larger than/));
    expect(seen('/v1/tus', 413, since)).toBe(1);
  }, 60_000);
});
