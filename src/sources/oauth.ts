// The OAuth 2 authorization code flow (RFC 6749) as every cloud provider here runs it: the
// user goes to the authorization endpoint, the code comes back and is exchanged at the token
// endpoint with the client secret, and the refresh token buys new access tokens. What differs
// between providers is data, and each provider's folder states it as an OAuthFlow: whether it
// takes PKCE, its scopes, and the parameters its documentation adds (Dropbox's
// token_access_type=offline, Google's access_type=offline, Microsoft's scope on token requests).
// Whether refresh tokens rotate needs no flag: a new one in the answer replaces the old.
import { FerryError } from '../errors.js';
import { callJson, withQuery, type ProviderHttp } from './provider-http.js';
import { base64url } from './tokens.js';
import type { AccountSource, ProviderTokens } from './types.js';

/** A registered OAuth client and the provider's endpoints, as configured (registry.ts). */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
}

/** How one provider runs the flow. */
export interface OAuthFlow {
  /** Whether the provider takes PKCE (RFC 7636, S256); without it no challenge or verifier is sent. */
  pkce: boolean;
  scope: string;
  /** Authorization request parameters beyond RFC 6749's. */
  authorizeParams?: Record<string, string>;
  /** Token request parameters beyond RFC 6749's, sent with the code exchange and every refresh. */
  tokenParams?: Record<string, string>;
}

export type OAuthMethods = Pick<AccountSource, 'pkce' | 'authorizationUrl' | 'exchangeCode' | 'refresh'>;

/** The OAuth half of an AccountSource, for a provider that runs `flow`. */
export function oauthMethods(http: ProviderHttp, client: OAuthClient, flow: OAuthFlow): OAuthMethods {
  const credentials = { client_id: client.clientId, client_secret: client.clientSecret };
  return {
    pkce: flow.pkce,

    authorizationUrl({ redirectUri, state, codeChallenge }) {
      const challenge = flow.pkce ? codeChallenge : undefined;
      return withQuery(client.authUrl, {
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: flow.scope,
        state,
        ...flow.authorizeParams,
        code_challenge: challenge,
        code_challenge_method: challenge ? 'S256' : undefined,
      });
    },

    exchangeCode({ code, redirectUri, codeVerifier }) {
      return tokenRequest(http, client.tokenUrl, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        ...credentials,
        ...flow.tokenParams,
        code_verifier: flow.pkce ? codeVerifier : undefined,
      });
    },

    refresh(tokens) {
      if (!tokens.refresh) throw new FerryError('source_auth_expired', `The ${http.title} connection has expired; connect again.`);
      return tokenRequest(
        http,
        client.tokenUrl,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh, ...credentials, ...flow.tokenParams },
        tokens,
      );
    },
  };
}

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
}

/**
 * An RFC 6749 token request (form-encoded POST). For a refresh, `previous` keeps its refresh
 * token when the provider sends no new one; an `invalid_grant` answer to a refresh means the
 * grant is gone, which the client sees as source_auth_expired.
 */
async function tokenRequest(
  p: ProviderHttp,
  url: string,
  params: Record<string, string | undefined>,
  previous?: ProviderTokens,
): Promise<ProviderTokens> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  const refreshing = params.grant_type === 'refresh_token';
  const tp: ProviderHttp = {
    ...p,
    readError: (status, body, headers) => {
      const err = (body.json as { error?: unknown } | undefined)?.error;
      const detail = typeof err === 'string' ? err : undefined;
      if (status >= 500 || status === 429) return { detail };
      // A refused refresh means the user's grant is gone (reconnect); anything else, such as
      // invalid_client or a reused code, is the provider refusing Ferry, not an expired session.
      if (refreshing && (detail === 'invalid_grant' || detail === 'invalid_token')) return { kind: 'auth_expired', detail };
      return { kind: 'rejected', detail: detail ?? p.readError(status, body, headers).detail };
    },
  };
  const answer = await callJson<TokenAnswer>(tp, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  if (typeof answer.access_token !== 'string' || answer.access_token === '') {
    throw new FerryError('origin_failed', `${p.title} answered the token request without an access token.`);
  }
  const expiresIn = Number(answer.expires_in);
  const refresh = typeof answer.refresh_token === 'string' && answer.refresh_token ? answer.refresh_token : previous?.refresh;
  return {
    access: answer.access_token,
    ...(refresh ? { refresh } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: Math.floor(p.now().getTime() / 1000 + expiresIn) } : {}),
  };
}

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}
