// The picker in real Chromium with remote sources and locked-down apps: a link pick whose bytes
// equal the origin's; each cloud provider through its loopback fake, the OAuth popup included
// (folders, breadcrumbs, pagination, multi-select, the account kept for the tab's session only);
// an app that requires signed policies; server error codes shown as sentences; and the other
// faces of the widget (inline, dark, French, a translation table, reduced motion).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPolicy } from '../../lib/policy.mjs';
import { slice } from '../fakes/content.js';
import { bytesOf, download, events, focused, openPicker, picker, shot, startHarness, waitForEvent, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** The bytes the fake serves for a file of its tree. */
function fakeBytes(provider: 'dropbox' | 'google-drive' | 'onedrive' | 'box', name: string): Buffer {
  const node = h.fakes.providers[provider].tree.byName(name);
  return slice(node.seed, 0, node.size);
}

describe('the picker with remote sources', () => {
  it('adds a link as a pick; Ferry streams the bytes from the origin, equal to them; bad links get sentences', async () => {
    const page = await h.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await openPicker(page);
    await picker(page).getByRole('tab', { name: 'Link' }).click();
    const input = picker(page).getByLabel('Link to a file');
    // Wide enough to read a URL in (a style clash once squeezed it to 16 px).
    expect((await input.boundingBox())!.width).toBeGreaterThan(300);
    await input.fill('not a link at all');
    await picker(page).getByRole('button', { name: 'Add link' }).click();
    expect(await picker(page).locator('#ferry-link-error').textContent()).toBe('Enter a web link that starts with http:// or https://.');
    expect(await input.getAttribute('aria-invalid')).toBe('true');

    const link = `${h.fakes.url}/origin/files/42/150000/annual%20report.pdf`;
    await input.fill(link);
    await input.press('Enter');
    // A link into a private network: Ferry refuses it before dialling anything.
    await input.fill('http://192.168.1.10/secret.txt');
    await input.press('Enter');
    await expect.poll(() => picker(page).locator('.item').count()).toBe(2);
    await shot(page, '11-link');
    await picker(page).getByRole('button', { name: 'Upload 2 files' }).click();
    const blocked = picker(page).locator('.item', { hasText: 'secret.txt' });
    await expect.poll(() => blocked.getAttribute('data-status')).toBe('failed');
    expect(await blocked.locator('.status').textContent()).toBe('That link points into a private network, which is not allowed.');
    const all = await waitForEvent(page, 'finished');
    const pick = all.find((e) => e.name === 'finished')!.args[0];
    expect(pick).toMatchObject({ source: 'url', filename: 'annual report.pdf', size: 150000, type: 'application/pdf' });
    expect(pick.url).toMatch(new RegExp(`^${h.ferry.url}/v1/picks/`));
    const before = h.fakes.origin.requests.filter((r) => r.method === 'GET').length;
    expect(await download(pick.url)).toEqual(slice(42, 0, 150000));
    // Fetched from the origin when downloaded: a pick is never stored.
    expect(h.fakes.origin.requests.filter((r) => r.method === 'GET').length).toBe(before + 1);
    await shot(page, '11b-link-done');
    await picker(page).getByRole('button', { name: 'Done' }).click();
    const done = (await events(page)).find((e) => e.name === 'done')!.args[0];
    expect(done.filesUploaded.map((f: { filename: string }) => f.filename)).toEqual(['annual report.pdf']);
    expect(done.filesFailed).toEqual([{ filename: 'secret.txt', size: null, type: 'text/plain', source: 'url', error: { code: 'blocked_address', message: 'That link points into a private network, which is not allowed.' } }]);
    // The widget brought nothing from elsewhere: only the page, Ferry, and blob: thumbnails.
    for (const url of requests) expect(url.startsWith(h.hostUrl) || url.startsWith(h.ferry.url) || url.startsWith('blob:')).toBe(true);
    await page.close();
  });

  it('connects Dropbox through the OAuth popup, browses folders and pages, picks several files; the account lasts for the tab only', async () => {
    const fake = h.fakes.providers.dropbox;
    fake.oauth.autoApprove = false;
    const page = await h.newPage();
    await openPicker(page);
    await picker(page).getByRole('tab', { name: 'Dropbox' }).click();
    await shot(page, '12-cloud-connect');
    const popupOpened = page.waitForEvent('popup');
    await picker(page).getByRole('button', { name: 'Connect Dropbox' }).click();
    const popup = await popupOpened;
    await popup.waitForLoadState();
    expect(await popup.title()).toBe('Dropbox (fake)');
    expect(await picker(page).locator('.connect').textContent()).toContain('Waiting for Dropbox');
    await shot(page, '13-cloud-waiting');
    await popup.screenshot({ path: 'test-artifacts/widget/13b-oauth-popup.png' });
    const popupClosed = popup.waitForEvent('close');
    await popup.getByText('Allow').click();
    await popupClosed;
    fake.oauth.autoApprove = true;

    const rows = picker(page).locator('.rows li');
    await expect.poll(() => picker(page).locator('.rows [data-row]').count()).toBe(6);
    expect(await rows.locator('.name').allTextContents()).toEqual(['Documents', 'Photos', 'report.pdf', 'empty.txt', 'naïve café.txt', 'big.bin']);
    await shot(page, '14-cloud-root');

    await picker(page).getByRole('button', { name: 'Documents' }).click();
    await expect.poll(() => picker(page).locator('.crumbs li').allTextContents()).toEqual(['Dropbox', 'Documents']);
    await expect.poll(() => picker(page).locator('.rows input[type=checkbox]').count()).toBe(200);
    await picker(page).getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => picker(page).locator('.rows input[type=checkbox]').count()).toBe(230);
    await picker(page).getByLabel('note-001.txt').check();
    await picker(page).getByLabel('note-230.txt').check();
    await shot(page, '15-cloud-folder');
    // Back to the top through the breadcrumbs; the selection survives.
    await picker(page).locator('.crumbs').getByRole('button', { name: 'Dropbox' }).click();
    await expect.poll(() => picker(page).locator('.rows [data-row]').count()).toBe(6);
    await picker(page).getByLabel('naïve café.txt').check();
    await picker(page).getByLabel('big.bin').check();
    await picker(page).getByRole('button', { name: 'Add 4 files' }).click();
    await expect.poll(() => picker(page).locator('.item').count()).toBe(4);
    await picker(page).getByRole('button', { name: 'Upload 4 files' }).click();
    const all = await waitForEvent(page, 'done');
    const done = all.find((e) => e.name === 'done')!.args[0];
    expect(done.filesFailed).toEqual([]);
    expect(done.filesUploaded.map((f: { filename: string }) => f.filename).sort()).toEqual(['big.bin', 'naïve café.txt', 'note-001.txt', 'note-230.txt']);
    for (const f of done.filesUploaded) {
      expect(f.source).toBe('dropbox');
      expect(await download(f.url)).toEqual(fakeBytes('dropbox', f.filename));
    }
    await shot(page, '16-cloud-done');

    // The account is remembered across a reload of the tab…
    await page.reload();
    await page.waitForFunction(() => typeof (window as unknown as { Ferry?: unknown }).Ferry === 'object');
    await openPicker(page);
    await picker(page).getByRole('tab', { name: 'Dropbox' }).click();
    await expect.poll(() => picker(page).locator('.rows [data-row]').count()).toBe(6);
    // …but not in another tab, and Sign out forgets it.
    const other = await h.newPage();
    await openPicker(other);
    await picker(other).getByRole('tab', { name: 'Dropbox' }).click();
    expect(await picker(other).getByRole('button', { name: 'Connect Dropbox' }).isVisible()).toBe(true);
    await other.close();
    await picker(page).getByRole('button', { name: 'Sign out' }).click();
    expect(await picker(page).getByRole('button', { name: 'Connect Dropbox' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('ferry:')))).toEqual([]);
    await page.close();
  });

  for (const [provider, title] of [
    ['google-drive', 'Google Drive'],
    ['onedrive', 'OneDrive'],
    ['box', 'Box'],
  ] as const) {
    it(`connects ${title} and picks a file from a subfolder; the bytes equal the fake's`, async () => {
      const page = await h.newPage();
      await openPicker(page);
      await picker(page).getByRole('tab', { name: title, exact: true }).click();
      const popupOpened = page.waitForEvent('popup');
      await picker(page).getByRole('button', { name: `Connect ${title}` }).click();
      await popupOpened;
      await picker(page).getByRole('button', { name: 'Photos' }).click();
      await picker(page).getByLabel('beach.jpg').check();
      await picker(page).getByRole('button', { name: 'Add 1 file' }).click();
      await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
      const done = (await waitForEvent(page, 'done')).find((e) => e.name === 'done')!.args[0];
      expect(done.filesUploaded[0]).toMatchObject({ source: provider, filename: 'beach.jpg', size: 50_000 });
      expect(await download(done.filesUploaded[0].url)).toEqual(fakeBytes(provider, 'beach.jpg'));
      await page.close();
    });
  }

  it('browses a cloud folder by keyboard: arrows move through the rows, Space selects, Enter opens', async () => {
    const page = await h.newPage();
    await openPicker(page);
    // From My Device: ArrowDown twice reaches Dropbox; Tab reaches Connect.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toMatchObject({ text: 'Dropbox' });
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ text: 'Connect Dropbox' });
    const popupOpened = page.waitForEvent('popup');
    await page.keyboard.press('Enter');
    await popupOpened;
    // Once connected, focus lands on the first row: the Documents folder.
    await expect.poll(async () => (await focused(page)).text).toBe('Documents');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toMatchObject({ text: 'Photos' });
    await page.keyboard.press('Enter');
    await expect.poll(() => picker(page).locator('.crumbs li').allTextContents()).toEqual(['Dropbox', 'Photos']);
    await expect.poll(async () => (await focused(page)).tag).toBe('input');
    await page.keyboard.press('Space');
    expect(await picker(page).getByLabel('beach.jpg').isChecked()).toBe(true);
    // One Tab leaves the list (only one row is in the Tab order) for "Add 1 file".
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ text: 'Add 1 file' });
    await page.keyboard.press('Enter');
    await expect.poll(() => picker(page).locator('.item').count()).toBe(1);
    await shot(page, '15b-cloud-keyboard');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ text: 'Upload 1 file' });
    await page.keyboard.press('Enter');
    const done = (await waitForEvent(page, 'done')).find((e) => e.name === 'done')!.args[0];
    expect(await download(done.filesUploaded[0].url)).toEqual(fakeBytes('dropbox', 'beach.jpg'));
    await page.close();
  });

  it('says when the user refuses access in the popup', async () => {
    const fake = h.fakes.providers.box;
    fake.oauth.autoApprove = false;
    const page = await h.newPage();
    await openPicker(page);
    await picker(page).getByRole('tab', { name: 'Box', exact: true }).click();
    const popupOpened = page.waitForEvent('popup');
    await picker(page).getByRole('button', { name: 'Connect Box' }).click();
    const popup = await popupOpened;
    await popup.getByText('Deny').click();
    fake.oauth.autoApprove = true;
    await expect.poll(() => picker(page).locator('.connect .error-text').textContent()).toBe(
      'Access was not granted, so there is nothing to show. Connect again to choose files.',
    );
    expect(await picker(page).getByRole('button', { name: 'Connect Box' }).isVisible()).toBe(true);
    await page.close();
  });
});

