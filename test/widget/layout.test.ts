// The picker's layout in real Chromium, measured from bounding boxes: on a phone (390×844) the
// modal is a full-height sheet, the drop zone becomes a compact "add more" bar once files are
// chosen so the list gets the room, long names are cut in the middle and keep their extension,
// a touch-only phone is never told to "drop" or "paste", and the footer never squeezes the drop
// zone's border; on a laptop (1280×800) the dialog stays the centred 880×600 box with a large
// drop zone. Writes the picker's screenshots (light and dark, both sizes) to test-artifacts/widget/,
// or to $FERRY_SCREENSHOTS (`npm run screenshots` sets docs/screenshots).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, bytesOf, openPicker, picker, png, startHarness, type Harness, type PageOptions } from './harness.js';

const SHOTS = process.env.FERRY_SCREENSHOTS ? resolve(process.env.FERRY_SCREENSHOTS) : ARTIFACTS;
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(() => h?.close());

type Box = { x: number; y: number; width: number; height: number };
const box = async (l: Locator): Promise<Box> => (await l.boundingBox())!;
const bottom = (b: Box) => b.y + b.height;

/** A dozen files as a phone camera and a messenger name them. */
function someFiles() {
  const files = [{ name: 'IMG_20261201_093512_HDR_portrait_mode_final_version_for_the_album.jpg', mimeType: 'image/jpeg', buffer: png(40, 40) }];
  for (let i = 1; i < 12; i++) files.push({ name: `WhatsApp Document 2026-11-${10 + i} at 14.${10 + i}.0${i % 10} (${i}).pdf`, mimeType: 'application/pdf', buffer: bytesOf(1000 + i, i) });
  return files;
}

async function pickerPage(options: PageOptions, pickerOptions: Record<string, unknown> = { maxSize: 50_000_000 }): Promise<Page> {
  // Without the opening animation, boxes are measured where they come to rest.
  const page = await h.newPage({ reducedMotion: 'reduce', ...options });
  await openPicker(page, pickerOptions);
  return page;
}

/** How many of the list's rows are wholly visible in its scroll box. */
function visibleRows(page: Page): Promise<number> {
  return picker(page)
    .locator('.queue-wrap')
    .evaluate((wrap) => {
      const w = wrap.getBoundingClientRect();
      return Array.from(wrap.querySelectorAll('.item')).filter((li) => {
        const r = li.getBoundingClientRect();
        return r.top >= w.top - 0.5 && r.bottom <= w.bottom + 0.5;
      }).length;
    });
}

