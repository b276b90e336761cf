// What the browser tests share: one Chromium per test file (Debian's, driven by playwright-core;
// NOTES.md "Browser tests"), Ferry started in-process on loopback, the loopback fakes of the link
// origin and the cloud providers, and a host page on its own origin that embeds the picker the
// way an application would: <script src="FERRY/picker.js">, under a strict Content-Security-Policy.
//
// The host page's `setupPicker(options)` creates a picker whose callbacks record every event in
// `window.events`; tests read them back and look inside the widget's open shadow root (Playwright
// locators pierce it). Screenshots go to test-artifacts/widget/.
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { startFerry, type RunningFerry } from '../../src/node.js';
import { startFakes, type Fakes } from '../fakes/server.js';
import { PutBucketCorsCommand } from '@aws-sdk/client-s3';
import type { RequestLogEntry } from '../../src/request-log.js';
import { startCuttingProxy, type CuttingProxy } from '../helpers/cutting-proxy.js';
import { newBucket, s3Client, s3Vars, testKey } from '../helpers/targets.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'widget');

export interface AppConfig {
  name: string;
  key: string;
  secret: string;
  origins: string[];
  requireSignature?: string[];
  maxFileBytes?: number;
}

export interface Harness {
  ferry: RunningFerry;
  fakes: Fakes;
  /** The host page's origin. */
  hostUrl: string;
  apps: { web: AppConfig; locked: AppConfig; tiny: AppConfig };
  /** Every object file in the embedded store (nothing stored = empty). */
  storedObjects(): string[];
  /** With `s3`: the loopback proxy between everyone and s3rver (the presigned URLs point to it). */
  proxy?: CuttingProxy;
  /** Ferry's request log, one entry per answered request. */
  requests: RequestLogEntry[];
  newPage(options?: PageOptions): Promise<Page>;
  close(): Promise<void>;
}

export interface PageOptions {
  colorScheme?: 'light' | 'dark';
  reducedMotion?: 'reduce' | 'no-preference';
  viewport?: { width: number; height: number };
  /**
   * A phone with a touch screen only (Playwright's isMobile + hasTouch): `(hover: none)` and
   * `(pointer: coarse)` match. Needs its own Chromium context, started on first use.
   */
  touch?: boolean;
}

/** What a touch-only phone looks like to the page (see PageOptions.touch). */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Launches Chromium with a fresh profile (a temporary directory, removed on close). */
export async function launchBrowser(device: Partial<typeof PHONE> = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 760 },
    acceptDownloads: true,
    ...device,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface HarnessOptions {
  /**
   * Store files in a bucket of the suite's s3rver, reached (by Ferry and by the browser, through
   * presigned URLs) via a cutting proxy; the bucket's CORS lets the host page PUT parts and read
   * their ETag. Default: the embedded store.
   */
  s3?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fakes = await startFakes({ manyFiles: 230, bigSize: 300_000 });
  let ferryUrl = '';
  let bucketUrl = '';
  const host: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const csp = [
      "default-src 'none'",
      `script-src 'self' ${ferryUrl}`,
      `connect-src ${ferryUrl}${bucketUrl ? ` ${bucketUrl}` : ''}`,
      'img-src blob:',
      "style-src 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
      res.end(hostHtml(ferryUrl));
    } else if (path === '/host.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(HOST_JS);
    } else if (path === '/host.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(HOST_CSS);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  const hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

  const apps = {
    web: { name: 'web', key: 'web-key', secret: 'web-secret-0123456789abcdef', origins: [hostUrl] },
    locked: { name: 'locked', key: 'locked-key', secret: 'locked-secret-0123456789abcdef', origins: [hostUrl], requireSignature: ['store', 'pick'] },
    tiny: { name: 'tiny', key: 'tiny-key', secret: 'tiny-secret-0123456789abcdef', origins: [hostUrl], maxFileBytes: 1000 },
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-widget-'));
  let proxy: CuttingProxy | undefined;
  let storeEnv: Record<string, string> = { FERRY_DATA_DIR: dataDir };
  if (options.s3) {
    const { bucket, endpoint } = await newBucket();
    const client = s3Client(endpoint);
    await client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: [hostUrl], AllowedMethods: ['PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }] },
      }),
    );
    client.destroy();
    proxy = await startCuttingProxy(Number(new URL(endpoint).port));
    bucketUrl = proxy.url;
    storeEnv = s3Vars(bucket, proxy.url);
  }
  const requests: RequestLogEntry[] = [];
  const ferry = await startFerry(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      ...storeEnv,
      FERRY_KEYS: testKey(),
      FERRY_APPS: JSON.stringify(Object.values(apps)),
      ...fakes.env(),
    },
    { log: () => {}, requestLog: (e) => void requests.push(e) },
  );
  ferryUrl = ferry.url;
  const browser = await launchBrowser();
  let phone: Promise<Awaited<ReturnType<typeof launchBrowser>>> | undefined;
  mkdirSync(ARTIFACTS, { recursive: true });

  return {
    ferry,
    fakes,
    hostUrl,
    apps,
    storedObjects: () => listFiles(join(dataDir, 'objects')),
    proxy,
    requests,
    async newPage(options = {}) {
      const context = options.touch ? (await (phone ??= launchBrowser(PHONE))).context : browser.context;
      const page = await context.newPage();
      if (options.viewport) await page.setViewportSize(options.viewport);
      page.on('pageerror', (e) => console.error('page error:', e.message));
      // Intercept file choosers from the start: waitForEvent('filechooser') switches interception
      // on without waiting, so under load a key press could open a native dialog first.
      page.on('filechooser', () => {});
      await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light', reducedMotion: options.reducedMotion ?? 'no-preference' });
      await page.goto(hostUrl + '/');
      await page.waitForFunction(() => typeof (window as unknown as { Ferry?: unknown }).Ferry === 'object');
      return page;
    },
    async close() {
      await browser.close();
      await (await phone)?.close();
      await ferry.close();
      await fakes.close();
      await proxy?.close();
      await new Promise<void>((r) => host.close(() => r()));
      host.closeAllConnections();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function listFiles(root: string): string[] {
  try {
    const paths = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1));
    return [...new Set(paths)].sort();
  } catch {
    return [];
  }
}