describe('locked-down apps and server errors', () => {
  it('needs a signed policy when the app requires one, and says so in words; with the policy, uploads and picks work', async () => {
    const page = await h.newPage();
    await openPicker(page, { key: 'locked-key' });
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7 signed') }]);
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    const failed = (await waitForEvent(page, 'failed')).find((e) => e.name === 'failed')!.args;
    expect(failed[1]).toEqual({ code: 'missing_policy', message: 'This site’s permission to upload is missing or has expired. Reload the page and try again.' });
    expect(await picker(page).locator('.item .status').textContent()).toBe(failed[1].message);
    await shot(page, '17-policy-missing');
    await picker(page).getByRole('button', { name: 'Close' }).click();

    const { policy, signature } = await signPolicy(h.apps.locked.secret, { call: ['store', 'pick'], expiresIn: 300 });
    await openPicker(page, { key: 'locked-key', policy, signature });
    const bytes = bytesOf(12_345, 11);
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'contract.bin', mimeType: 'application/octet-stream', buffer: bytes }]);
    await picker(page).getByRole('tab', { name: 'Link' }).click();
    await picker(page).getByLabel('Link to a file').fill(`${h.fakes.url}/origin/files/7/2048/terms.txt`);
    await picker(page).getByRole('button', { name: 'Add link' }).click();
    await picker(page).getByRole('button', { name: 'Upload 2 files' }).click();
    const done = (await waitForEvent(page, 'done')).find((e) => e.name === 'done')!.args[0];
    expect(done.filesFailed).toEqual([]);
    const byName = Object.fromEntries(done.filesUploaded.map((f: { filename: string }) => [f.filename, f]));
    expect(await download(byName['contract.bin'].url)).toEqual(bytes);
    expect(await download(byName['terms.txt'].url)).toEqual(slice(7, 0, 2048));

    // A signature that does not match is a sentence too.
    await picker(page).getByRole('button', { name: 'Done' }).click();
    await openPicker(page, { key: 'locked-key', policy, signature: '0'.repeat(64) });
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'x.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('x') }]);
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    expect((await waitForEvent(page, 'failed')).find((e) => e.name === 'failed')!.args[1].code).toBe('invalid_signature');
    await page.close();
  });

  it("turns the server's own limit into a sentence: a file over the app's size limit", async () => {
    const page = await h.newPage();
    await openPicker(page, { key: 'tiny-key' });
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'large.bin', mimeType: 'application/octet-stream', buffer: bytesOf(5000) }]);
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    await expect.poll(() => picker(page).locator('.item .status').textContent()).toBe('This file is larger than this site accepts.');
    expect((await events(page)).find((e) => e.name === 'failed')!.args[1].code).toBe('file_too_large');
    await shot(page, '18-server-limit');
    await page.close();
  });
});