/** The drop zone's border is all there: not cut by its scroll box, not under the footer. */
async function expectWholeDropZone(page: Page): Promise<void> {
  const drop = await box(picker(page).locator('[data-drop]'));
  const pane = await box(picker(page).getByRole('tabpanel'));
  expect(drop.y).toBeGreaterThanOrEqual(pane.y - 0.5);
  expect(bottom(drop)).toBeLessThanOrEqual(bottom(pane) + 0.5);
  const foot = picker(page).locator('.foot');
  if (await foot.isVisible()) expect(bottom(drop)).toBeLessThanOrEqual((await box(foot)).y + 0.5);
  // Nothing inside it overflows its border box (a squeezed zone clips its own content).
  const overflow = await picker(page)
    .locator('[data-drop]')
    .evaluate((el) => el.scrollHeight - el.clientHeight);
  expect(overflow).toBeLessThanOrEqual(1);
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

describe('the picker on a phone (390×844)', () => {
  it('is a full-height sheet; once files are chosen the drop zone is a compact bar and the list shows many rows', async () => {
    const page = await pickerPage({ viewport: PHONE });
    const dialog = await box(picker(page).locator('.dialog'));
    expect(dialog).toEqual({ x: 0, y: 0, width: PHONE.width, height: PHONE.height });
    expect(await picker(page).locator('.dialog').evaluate((el) => getComputedStyle(el).borderRadius)).toBe('0px');
    // Before any file, the drop zone has the room.
    expect((await box(picker(page).locator('[data-drop]'))).height).toBeGreaterThan(300);
    await expectWholeDropZone(page);

    await picker(page).locator('input[type=file]').setInputFiles(someFiles());
    await picker(page).locator('.item').nth(11).waitFor();
    const bar = await box(picker(page).locator('[data-drop]'));
    expect(bar.height).toBeLessThanOrEqual(72);
    // The bar still adds files: its button says so, and it is still where files can be dropped.
    await expect.poll(() => picker(page).locator('[data-browse]').innerText()).toBe('Add more files');
    expect(await picker(page).locator('[data-drop] .drop-title').isVisible()).toBe(false);
    // Before: two and a half rows. The list now takes what the bar gave back.
    expect(await visibleRows(page)).toBeGreaterThanOrEqual(8);
    await expectWholeDropZone(page);
    // The list scrolls with a visible cue that there is more: a scrollbar is not drawn on touch.
    expect(await picker(page).locator('.queue-wrap').evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await page.close();
  });

  it('cuts long names in the middle, keeping the extension, and keeps the whole name for reading', async () => {
    const page = await pickerPage({ viewport: PHONE });
    const files = someFiles();
    await picker(page).locator('input[type=file]').setInputFiles(files);
    // What screen readers read, and the tooltip: the whole name.
    const name = picker(page).locator('.item .name').first();
    await name.waitFor({ state: 'attached' });
    expect(await name.textContent()).toBe(files[0]!.name);
    const cut = picker(page).locator('.item .name-cut').first();
    expect(await cut.getAttribute('title')).toBe(files[0]!.name);
    expect(await cut.getAttribute('aria-hidden')).toBe('true');
    // What is seen: the start shortened with an ellipsis, the end whole and inside the row.
    const parts = await cut.evaluate((el) => {
      const [start, end] = Array.from(el.children) as HTMLElement[];
      const box = el.getBoundingClientRect();
      const endBox = end!.getBoundingClientRect();
      return {
        startCut: start!.scrollWidth > start!.clientWidth + 1,
        end: end!.textContent,
        endInside: endBox.left >= box.left - 0.5 && endBox.right <= box.right + 0.5,
        endWhole: end!.scrollWidth <= end!.clientWidth + 1,
      };
    });
    expect(parts).toEqual({ startCut: true, end: 'album.jpg', endInside: true, endWhole: true });
    await page.close();
  });

  it('never squeezes the drop zone between the header, a message and the footer', async () => {
    // A short screen, a refused file (the message box) and one that cannot upload yet (the
    // footer's note): before, the zone's lower border was cut off under the message.
    for (const height of [520, 640]) {
      const page = await pickerPage({ viewport: { width: 390, height } }, { minFiles: 3, maxSize: 100, lang: 'fr' });
      await picker(page)
        .locator('input[type=file]')
        .setInputFiles([
          { name: 'one.bin', mimeType: 'application/octet-stream', buffer: bytesOf(10) },
          { name: 'big.bin', mimeType: 'application/octet-stream', buffer: bytesOf(1000) },
        ]);
      await picker(page).locator('.foot .note').waitFor();
      await picker(page).locator('.messages').waitFor();
      await expectWholeDropZone(page);
      await page.close();
    }
    // With no file chosen yet and a message, on the shortest screen.
    const page = await pickerPage({ viewport: { width: 390, height: 480 } }, { maxSize: 100 });
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'big.bin', mimeType: 'application/octet-stream', buffer: bytesOf(1000) }]);
    await picker(page).locator('.messages').waitFor();
    await expectWholeDropZone(page);
    await page.close();
  });

  it('tells a touch-only phone to choose files, never to drop or paste them', async () => {
    const page = await pickerPage({ touch: true });
    expect(await page.evaluate(() => matchMedia('(hover: none) and (pointer: coarse)').matches)).toBe(true);
    // "Dropbox" is a name, not an instruction.
    const words = () => picker(page).locator('.dialog').innerText();
    expect(await words()).not.toMatch(/\b(drop|paste)\b/i);
    expect(await picker(page).locator('[data-drop]').innerText()).toContain('Choose files from this device');
    await picker(page).locator('input[type=file]').setInputFiles(someFiles().slice(0, 3));
    await picker(page).locator('.item').nth(2).waitFor();
    expect(await words()).not.toMatch(/\b(drop|paste)\b/i);
    await page.close();

    // A phone with a mouse or a laptop is still told it can drop.
    const mouse = await pickerPage({ viewport: PHONE });
    expect(await picker(mouse).locator('[data-drop]').innerText()).toMatch(/Drop files here/);
    await mouse.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`screenshots at 390×844, ${scheme}`, async () => {
      const page = await pickerPage({ viewport: PHONE, colorScheme: scheme });
      await shoot(page, `phone-empty-${scheme}`);
      await picker(page).locator('input[type=file]').setInputFiles(someFiles());
      await picker(page).locator('.item').nth(11).waitFor();
      await shoot(page, `phone-files-${scheme}`);
      await page.close();
    });
  }
});

describe('the picker on a laptop (1280×800)', () => {
  it('stays the centred dialog with a large drop zone, before and after choosing files', async () => {
    const page = await pickerPage({ viewport: LAPTOP });
    const dialog = await box(picker(page).locator('.dialog'));
    expect([dialog.width, dialog.height]).toEqual([880, 600]);
    expect(Math.abs(dialog.x + dialog.width / 2 - LAPTOP.width / 2)).toBeLessThanOrEqual(1);
    expect(await picker(page).locator('[data-drop]').innerText()).toMatch(/Drop files here/);
    await picker(page).locator('input[type=file]').setInputFiles(someFiles().slice(0, 4));
    await picker(page).locator('.item').nth(3).waitFor();
    // With a few files the zone keeps its size and words on a wide screen; the list sits below it.
    const drop = await box(picker(page).locator('[data-drop]'));
    expect(drop.height).toBeGreaterThan(150);
    expect(await picker(page).locator('[data-drop] .drop-title').isVisible()).toBe(true);
    expect(await visibleRows(page)).toBe(4);
    await expectWholeDropZone(page);
    await page.close();
  });

  it('gives a long list the room the drop zone does not need, keeping the zone whole and its words', async () => {
    const page = await pickerPage({ viewport: LAPTOP });
    await picker(page).locator('input[type=file]').setInputFiles(someFiles());
    await picker(page).locator('.item').nth(11).waitFor();
    // Before: three and a half rows of twelve, under a zone as tall as with none chosen.
    expect(await visibleRows(page)).toBeGreaterThanOrEqual(5);
    expect(await picker(page).locator('[data-drop] .drop-title').isVisible()).toBe(true);
    expect(await picker(page).locator('[data-browse]').isVisible()).toBe(true);
    await expectWholeDropZone(page);
    // And on a short laptop screen, still whole, the list still showing rows.
    await page.setViewportSize({ width: 1280, height: 560 });
    await expectWholeDropZone(page);
    expect(await visibleRows(page)).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`screenshots at 1280×800, ${scheme}`, async () => {
      const page = await pickerPage({ viewport: LAPTOP, colorScheme: scheme });
      await shoot(page, `laptop-empty-${scheme}`);
      await picker(page).locator('input[type=file]').setInputFiles(someFiles().slice(0, 5));
      await picker(page).locator('.item').nth(4).waitFor();
      await shoot(page, `laptop-files-${scheme}`);
      await page.close();
    });
  }
});
