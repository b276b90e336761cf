// The pieces every provider fake shares: a folder tree of generated files (ids in the
// provider's own style), a small OAuth 2 authorization server (codes, PKCE S256 checks,
// expiring access tokens, refresh tokens that rotate or not as the provider documents), and
// providerFake(), which wires them to a request log, the switches tests use to make the next
// calls fail (429s, 500s, broken downloads) and the provider's own API routes. Each provider's
// file keeps only what is its own: ids, endpoints, answer and error shapes.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveBytes } from './content.js';

export interface FakeNode {
  id: string;
  name: string;
  kind: 'file' | 'folder';
  parent: string | null;
  size: number;
  seed: number;
  mimeType: string;
  modified: string;
  /** Provider-specific kinds Ferry must leave out (Google Docs, Box web links, OneNote…). */
  special?: string;
}

export interface TreeOptions {
  /** Size of "big.bin" in the root. */
  bigSize?: number;
  /** Files in "Documents", enough to need several pages. */
  manyFiles?: number;
}

const TYPES: Record<string, string> = { pdf: 'application/pdf', txt: 'text/plain', jpg: 'image/jpeg', bin: 'application/octet-stream' };

export class FakeTree {
  readonly nodes = new Map<string, FakeNode>();
  private counter = 0;
  constructor(
    readonly rootId: string,
    private readonly newId: (n: number) => string,
  ) {
    this.nodes.set(rootId, { id: rootId, name: '', kind: 'folder', parent: null, size: 0, seed: 0, mimeType: 'folder', modified: '2026-01-01T00:00:00Z' });
  }

  add(parent: string, name: string, kind: 'file' | 'folder', size = 0, special?: string): FakeNode {
    const n = ++this.counter;
    const ext = /\.([a-z]+)$/.exec(name)?.[1] ?? 'bin';
    const node: FakeNode = {
      id: this.newId(n),
      name,
      kind,
      parent,
      size: kind === 'file' ? size : 0,
      seed: 1000 + n,
      mimeType: kind === 'folder' ? 'folder' : (TYPES[ext] ?? 'application/octet-stream'),
      modified: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      special,
    };
    this.nodes.set(node.id, node);
    return node;
  }

  children(id: string): FakeNode[] {
    return [...this.nodes.values()].filter((n) => n.parent === id);
  }

  byName(name: string): FakeNode {
    const found = [...this.nodes.values()].find((n) => n.name === name);
    if (!found) throw new Error(`no fake node named ${name}`);
    return found;
  }

  /** The same files for every provider: a root with folders, small and big files. */
  populate(options: TreeOptions = {}): this {
    const docs = this.add(this.rootId, 'Documents', 'folder');
    for (let i = 1; i <= (options.manyFiles ?? 230); i++) this.add(docs.id, `note-${String(i).padStart(3, '0')}.txt`, 'file', 100 + i);
    const photos = this.add(this.rootId, 'Photos', 'folder');
    this.add(photos.id, 'beach.jpg', 'file', 50_000);
    this.add(this.rootId, 'report.pdf', 'file', 100_000);
    this.add(this.rootId, 'empty.txt', 'file', 0);
    this.add(this.rootId, 'naïve café.txt', 'file', 1234);
    this.add(this.rootId, 'big.bin', 'file', options.bigSize ?? 3 * 1024 * 1024 + 17);
    return this;
  }
}

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Access token lifetime (seconds). */
  accessTtl: number;
  /** Box: a refresh token works once. Microsoft: a new one comes back on every refresh. */
  refreshRotates: boolean;
  refreshSingleUse: boolean;
  /** Whether the token response repeats the refresh token on refresh. */
  refreshReturnsRefreshToken: boolean;
  /** Whether an authorization request gets a refresh token (Dropbox only with token_access_type=offline…). */
  offline: (query: URLSearchParams) => boolean;
  /** Extra fields of the provider's token answer. */
  extra?: (kind: 'code' | 'refresh') => Record<string, unknown>;
}

interface Code {
  redirectUri: string;
  challenge?: string;
  method?: string;
  offline: boolean;
  used: boolean;
}

/** A minimal RFC 6749 authorization server with RFC 7636 PKCE. */
export class FakeOAuth {
  private readonly codes = new Map<string, Code>();
  private readonly access = new Map<string, number>();
  private readonly refresh = new Map<string, boolean>();
  /** Authorization requests as received (query parameters). */
  readonly authorizeRequests: URLSearchParams[] = [];
  /** Token requests as received (form parameters). */
  readonly tokenRequests: URLSearchParams[] = [];
  /** When false, /authorize shows a consent page instead of approving at once. */
  autoApprove = true;

