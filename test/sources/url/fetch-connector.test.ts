// The Workers connector: the platform resolves names, so the checks are on literal addresses
// and names before `fetch` is called. The fetch is injected and records what would be sent.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/errors.js';
import { fetchConnector } from '../../../src/sources/url/connector.js';
import { linkSource } from '../../../src/sources/url/index.js';

function recorder(answer: (url: string) => Response = () => new Response('ok')) {
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    return answer(url);
  };
  return { fetch, sent };
}

const get = { method: 'GET' as const, headers: new Headers() };

describe('fetch connector (Workers)', () => {
  it('refuses literal addresses and internal names before fetching', async () => {
    const { fetch, sent } = recorder();
    const connector = fetchConnector({ allowlist: [], fetch });
    for (const url of ['http://127.0.0.1/', 'http://169.254.169.254/latest/', 'http://[::ffff:10.0.0.1]/', 'http://0x7f.1/', 'http://localhost:8080/', 'http://metadata.google.internal/', 'http://nas/']) {
      const err = await connector.request(new URL(url), get).catch((e) => e);
      expect(err, url).toBeInstanceOf(FerryError);
      expect(err.code, url).toBe('blocked_address');
    }
    expect(sent).toEqual([]);
  });

  it('fetches public names without following redirects itself', async () => {
    const { fetch, sent } = recorder();
    const connector = fetchConnector({ allowlist: [], fetch });
    const res = await connector.request(new URL('https://files.example.com/a.pdf'), { method: 'GET', headers: new Headers({ range: 'bytes=0-9' }) });
    expect(await res.text()).toBe('ok');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://files.example.com/a.pdf');
    expect(sent[0]!.init.redirect).toBe('manual');
    expect(new Headers(sent[0]!.init.headers).get('range')).toBe('bytes=0-9');
  });

  it('checks every redirect hop of a link', async () => {
    const { fetch, sent } = recorder((url) =>
      url.startsWith('https://files.example.com')
        ? new Response(null, { status: 302, headers: { location: 'http://[fd00::1]/internal' } })
        : new Response('secret'),
    );
    const source = linkSource({ connector: fetchConnector({ allowlist: [], fetch }), allowlist: [] });
    const err = await source.open(undefined, 'https://files.example.com/start', {}).catch((e) => e);
    expect(err.code).toBe('blocked_address');
    expect(sent.map((s) => s.url)).toEqual(['https://files.example.com/start']);
  });

  it('lets allowlisted hosts through', async () => {
    const { fetch, sent } = recorder();
    const connector = fetchConnector({ allowlist: ['intranet.example:8443'], fetch });
    await connector.request(new URL('https://intranet.example:8443/x'), get);
    expect(sent).toHaveLength(1);
  });
});
