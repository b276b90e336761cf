// Every registered cloud provider against its loopback fake, through the one Source
// interface: the OAuth round trip (PKCE where the provider takes it), listing with pagination,
// metadata, byte ranges, and each kind of upstream failure normalised the same way.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src/errors.js';
import { pkcePair } from '../../src/sources/oauth.js';
import { accountSource, buildSources } from '../../src/sources/registry.js';
import type { AccountSource, ProviderTokens } from '../../src/sources/types.js';
import { sha256Of, slice } from '../fakes/content.js';
import type { ProviderFake } from '../fakes/fake-drive.js';
import { startFakes, type Fakes } from '../fakes/server.js';

const PROVIDERS = ['dropbox', 'google-drive', 'onedrive', 'box'] as const;
const MISSING: Record<(typeof PROVIDERS)[number], string> = {
  dropbox: 'id:doesNotExist1',
  'google-drive': 'doesNotExist1234567890',
  onedrive: '01NOPE000000',
  box: '999999999',
};

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(() => fakes?.close());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof FerryError ? e.code : String(e);
  }
}

function tokensFrom(fake: ProviderFake): ProviderTokens {
  const g = fake.oauth.grant();
  return { access: g.access, refresh: g.refresh, expiresAt: Math.floor(Date.now() / 1000) + g.expiresIn };
}