  constructor(readonly options: OAuthOptions) {}

  /** Handles the authorization endpoint; false when the request is not one. */
  authorize(_req: IncomingMessage, res: ServerResponse, url: URL, title: string): void {
    const q = url.searchParams;
    this.authorizeRequests.push(new URLSearchParams(q));
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== this.options.clientId || !redirectUri || q.get('response_type') !== 'code') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_request: unknown client, or missing redirect_uri');
      return;
    }
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (q.get('fake_decision') === 'deny') {
      back.searchParams.set('error', 'access_denied');
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (!this.autoApprove && q.get('fake_decision') !== 'allow') {
      const allow = new URL(url);
      allow.searchParams.set('fake_decision', 'allow');
      const deny = new URL(url);
      deny.searchParams.set('fake_decision', 'deny');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><meta charset="utf-8"><title>${title} (fake)</title><h1>${title} (loopback fake)</h1>` +
          `<p>Ferry asks to read your files (${escape(q.get('scope') ?? '')}).</p>` +
          `<p><a href="${escape(allow.pathname + allow.search)}">Allow</a> · <a href="${escape(deny.pathname + deny.search)}">Deny</a></p>`,
      );
      return;
    }
    const code = randomBytes(12).toString('base64url');
    this.codes.set(code, {
      redirectUri,
      challenge: q.get('code_challenge') ?? undefined,
      method: q.get('code_challenge_method') ?? undefined,
      offline: this.options.offline(q),
      used: false,
    });
    back.searchParams.set('code', code);
    res.writeHead(302, { location: back.href }).end();
  }

  /** Handles the token endpoint (form-encoded POST). */
  token(req: IncomingMessage, res: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    this.tokenRequests.push(form);
    const fail = (status: number, error: string, description: string) =>
      json(res, status, { error, error_description: description });
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) [clientId, clientSecret] = Buffer.from(basic[1]!, 'base64').toString().split(':') as [string, string];
    if (clientId !== this.options.clientId || clientSecret !== this.options.clientSecret) {
      return fail(401, 'invalid_client', 'The client credentials are not valid');
    }
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used) return fail(400, 'invalid_grant', 'The authorization code is invalid or has expired');
      code.used = true;
      if (form.get('redirect_uri') !== code.redirectUri) return fail(400, 'invalid_grant', 'redirect_uri mismatch');
      if (code.challenge) {
        const verifier = form.get('code_verifier') ?? '';
        const expected = code.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (expected !== code.challenge) return fail(400, 'invalid_grant', 'invalid code verifier');
      }
      return json(res, 200, this.issue(code.offline, 'code'));
    }
    if (grant === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      if (this.refresh.get(rt) !== true) return fail(400, 'invalid_grant', 'Refresh token has expired or been revoked');
      if (this.options.refreshSingleUse) this.refresh.set(rt, false);
      const answer = this.issue(this.options.refreshRotates, 'refresh');
      if (!this.options.refreshRotates && this.options.refreshReturnsRefreshToken) answer.refresh_token = rt;
      return json(res, 200, answer);
    }
    return fail(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  private issue(withRefresh: boolean, kind: 'code' | 'refresh'): Record<string, unknown> {
    const access = `at-${randomBytes(12).toString('base64url')}`;
    this.access.set(access, Date.now() + this.options.accessTtl * 1000);
    const answer: Record<string, unknown> = { access_token: access, token_type: 'bearer', expires_in: this.options.accessTtl, ...this.options.extra?.(kind) };
    if (withRefresh) {
      const rt = `rt-${randomBytes(12).toString('base64url')}`;
      this.refresh.set(rt, true);
      answer.refresh_token = rt;
    }
    return answer;
  }

  /** Mints tokens directly, as if a user had connected (for tests that skip the browser). */
  grant(): { access: string; refresh: string; expiresIn: number } {
    const t = this.issue(true, 'code');
    return { access: t.access_token as string, refresh: t.refresh_token as string, expiresIn: this.options.accessTtl };
  }

  /** "ok", "expired" or "invalid" for an Authorization header. */
  check(authorization: string | undefined): 'ok' | 'expired' | 'invalid' {
    const m = /^Bearer (.+)$/.exec(authorization ?? '');
    const until = m ? this.access.get(m[1]!) : undefined;
    if (until === undefined) return 'invalid';
    return until > Date.now() ? 'ok' : 'expired';
  }

  /** Every access and refresh token issued so far, for tests that check none leaks. */
  issuedTokens(): string[] {
    return [...this.access.keys(), ...this.refresh.keys()];
  }

  /** Every access token issued so far stops working (as after their lifetime). */
  expireAccessTokens(): void {
    for (const k of this.access.keys()) this.access.set(k, 0);
  }

  revokeRefreshTokens(): void {
    for (const k of this.refresh.keys()) this.refresh.set(k, false);
  }
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What every provider fake exposes to tests. */
export interface ProviderFake {
  readonly name: string;
  readonly oauth: FakeOAuth;
  readonly tree: FakeTree;
  readonly requests: LoggedRequest[];
  /** The next `count` API calls answer the provider's 429 with this Retry-After. */
  rateLimitNext(count?: number, retryAfter?: string): void;
  /** The next `count` API calls answer 500. */
  failNext(count?: number): void;
  /** Downloads break after this many body bytes (undefined: they complete). */
  failDownloadsAfter?: number;
  /** Called for every chunk written by downloads (bytes), to watch the origin's pace. */
  onDownloadWrite?: (bytes: number) => void;
  /** The Ferry variables that point at this fake. */
  env(base: string): Record<string, string>;
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL, body: string): void;
}

export type FakeRoute = (req: IncomingMessage, res: ServerResponse, path: string, url: URL, body: string) => void;

/** What one provider's fake says about itself; providerFake() does the rest. */
export interface ProviderFakeSpec {
  name: string;
  /** The provider as its consent page names it. */
  title: string;
  tree: FakeTree;
  oauth: OAuthOptions;
  /** The OAuth endpoints, below the provider's prefix on the fakes server. */
  authorizePath: string;
  tokenPath: string;
  env(base: string): Record<string, string>;
  /** How the provider answers an API call it refuses before reading it, in its own error shapes. */
  refuse: {
    rateLimited(res: ServerResponse, retryAfter: string): void;
    failed(res: ServerResponse): void;
    unauthorized(res: ServerResponse, token: 'expired' | 'invalid'): void;
  };
  /** The provider's API (everything but the OAuth endpoints), built on the shared helpers. */
  api(helpers: FakeApiHelpers): FakeRoute;
}

export interface FakeApiHelpers {
  /** The base URL the fakes are reached at, for the absolute links a provider hands out. */
  origin(req: IncomingMessage): string;
  /**
   * Whether an API call may go on: false when it has been answered already, with an injected
   * fault (rateLimitNext, failNext) or the provider's refusal of its bearer token.
   */
  authorized(req: IncomingMessage, res: ServerResponse): boolean;
  /** A file's bytes, Range honoured, with the provider's headers and the download switches applied. */
  sendFile(req: IncomingMessage, res: ServerResponse, node: FakeNode, headers: Record<string, string>): void;
}

/** A provider fake: its OAuth server, the request log, the failure switches and its API routes. */
export function providerFake(spec: ProviderFakeSpec): ProviderFake {
  const oauth = new FakeOAuth(spec.oauth);
  const requests: LoggedRequest[] = [];
  let rateLimited = 0;
  let retryAfter = '7';
  let failing = 0;
  let base = '';

  const fake: ProviderFake = {
    name: spec.name,
    oauth,
    tree: spec.tree,
    requests,
    rateLimitNext(count = 1, after = '7') {
      rateLimited = count;
      retryAfter = after;
    },
    failNext(count = 1) {
      failing = count;
    },
    env: (b) => {
      base = b;
      return spec.env(b);
    },
    handle(req, res, path, url, body) {
      requests.push({ method: req.method!, path, headers: req.headers });
      if (path === spec.authorizePath && req.method === 'GET') return oauth.authorize(req, res, url, spec.title);
      if (path === spec.tokenPath && req.method === 'POST') return oauth.token(req, res, body);
      api(req, res, path, url, body);
    },
  };

  const api = spec.api({
    origin: (req) => base || `http://${req.headers.host}`,
    authorized(req, res) {
      if (rateLimited > 0) {
        rateLimited--;
        spec.refuse.rateLimited(res, retryAfter);
        return false;
      }
      if (failing > 0) {
        failing--;
        spec.refuse.failed(res);
        return false;
      }
      const token = oauth.check(req.headers.authorization);
      if (token === 'ok') return true;
      spec.refuse.unauthorized(res, token);
      return false;
    },
    sendFile: (req, res, node, headers) =>
      serveBytes(req, res, node, headers, { failAfter: fake.failDownloadsAfter, onWrite: fake.onDownloadWrite }),
  });
  return fake;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