function hostHtml(ferryUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>An app that embeds Ferry</title>
<link rel="stylesheet" href="/host.css"></head>
<body>
<h1>Example app</h1>
<p><button id="open" type="button">Pick files</button> <a href="#after" id="after">A link after the button</a></p>
<div id="inline"></div>
<script src="${ferryUrl}/picker.js"></script>
<script src="/host.js"></script>
</body></html>`;
}

const HOST_CSS = `body { font: 15px system-ui, sans-serif; margin: 24px; }
#inline { height: 520px; max-width: 900px; margin-top: 16px; }`;

// Runs in the page: builds a picker whose callbacks record what they receive.
const HOST_JS = `
window.events = [];
function plain(value) {
  return JSON.parse(JSON.stringify(value, (k, v) => (v instanceof File ? { file: v.name, size: v.size } : v)));
}
function record(name) {
  return (...args) => window.events.push({ name, args: plain(args) });
}
window.setupPicker = (options = {}) => {
  const { veto = [], rename = {}, ...rest } = options;
  window.events = [];
  window.picker = Ferry.picker({
    key: 'web-key',
    ...rest,
    onOpen: record('open'),
    onClose: record('close'),
    onCancel: record('cancel'),
    onFileSelected: (file) => {
      record('selected')(file);
      if (veto.includes(file.filename)) return false;
      if (rename[file.filename]) return { filename: rename[file.filename] };
    },
    onFileUploadProgress: record('progress'),
    onFileUploadFinished: record('finished'),
    onFileUploadFailed: record('failed'),
    onUploadDone: record('done'),
  });
};
document.getElementById('open').addEventListener('click', () => window.picker.open());
`;

export interface PageEvent {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the page's callbacks received
  args: any[];
}

export function events(page: Page): Promise<PageEvent[]> {
  return page.evaluate(() => (window as unknown as { events: PageEvent[] }).events);
}

/** Waits until an event with this name has been recorded `count` times; returns all events. */
export async function waitForEvent(page: Page, name: string, count = 1, timeout = 20_000): Promise<PageEvent[]> {
  await page.waitForFunction(
    ([n, c]) => (window as unknown as { events: PageEvent[] }).events.filter((e) => e.name === n).length >= (c as number),
    [name, count] as const,
    { timeout },
  );
  return events(page);
}

export async function setupPicker(page: Page, options: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate((o) => (window as unknown as { setupPicker(o: unknown): void }).setupPicker(o), options);
}

/** Opens the picker with a click on the host page's button and waits for it to be on screen. */
export async function openPicker(page: Page, options: Record<string, unknown> = {}): Promise<void> {
  await setupPicker(page, options);
  await page.click('#open');
  await page.locator('[data-ferry-picker] .dialog').waitFor();
}

export const picker = (page: Page) => page.locator('[data-ferry-picker]');

/**
 * The element with focus, through shadow roots: its tag, its text as assistive technology gets
 * it (aria-hidden parts left out, such as the visual copy of a name cut in the middle), its
 * aria-label and whether it is inside the picker.
 */
export function focused(page: Page): Promise<{ tag: string; text: string; label: string | null; inPicker: boolean; id: string }> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const hostEl = document.querySelector('[data-ferry-picker]');
    const spoken = (n: Node): string =>
      n.nodeType === Node.TEXT_NODE ? (n.textContent ?? '') : (n as Element).getAttribute?.('aria-hidden') === 'true' ? '' : Array.from(n.childNodes, spoken).join('');
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      text: el ? spoken(el).trim() : '',
      label: el?.getAttribute('aria-label') ?? null,
      id: el?.id ?? '',
      inPicker: !!hostEl && (el === hostEl || hostEl.shadowRoot!.contains(el)),
    };
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  // Let CSS transitions (progress bars) settle, so the picture shows the state, not a frame of it.
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Throttles (or restores) the page's network over CDP. */
export async function throttle(cdp: CDPSession, uploadBytesPerSecond: number | null, offline = false): Promise<void> {
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: uploadBytesPerSecond ?? -1,
  });
}

/** Fetches a URL from Node (not the browser) and returns its bytes. */
export async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Deterministic bytes that compress badly (so sizes on the wire are what they seem). */
export function bytesOf(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** A real PNG (a colour gradient), so thumbnails have something to show. */
export function png(width = 48, height = 48): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = 40 + Math.round((x / width) * 200);
      raw[row + 2 + x * 3] = 90 + Math.round((y / height) * 120);
      raw[row + 3 + x * 3] = 220;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