for (const name of PROVIDERS) {
  describe(`${name} source`, () => {
    let source: AccountSource;
    let fake: ProviderFake;
    beforeAll(() => {
      source = accountSource(buildSources(fakes.env()), name)!;
      fake = fakes.providers[name];
    });

    it('sends the user to the provider with read-only scopes, state and PKCE where supported', async () => {
      const pkce = source.pkce ? await pkcePair() : undefined;
      const url = new URL(source.authorizationUrl({ redirectUri: 'https://ferry.example/v1/connect/x/callback', state: 'S', codeChallenge: pkce?.challenge }));
      expect(url.searchParams.get('response_type')).toBe('code');
      expect(url.searchParams.get('state')).toBe('S');
      expect(url.searchParams.get('redirect_uri')).toBe('https://ferry.example/v1/connect/x/callback');
      expect(url.searchParams.get('client_id')).toBeTruthy();
      const scope = url.searchParams.get('scope') ?? '';
      expect(scope).toMatch(/read|readonly|Read/);
      expect(scope).not.toMatch(/write|Write|\.all\b/i);
      if (source.pkce) {
        expect(url.searchParams.get('code_challenge')).toBe(pkce!.challenge);
        expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      }
    });

    it('exchanges the code for tokens, checked against the verifier', async () => {
      const pkce = source.pkce ? await pkcePair() : undefined;
      const redirectUri = 'http://127.0.0.1/callback';
      const authorize = async () => {
        const res = await fetch(source.authorizationUrl({ redirectUri, state: 'S', codeChallenge: pkce?.challenge }), { redirect: 'manual' });
        expect(res.status).toBe(302);
        const back = new URL(res.headers.get('location')!);
        expect(back.searchParams.get('state')).toBe('S');
        return back.searchParams.get('code')!;
      };
      const tokens = await source.exchangeCode({ code: await authorize(), redirectUri, codeVerifier: pkce?.verifier });
      expect(tokens.access).toBeTruthy();
      expect(tokens.refresh).toBeTruthy();
      expect(tokens.expiresAt).toBeGreaterThan(Date.now() / 1000);
      expect((await source.list(tokens, {})).items.length).toBeGreaterThan(0);
      // The same code twice, or a code with the wrong verifier, gets nothing.
      const code = await authorize();
      if (source.pkce) {
        expect(await codeOf(source.exchangeCode({ code, redirectUri, codeVerifier: (await pkcePair()).verifier }))).toBe('origin_rejected');
      } else {
        await source.exchangeCode({ code, redirectUri });
        expect(await codeOf(source.exchangeCode({ code, redirectUri }))).toBe('origin_rejected');
      }
    });

    it('lists the root in the one item shape, leaving out what cannot be downloaded', async () => {
      const page = await source.list(tokensFrom(fake), {});
      const byName = Object.fromEntries(page.items.map((i) => [i.name, i]));
      expect(Object.keys(byName).sort()).toEqual(['Documents', 'Photos', 'big.bin', 'empty.txt', 'naïve café.txt', 'report.pdf']);
      for (const item of page.items) expect(Object.keys(item).sort()).toEqual(['id', 'kind', 'modifiedAt', 'name', 'size', 'type']);
      expect(byName.Documents).toMatchObject({ kind: 'folder', size: null, type: null });
      expect(byName['report.pdf']).toMatchObject({ kind: 'file', size: 100_000, type: 'application/pdf' });
      expect(byName['empty.txt']).toMatchObject({ kind: 'file', size: 0 });
      expect(Date.parse(byName['report.pdf']!.modifiedAt!)).not.toBeNaN();
      expect(page.cursor).toBeNull();
    });

    it('pages through a large folder with the cursor, every item once', async () => {
      const tokens = tokensFrom(fake);
      const docs = (await source.list(tokens, {})).items.find((i) => i.name === 'Documents')!;
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await source.list(tokens, { folder: docs.id, cursor });
        names.push(...page.items.map((i) => i.name));
        cursor = page.cursor ?? undefined;
        pages++;
      } while (cursor && pages < 20);
      expect(pages).toBeGreaterThan(1);
      expect(names).toHaveLength(230);
      expect(new Set(names).size).toBe(230);
    });

    it('describes one file and streams its bytes, whole or by range', async () => {
      const tokens = tokensFrom(fake);
      const node = fake.tree.byName('naïve café.txt');
      const meta = await source.metadata(tokens, node.id);
      expect(meta).toMatchObject({ id: node.id, name: 'naïve café.txt', kind: 'file', size: 1234 });
      const whole = await source.open(tokens, node.id, {});
      expect(whole.status).toBe(200);
      expect(createHash('sha256').update(new Uint8Array(await whole.arrayBuffer())).digest('hex')).toBe(sha256Of(node.seed, 1234));
      const part = await source.open(tokens, node.id, { range: 'bytes=1000-1099' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe('bytes 1000-1099/1234');
      expect(Buffer.from(await part.arrayBuffer()).equals(slice(node.seed, 1000, 1100))).toBe(true);
      expect(await codeOf(source.open(tokens, node.id, { range: 'bytes=5000-' }))).toBe('range_not_satisfiable');
    });

    it('never sends the bearer token anywhere but the API', async () => {
      const tokens = tokensFrom(fake);
      const node = fake.tree.byName('report.pdf');
      const before = fake.requests.length;
      await (await source.open(tokens, node.id, {})).arrayBuffer();
      const calls = fake.requests.slice(before);
      for (const r of calls) {
        if (/\/(download|dl)\//.test(r.path)) expect(r.headers.authorization, r.path).toBeUndefined();
        else expect(r.headers.authorization, r.path).toBe(`Bearer ${tokens.access}`);
      }
    });

    it('reports an expired token as source_auth_expired, and refreshing fixes it', async () => {
      const tokens = tokensFrom(fake);
      fake.oauth.expireAccessTokens();
      expect(await codeOf(source.list(tokens, {}))).toBe('source_auth_expired');
      const fresh = await source.refresh(tokens);
      expect(fresh.access).not.toBe(tokens.access);
      expect(fresh.refresh).toBeTruthy();
      expect((await source.list(fresh, {})).items.length).toBeGreaterThan(0);
    });

    it('reports a revoked grant on refresh as source_auth_expired', async () => {
      const tokens = tokensFrom(fake);
      fake.oauth.revokeRefreshTokens();
      expect(await codeOf(source.refresh(tokens))).toBe('source_auth_expired');
    });

    it('passes a rate limit on as 429 with the provider Retry-After', async () => {
      const tokens = tokensFrom(fake);
      fake.rateLimitNext(1, '13');
      const err = await source.list(tokens, {}).catch((e) => e);
      expect(err).toBeInstanceOf(FerryError);
      expect(err.status).toBe(429);
      expect(err.headers['retry-after']).toBe('13');
    });

    it('maps a provider failure to 502 and a missing file to 404', async () => {
      const tokens = tokensFrom(fake);
      fake.failNext(1);
      expect(await codeOf(source.list(tokens, {}))).toBe('origin_failed');
      expect(await codeOf(source.metadata(tokens, MISSING[name]))).toBe('origin_not_found');
      expect(await codeOf(source.open(tokens, MISSING[name], {}))).toBe('origin_not_found');
    });

    it('refuses ids that are not the provider kind of id before calling it', async () => {
      const before = fake.requests.length;
      expect(await codeOf(source.metadata(tokensFrom(fake), "x' or 1=1 or '../../etc"))).toBe('bad_request');
      expect(fake.requests.length).toBe(before);
    });
  });
}

describe('provider details', () => {
  it('Box refresh tokens work once; the new one must be used next', async () => {
    const box = accountSource(buildSources(fakes.env()), 'box')!;
    const first = tokensFrom(fakes.providers.box);
    const second = await box.refresh(first);
    expect(second.refresh).not.toBe(first.refresh);
    expect(await codeOf(box.refresh(first))).toBe('source_auth_expired');
    expect((await box.refresh(second)).access).toBeTruthy();
  });

  it('a provider refusing Ferry itself (wrong client secret) is 424, not an expired connection', async () => {
    for (const name of PROVIDERS) {
      const env = { ...fakes.env() };
      const prefix = name === 'google-drive' ? 'FERRY_GOOGLE_DRIVE' : `FERRY_${name.toUpperCase()}`;
      env[`${prefix}_CLIENT_SECRET`] = 'wrong';
      const source = accountSource(buildSources(env), name)!;
      expect(await codeOf(source.refresh(tokensFrom(fakes.providers[name]))), name).toBe('origin_rejected');
      expect(await codeOf(source.exchangeCode({ code: 'x', redirectUri: 'http://127.0.0.1/cb' })), name).toBe('origin_rejected');
    }
  });

  it('Google rate limits answered as 403 userRateLimitExceeded become 429', async () => {
    const drive = accountSource(buildSources(fakes.env()), 'google-drive')!;
    fakes.providers['google-drive'].rateLimitNext(1, '5');
    const err = await drive.list(tokensFrom(fakes.providers['google-drive']), {}).catch((e) => e);
    expect(err.code).toBe('rate_limited');
  });

  it('OneDrive page cursors may only point back at Graph', async () => {
    const onedrive = accountSource(buildSources(fakes.env()), 'onedrive')!;
    const tokens = tokensFrom(fakes.providers.onedrive);
    const before = fakes.providers.onedrive.requests.length;
    for (const cursor of ['https://evil.example/v1.0/me/drive/root/children', `${fakes.url}/dropbox/api/2/files/list_folder`, 'not a url']) {
      expect(await codeOf(onedrive.list(tokens, { cursor })), cursor).toBe('bad_request');
    }
    expect(fakes.providers.onedrive.requests.length).toBe(before);
  });

  it('Dropbox gets non-ASCII paths as header-safe JSON', async () => {
    const dropbox = accountSource(buildSources(fakes.env()), 'dropbox')!;
    const tokens = tokensFrom(fakes.providers.dropbox);
    const res = await dropbox.open(tokens, '/naïve café.txt', {});
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(1234);
    expect(fakes.providers.dropbox.requests.at(-1)!.headers['dropbox-api-arg']).toBe('{"path":"/na\\u00efve caf\\u00e9.txt"}');
  });
});

describe('configuration', () => {
  it('enables a provider only with both its client id and secret', () => {
    expect(buildSources({}).all.map((s) => s.name)).toEqual(['url']);
    expect(buildSources({ FERRY_BOX_CLIENT_ID: 'a', FERRY_BOX_CLIENT_SECRET: 'b' }).all.map((s) => s.name)).toEqual(['url', 'box']);
    expect(() => buildSources({ FERRY_BOX_CLIENT_ID: 'a' })).toThrow(/FERRY_BOX_CLIENT_SECRET/);
    expect(() => buildSources({ FERRY_DROPBOX_CLIENT_SECRET: 'a' })).toThrow(/FERRY_DROPBOX_CLIENT_ID/);
    expect(() => buildSources({ FERRY_ONEDRIVE_API_URL: 'https://graph.microsoft.us/v1.0' })).toThrow(/FERRY_ONEDRIVE_API_URL/);
  });

  it('takes base-URL overrides (sovereign clouds) and refuses bad ones', () => {
    const sources = buildSources({
      FERRY_ONEDRIVE_CLIENT_ID: 'a',
      FERRY_ONEDRIVE_CLIENT_SECRET: 'b',
      FERRY_ONEDRIVE_AUTH_URL: 'https://login.microsoftonline.us/common/oauth2/v2.0/authorize',
    });
    const url = accountSource(sources, 'onedrive')!.authorizationUrl({ redirectUri: 'https://f/cb', state: 's' });
    expect(url.startsWith('https://login.microsoftonline.us/common/oauth2/v2.0/authorize?')).toBe(true);
    expect(() => buildSources({ FERRY_BOX_CLIENT_ID: 'a', FERRY_BOX_CLIENT_SECRET: 'b', FERRY_BOX_API_URL: 'ftp://x' })).toThrow(/FERRY_BOX_API_URL/);
    expect(() => buildSources({ FERRY_BOX_CLIENT_ID: 'a', FERRY_BOX_CLIENT_SECRET: 'b', FERRY_BOX_API_URL: 'https://x/?a=1' })).toThrow(/FERRY_BOX_API_URL/);
  });
});
