// What the Link pane accepts as a link and what it names the file until Ferry has looked: the
// pure half of widget/link-pane.ts, without a browser.
import { describe, expect, it } from 'vitest';
import { nameFromUrl, parseLink } from '../../widget/links.js';

describe('parseLink', () => {
  it('takes web links, adding https:// to a dotted name typed without a scheme', () => {
    const table: [string, string | undefined][] = [
      ['https://example.com/a.pdf', 'https://example.com/a.pdf'],
      ['http://example.com', 'http://example.com/'],
      ['  example.com/report.pdf  ', 'https://example.com/report.pdf'],
      ['EXAMPLE.com/x', 'https://example.com/x'],
      ['http://localhost:8080/f', 'http://localhost:8080/f'],
      ['http://[::1]/f', 'http://[::1]/f'],
      ['http://127.0.0.1/f', 'http://127.0.0.1/f'],
      ['sub_domain.example.org', 'https://sub_domain.example.org/'],
    ];
    for (const [raw, href] of table) expect([raw, parseLink(raw)?.href]).toEqual([raw, href]);
  });

  it('refuses what is not a web link: empty, spaces, other schemes, a bare word, odd hosts', () => {
    for (const raw of ['', '   ', 'hello', 'localhost', 'two words.com', 'ftp://example.com/a', 'javascript:alert(1)', 'file:///etc/passwd', 'data:text/plain,hi', 'mailto:a@example.com', 'https://exa mple.com', 'https://', 'http://a..b/']) {
      expect([raw, parseLink(raw)]).toEqual([raw, undefined]);
    }
  });
});

describe('nameFromUrl', () => {
  it('names the file from the last path segment, decoded, or from the host', () => {
    const table: [string, string][] = [
      ['https://example.com/files/report.pdf', 'report.pdf'],
      ['https://example.com/files/my%20report.pdf?x=1#y', 'my report.pdf'],
      ['https://example.com/dir/', 'dir'],
      ['https://example.com/', 'example.com'],
      ['https://example.com', 'example.com'],
      ['https://example.com/%E2%82%AC.txt', '€.txt'],
      // Not valid percent-encoding: kept as typed.
      ['https://example.com/100%.txt', '100%.txt'],
      ['https://example.com/%FF.bin', '%FF.bin'],
    ];
    for (const [url, name] of table) expect([url, nameFromUrl(new URL(url))]).toEqual([url, name]);
  });
});
