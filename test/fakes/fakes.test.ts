// The fakes answer in the shapes the providers document, so tests against them mean something:
// raw requests, no Ferry code in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakes, type Fakes } from './server.js';

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(() => fakes?.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Dropbox fake', () => {
  const api = () => `${fakes.url}/dropbox/api/2/files`;
  const rpc = (path: string, token: string, arg: unknown) =>
    fetch(`${api()}${path}`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(arg) });

  it('pages list_folder with cursor and has_more, entries tagged by .tag', async () => {
    const { access } = fakes.providers.dropbox.oauth.grant();
    const docs = fakes.providers.dropbox.tree.byName('Documents');
    const first = (await (await rpc('/list_folder', access, { path: docs.id, limit: 100 })).json()) as { entries: { '.tag': string }[]; cursor: string; has_more: boolean };
    expect(first.entries).toHaveLength(100);
    expect(first.entries[0]!['.tag']).toBe('file');
    expect(first.has_more).toBe(true);
    const next = (await (await rpc('/list_folder/continue', access, { cursor: first.cursor })).json()) as { has_more: boolean };
    expect(next.has_more).toBe(true);
  });

  it('answers expired tokens, missing paths and rate limits as Dropbox does', async () => {
    const { access } = fakes.providers.dropbox.oauth.grant();
    fakes.providers.dropbox.oauth.expireAccessTokens();
    const expired = await rpc('/list_folder', access, { path: '' });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error_summary: 'expired_access_token/..', error: { '.tag': 'expired_access_token' } });
    const { access: fresh } = fakes.providers.dropbox.oauth.grant();
    const missing = await rpc('/get_metadata', fresh, { path: '/nope.txt' });
    expect(missing.status).toBe(409);
    expect(((await missing.json()) as { error_summary: string }).error_summary).toBe('path/not_found/..');
    fakes.providers.dropbox.rateLimitNext(1, '300');
    const limited = await rpc('/list_folder', fresh, { path: '' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('300');
    expect(await limited.json()).toMatchObject({ error: { reason: { '.tag': 'too_many_requests' }, retry_after: 300 } });
  });

  it('downloads with Dropbox-API-Arg, refusing non-ASCII header JSON, answering Dropbox-API-Result', async () => {
    const { access } = fakes.providers.dropbox.oauth.grant();
    const node = fakes.providers.dropbox.tree.byName('report.pdf');
    const ok = await fetch(`${fakes.url}/dropbox/content/2/files/download`, { method: 'POST', headers: { ...bearer(access), 'dropbox-api-arg': JSON.stringify({ path: node.id }), range: 'bytes=0-9' } });
    expect(ok.status).toBe(206);
    expect(JSON.parse(ok.headers.get('dropbox-api-result')!)).toMatchObject({ name: 'report.pdf', size: 100_000 });
    expect((await ok.arrayBuffer()).byteLength).toBe(10);
    const bad = await fetch(`${fakes.url}/dropbox/content/2/files/download`, { method: 'POST', headers: { ...bearer(access), 'dropbox-api-arg': Buffer.from('{"path":"/naïve"}').toString('latin1') } });
    expect(bad.status).toBe(400);
  });
});

