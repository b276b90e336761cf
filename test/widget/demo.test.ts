// First run: `npm start` with nothing configured serves a page at `/` that opens the picker against
// this Ferry (the embedded "dev" app), lists what comes back and lets you download it. This test
// does what a newcomer does, in Chromium, and checks the page's Content-Security-Policy holds
// (a violation would show as a console error).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../../src/node.js';
import { ARTIFACTS, bytesOf, launchBrowser, picker } from './harness.js';

let ferry: RunningFerry;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ferry-demo-'));
  // Exactly `npm start`'s configuration: no FERRY_KEYS, no FERRY_APPS, the embedded store.
  ferry = await startFerry({ PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dataDir }, { log: () => {}, requestLog: () => {} });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await ferry?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('serves a demo page at / that uploads through this Ferry and downloads the file back', async () => {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  const response = await page.goto(ferry.url + '/');
  expect(response!.headers()['content-type']).toBe('text/html; charset=utf-8');
  const csp = response!.headers()['content-security-policy']!;
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
  expect(csp).not.toContain('unsafe-inline');
  expect(await page.locator('#snippet').textContent()).toContain(`<script src="${ferry.url}/picker.js"></script>`);
  await page.screenshot({ path: join(ARTIFACTS, '00-demo-page.png'), fullPage: true });

  await page.getByRole('button', { name: 'Pick files' }).click();
  await picker(page).getByRole('dialog', { name: 'Upload files' }).waitFor();
  const bytes = bytesOf(70_000, 21);
  await picker(page).locator('input[type=file]').setInputFiles([{ name: 'first file.bin', mimeType: 'application/octet-stream', buffer: bytes }]);
  await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
  await picker(page).getByRole('button', { name: 'Done' }).click();

  const link = page.getByRole('link', { name: 'first file.bin' });
  await link.waitFor();
  expect(await page.locator('#files tbody tr').first().textContent()).toContain('My Device');
  await page.screenshot({ path: join(ARTIFACTS, '00b-demo-page-after.png'), fullPage: true });
  const downloading = page.waitForEvent('download');
  await link.click();
  const file = await downloading;
  expect(file.suggestedFilename()).toBe('first file.bin');
  expect(readFileSync((await file.path())!)).toEqual(bytes);
  expect(problems).toEqual([]);
  await page.close();
});