describe('other faces of the widget', () => {
  it('renders inline in a container, in French, in dark mode', async () => {
    const page = await h.newPage({ colorScheme: 'dark' });
    await openPicker(page, { container: '#inline', lang: 'fr', sources: ['local', 'url', 'dropbox'] });
    const region = picker(page).getByRole('region', { name: 'Envoyer des fichiers' });
    expect(await region.isVisible()).toBe(true);
    expect(await picker(page).locator('.backdrop').count()).toBe(0);
    expect(await picker(page).getByRole('dialog').count()).toBe(0);
    await expect.poll(() => picker(page).getByRole('tab').allTextContents()).toEqual(['Mon appareil', 'Lien', 'Dropbox']);
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'photo.txt', mimeType: 'text/plain', buffer: Buffer.from('bonjour') }]);
    expect(await picker(page).getByRole('button', { name: 'Envoyer 1 fichier' }).isVisible()).toBe(true);
    expect(await picker(page).locator('.item .sub').textContent()).toMatch(/^7\socte\w*·Prêt à envoyer$/u);
    // Dark colours come from the user's setting, inside the shadow root.
    const background = await picker(page).locator('.dialog').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(26, 29, 34)');
    await shot(page, '19-inline-dark-fr');
    await picker(page).getByRole('button', { name: 'Envoyer 1 fichier' }).click();
    await waitForEvent(page, 'done');
    await page.close();
  });

  it('takes a translation table, and honours reduced motion', async () => {
    const page = await h.newPage({ reducedMotion: 'reduce' });
    await openPicker(page, { lang: 'eo', translations: { eo: { title: 'Alŝuti dosierojn', browse: 'Foliumi' } } });
    expect(await picker(page).locator('h2').textContent()).toBe('Alŝuti dosierojn');
    expect(await picker(page).getByRole('button', { name: 'Foliumi' }).isVisible()).toBe(true);
    // Untranslated texts fall back to English.
    expect(await picker(page).getByRole('tab', { name: 'My Device' }).isVisible()).toBe(true);
    expect(await picker(page).locator('.dialog').evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
    await page.close();

    const moving = await h.newPage({ colorScheme: 'dark' });
    await openPicker(moving);
    expect(await picker(moving).locator('.dialog').evaluate((el) => getComputedStyle(el).animationName)).toBe('rise');
    await shot(moving, '20-modal-dark');
    // On a phone-sized screen the sources become a row of tabs above the pane.
    await moving.setViewportSize({ width: 390, height: 740 });
    await picker(moving).locator('input[type=file]').setInputFiles([{ name: 'a-rather-long-file-name-from-a-phone-camera.jpg', mimeType: 'image/jpeg', buffer: bytesOf(2_500_000) }]);
    const tabsBox = (await picker(moving).getByRole('tablist').boundingBox())!;
    const paneBox = (await picker(moving).getByRole('tabpanel').boundingBox())!;
    expect(tabsBox.y + tabsBox.height).toBeLessThanOrEqual(paneBox.y + 1);
    await shot(moving, '21-phone-dark');
    await moving.close();
  });
});