describe('Google Drive fake', () => {
  it('lists with q, pageSize and nextPageToken, returning only the fields asked for', async () => {
    const { access } = fakes.providers['google-drive'].oauth.grant();
    const url = new URL(`${fakes.url}/google/api/drive/v3/files`);
    url.searchParams.set('q', "'root' in parents and trashed = false");
    url.searchParams.set('fields', 'nextPageToken,files(id,name)');
    url.searchParams.set('pageSize', '2');
    const page = (await (await fetch(url, { headers: bearer(access) })).json()) as { kind: string; nextPageToken: string; files: Record<string, string>[] };
    expect(page.kind).toBe('drive#fileList');
    expect(page.nextPageToken).toBeTruthy();
    expect(Object.keys(page.files[0]!).sort()).toEqual(['id', 'name']);
  });

  it('answers 401 authError and 403 userRateLimitExceeded in the documented error shape', async () => {
    const url = `${fakes.url}/google/api/drive/v3/files?q=${encodeURIComponent("'root' in parents and trashed = false")}`;
    const unauthorized = (await (await fetch(url, { headers: bearer('nope') })).json()) as { error: { code: number; errors: { reason: string }[]; status: string } };
    expect(unauthorized.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError', domain: 'global' }] });
    const { access } = fakes.providers['google-drive'].oauth.grant();
    fakes.providers['google-drive'].rateLimitNext();
    const limited = await fetch(url, { headers: bearer(access) });
    expect(limited.status).toBe(403);
    expect(((await limited.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]!.reason).toBe('userRateLimitExceeded');
  });
});

describe('Microsoft Graph fake', () => {
  it('pages children by absolute @odata.nextLink and redirects content to a pre-authenticated URL', async () => {
    const { access } = fakes.providers.onedrive.oauth.grant();
    const docs = fakes.providers.onedrive.tree.byName('Documents');
    const page = (await (await fetch(`${fakes.url}/microsoft/graph/v1.0/me/drive/items/${docs.id}/children?$top=50`, { headers: bearer(access) })).json()) as {
      value: unknown[];
      '@odata.nextLink': string;
    };
    expect(page.value).toHaveLength(50);
    expect(page['@odata.nextLink']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/microsoft\/graph\/v1\.0\/.*\$skiptoken=/);
    const node = fakes.providers.onedrive.tree.byName('report.pdf');
    const content = await fetch(`${fakes.url}/microsoft/graph/v1.0/me/drive/items/${node.id}/content`, { headers: bearer(access), redirect: 'manual' });
    expect(content.status).toBe(302);
    const location = content.headers.get('location')!;
    expect((await fetch(location, { headers: bearer(access) })).status).toBe(401);
    expect((await fetch(location)).status).toBe(200);
  });

  it('answers expired tokens with InvalidAuthenticationToken', async () => {
    const res = await fetch(`${fakes.url}/microsoft/graph/v1.0/me/drive/root/children`, { headers: bearer('expired') });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });
});

describe('Box fake', () => {
  it('pages folder items by marker and redirects content downloads', async () => {
    const { access } = fakes.providers.box.oauth.grant();
    const docs = fakes.providers.box.tree.byName('Documents');
    const page = (await (await fetch(`${fakes.url}/box/api/2.0/folders/${docs.id}/items?usemarker=true&limit=100&fields=id,type,name,size`, { headers: bearer(access) })).json()) as {
      entries: { type: string; size: number }[];
      next_marker: string | null;
    };
    expect(page.entries).toHaveLength(100);
    expect(page.entries[0]).toMatchObject({ type: 'file' });
    expect(page.next_marker).toBeTruthy();
    const node = fakes.providers.box.tree.byName('report.pdf');
    const content = await fetch(`${fakes.url}/box/api/2.0/files/${node.id}/content`, { headers: bearer(access), redirect: 'manual' });
    expect(content.status).toBe(302);
  });

  it('answers an invalid token with an empty 401 and a WWW-Authenticate challenge', async () => {
    const res = await fetch(`${fakes.url}/box/api/2.0/folders/0/items`, { headers: bearer('nope') });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.text()).toBe('');
  });
});

describe('OAuth fakes', () => {
  it('check PKCE verifiers and refuse reused codes', async () => {
    const oauth = fakes.providers.dropbox.oauth;
    const authorize = async (challenge: string) => {
      const u = new URL(`${fakes.url}/dropbox/oauth2/authorize`);
      for (const [k, v] of Object.entries({ client_id: 'dropbox-client', response_type: 'code', redirect_uri: 'http://127.0.0.1/cb', code_challenge: challenge, code_challenge_method: 'S256' })) u.searchParams.set(k, v);
      return new URL((await fetch(u, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    };
    const token = (code: string, verifier: string) =>
      fetch(`${fakes.url}/dropbox/api/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1/cb', client_id: 'dropbox-client', client_secret: 'dropbox-secret', code_verifier: verifier }),
      });
    // RFC 7636 appendix B example.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const code = await authorize(challenge);
    expect((await token(code, verifier)).status).toBe(200);
    expect(((await (await token(code, verifier)).json()) as { error: string }).error).toBe('invalid_grant');
    expect((await token(await authorize(challenge), 'wrong')).status).toBe(400);
    expect(oauth.tokenRequests.length).toBeGreaterThanOrEqual(3);
  });
});
