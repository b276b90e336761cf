// `?inline=1` in a real Chromium: the allowlisted types are shown by the browser's own viewers
// under Ferry's inline CSP (an image decodes, a sound's media page loads it, text is text), and
// HTML and SVG, even asked inline, are downloads whose script never runs. Header checks alone
// (test/api/files-suite.ts) cannot tell whether the CSP leaves the viewers working: Chromium's
// media page, for one, refetches the file under CORS from an opaque origin unless the sandbox
// keeps the origin.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFs, type Target } from '../helpers/targets.js';
import { launchBrowser, png } from '../widget/harness.js';
import { uploadRaw, type FileJson } from '../api/files-suite.js';

/** One second of 8 kHz 8-bit mono silence as a WAV file. */
function wav(): Uint8Array<ArrayBuffer> {
  const n = 8000;
  const b = Buffer.alloc(44 + n, 128);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write('data', 36);
  b.writeUInt32LE(n, 40);
  return new Uint8Array(b);
}

describe('?inline=1 in Chromium', () => {
  let t: Target;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const violations: string[] = [];
  beforeAll(async () => {
    t = await nodeFs();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|CORS/i.test(m.text())) violations.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function stored(bytes: Uint8Array<ArrayBuffer>, filename: string, type: string): Promise<FileJson> {
    const res = await uploadRaw(t.url, bytes, `filename=${filename}`, { 'content-type': type });
    expect(res.status).toBe(201);
    return (await res.json()) as FileJson;
  }

  it('shows an image, loads a sound in the media page and shows text, with no CSP or CORS refusal', async () => {
    const image = await stored(new Uint8Array(png(40, 30)), 'p.png', 'image/png');
    violations.length = 0;
    await page.goto(image.inlineUrl!);
    await expect.poll(() => page.evaluate(() => document.querySelector('img')?.naturalWidth ?? 0), { timeout: 10_000 }).toBe(40);

    const sound = await stored(wav(), 's.wav', 'audio/wav');
    await page.goto(sound.inlineUrl!);
    await expect
      .poll(() => page.evaluate(() => (document.querySelector('video, audio') as HTMLMediaElement | null)?.readyState ?? -1), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await page.evaluate(() => (document.querySelector('video, audio') as HTMLMediaElement).duration)).toBeCloseTo(1, 1);

    const text = await stored(new Uint8Array(Buffer.from('hello <b>not bold</b>\n')), 'n.txt', 'text/plain');
    await page.goto(text.inlineUrl!);
    expect(await page.evaluate(() => document.body.innerText.trim())).toBe('hello <b>not bold</b>');
    expect(await page.evaluate(() => document.querySelector('b'))).toBeNull();
    expect(violations).toEqual([]);
  });

  it('downloads HTML and SVG even asked inline, and runs none of their script', async () => {
    const script = '<script>document.title = "ran"; fetch("/ran")</script>';
    const html = await stored(new Uint8Array(Buffer.from(`<html><body>${script}</body></html>`)), 'h.html', 'text/html');
    const svg = await stored(
      new Uint8Array(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg">${script.replace('<script>', '<script><![CDATA[').replace('</script>', ']]></script>')}</svg>`)),
      'i.svg',
      'image/svg+xml',
    );
    for (const file of [html, svg]) {
      expect(file.inlineUrl).toBeUndefined();
      await page.goto('about:blank');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.goto(`${file.url}&inline=1`).catch(() => null)]);
      expect(download.suggestedFilename()).toBe(file.filename);
      await download.cancel();
      expect(page.url()).toBe('about:blank');
      expect(await page.title()).not.toBe('ran');
    }
  });
});
