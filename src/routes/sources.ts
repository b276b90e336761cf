// Remote sources over HTTP: which sources an app may use, Connect (the OAuth 2 round trip,
// ending in a page that hands a sealed account token to the widget by postMessage), and
// folder listings. No session is kept anywhere: the OAuth state and the account are sealed
// tokens (src/sources/tokens.ts) that only this deployment can open.
import { Hono, type Context } from 'hono';
import { originAllowed } from '../apps.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { FerryError } from '../errors.js';
import { publicBase } from '../http/base-url.js';
import { bearerToken } from '../http/bearer.js';
import { callbackPageCsp } from '../http/csp.js';
import { requireApp } from '../http/require-app.js';
import { accountSourceFor, appMayUse } from '../http/source-access.js';
import { pkcePair } from '../sources/oauth.js';
import { accountSource } from '../sources/registry.js';
import { STATE_TTL_SECONDS, openAccount, sealAccount, withFreshTokens } from '../sources/session.js';
import { TokenError, base64url, tokenSealer } from '../sources/tokens.js';
import type { Source } from '../sources/types.js';

type Env = AppEnv;

interface StatePayload {
  /** Source name. */
  s: string;
  /** The widget's origin, already checked against the app's origins. */
  o: string;
  /** Makes every state unique. */
  n: string;
  /** PKCE verifier, when the provider takes PKCE. */
  v?: string;
}

export function sourceRoutes(deps: RouteDeps): Hono<Env> {
  const { now, sources: registry } = deps;
  const sealer = tokenSealer(deps.keyring, now);
  const app = new Hono<Env>();

  app.get('/v1/sources', (c) => {
    const caller = requireApp(c);
    const sources = registry.all
      .filter((s) => appMayUse(caller, s.name))
      .map((s) => ({ name: s.name, title: s.title, account: s.name !== 'url' }));
    return c.json({ sources }, 200, { 'cache-control': 'no-store' });
  });

  app.get('/v1/connect/:provider', async (c) => {
    const caller = requireApp(c);
    const source = accountSourceFor(registry, caller, c.req.param('provider'));
    const origin = c.req.query('origin');
    if (!origin) throw new FerryError('bad_request', 'Send the widget page origin as ?origin=.');
    if (!originAllowed(caller, origin)) {
      throw new FerryError('origin_not_allowed', `The origin ${origin} is not allowed for this app.`);
    }
    const pkce = source.pkce ? await pkcePair() : undefined;
    const state = await sealer.seal<StatePayload>(
      'state',
      caller.name,
      { s: source.name, o: origin, n: base64url(crypto.getRandomValues(new Uint8Array(12))), v: pkce?.verifier },
      STATE_TTL_SECONDS,
    );
    const location = source.authorizationUrl({ redirectUri: redirectUri(c, source), state, codeChallenge: pkce?.challenge });
    return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } });
  });

  app.get('/v1/connect/:provider/callback', async (c) => {
    const provider = c.req.param('provider');
    const stateToken = c.req.query('state');
    // The app comes from the sealed state (providers call back without our key).
    let appName: string;
    let state: StatePayload;
    try {
      ({ app: appName, payload: state } = await openState(stateToken));
    } catch (e) {
      const expired = e instanceof TokenError && e.reason === 'expired';
      return callbackPage(c, undefined, {
        code: 'invalid_state',
        message: expired ? 'The connection took too long; start again.' : 'This connection link is not valid.',
      });
    }
    if (state.s !== provider) {
      return callbackPage(c, undefined, { code: 'invalid_state', message: 'This connection link is for another source.' });
    }
    const reply = (payload: { account: string; expiresAt: string } | { code: string; message: string }) =>
      callbackPage(c, { origin: state.o, provider }, payload);
    const source = accountSource(registry, provider);
    if (!source) return reply({ code: 'source_not_enabled', message: `${provider} is not enabled.` });
    const denied = c.req.query('error');
    if (denied !== undefined) {
      return reply({
        code: 'source_auth_denied',
        message: denied === 'access_denied' ? `Access to ${source.title} was not granted.` : `${source.title} did not grant access.`,
      });
    }
    const code = c.req.query('code');
    if (!code) return reply({ code: 'bad_request', message: `${source.title} sent no authorization code.` });
    try {
      const tokens = await source.exchangeCode({ code, redirectUri: redirectUri(c, source), codeVerifier: state.v });
      const account = await sealAccount(sealer, appName, source.name, tokens);
      const opened = await sealer.open('account', appName, account);
      return reply({ account, expiresAt: new Date(opened.expiresAt * 1000).toISOString() });
    } catch (e) {
      if (e instanceof FerryError) return reply({ code: e.code, message: e.message });
      throw e;
    }
  });

  app.get('/v1/sources/:provider/list', async (c) => {
    const caller = requireApp(c);
    const source = accountSourceFor(registry, caller, c.req.param('provider'));
    const tokens = await openAccount(sealer, caller.name, source.name, bearerToken(c.req.header('authorization')));
    const folder = c.req.query('folder') || undefined;
    const cursor = c.req.query('cursor') || undefined;
    const { result, tokens: fresh, refreshed } = await withFreshTokens(source, tokens, now, (t) =>
      source.list(t, { folder, cursor, signal: c.req.raw.signal }),
    );
    const body: { items: typeof result.items; cursor: string | null; account?: string } = { items: result.items, cursor: result.cursor };
    // Refreshed provider tokens come back as a new account token for the widget to keep.
    if (refreshed) body.account = await sealAccount(sealer, caller.name, source.name, fresh);
    return c.json(body, 200, { 'cache-control': 'no-store' });
  });

  async function openState(token: string | undefined) {
    if (!token) throw new TokenError('invalid');
    const opened = await sealer.open<StatePayload>('state', null, token);
    return { app: opened.app, payload: opened.payload };
  }

  function redirectUri(c: Context<Env>, source: Source): string {
    return `${publicBase(c, deps.config)}/v1/connect/${source.name}/callback`;
  }

  return app;
}

/**
 * The page the provider sends the popup back to. It posts one message to the window that
 * opened it, to the exact origin the app allowed (never "*"), then closes. The only script is
 * inline with a per-response nonce; the data sits in a JSON block with "<" escaped.
 */
function callbackPage(
  c: Context<Env>,
  target: { origin: string; provider: string } | undefined,
  result: { account: string; expiresAt: string } | { code: string; message: string },
): Response {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const isError = 'code' in result;
  const message = target
    ? {
        type: 'ferry:connect',
        provider: target.provider,
        ...(isError ? { error: { code: result.code, message: result.message } } : { account: result.account, expiresAt: result.expiresAt }),
      }
    : undefined;
  const data = JSON.stringify({ origin: target?.origin ?? null, message: message ?? null }).replace(/</g, '\\u003c');
  const text = isError ? escapeHtml(result.message) : 'Connected. You can close this window.';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry</title></head>
<body><p>${text}</p>
<script type="application/json" id="ferry-result">${data}</script>
<script nonce="${nonce}">
(function () {
  var r = JSON.parse(document.getElementById('ferry-result').textContent);
  if (r.origin && r.message && window.opener) {
    window.opener.postMessage(r.message, r.origin);
    window.close();
  }
})();
</script></body></html>
`;
  c.set('errorCode', isError ? result.code : undefined);
  return new Response(html, {
    status: target || !isError ? 200 : 400,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': callbackPageCsp(nonce),
      'cache-control': 'no-store',
    },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
