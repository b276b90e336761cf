// A user's provider session without a session store: the provider's tokens travel sealed in
// the account token (and inside pick handles), and are refreshed on the way through when they
// have expired or the provider says so. Shared by the browse and pick routes.
import { FerryError } from '../errors.js';
import { TokenError, type TokenSealer } from './tokens.js';
import type { AccountSource, ProviderTokens } from './types.js';

/** How long an account token opens: a week, or until the provider revokes the grant. */
export const ACCOUNT_TTL_SECONDS = 7 * 86_400;
/** How long the OAuth round trip may take. */
export const STATE_TTL_SECONDS = 10 * 60;
/** Refresh this long before the provider's stated expiry. */
const EXPIRY_SLACK_SECONDS = 60;

export interface AccountPayload {
  /** Source name. */
  s: string;
  t: ProviderTokens;
}

export function sealAccount(sealer: TokenSealer, app: string, source: string, tokens: ProviderTokens): Promise<string> {
  return sealer.seal<AccountPayload>('account', app, { s: source, t: tokens }, ACCOUNT_TTL_SECONDS);
}

/** The provider tokens inside an account token minted for this app and source. */
export async function openAccount(sealer: TokenSealer, app: string, source: string, token: string | undefined): Promise<ProviderTokens> {
  if (!token) throw new FerryError('invalid_account', `Send the ${source} account token from Connect.`);
  let payload: AccountPayload;
  try {
    ({ payload } = await sealer.open<AccountPayload>('account', app, token));
  } catch (e) {
    if (e instanceof TokenError && e.reason === 'expired') {
      throw new FerryError('source_auth_expired', `The ${source} connection has expired; connect again.`);
    }
    throw new FerryError('invalid_account', 'The account token is not valid for this app.');
  }
  if (payload?.s !== source || typeof payload.t?.access !== 'string') {
    throw new FerryError('invalid_account', `The account token is not a ${source} account.`);
  }
  return payload.t;
}

/**
 * Runs `call` with working tokens: refreshes first when the access token has expired, and
 * once more if the provider still answers source_auth_expired. Says whether the tokens
 * changed, so the caller can hand out a new account token.
 */
export async function withFreshTokens<T>(
  source: AccountSource,
  tokens: ProviderTokens,
  now: () => Date,
  call: (tokens: ProviderTokens) => Promise<T>,
): Promise<{ result: T; tokens: ProviderTokens; refreshed: boolean }> {
  let current = tokens;
  let refreshed = false;
  const nowSeconds = now().getTime() / 1000;
  if (current.refresh && current.expiresAt !== undefined && current.expiresAt - EXPIRY_SLACK_SECONDS <= nowSeconds) {
    current = await source.refresh(current);
    refreshed = true;
  }
  try {
    return { result: await call(current), tokens: current, refreshed };
  } catch (e) {
    if (!(e instanceof FerryError) || e.code !== 'source_auth_expired' || refreshed || !current.refresh) throw e;
    current = await source.refresh(current);
    return { result: await call(current), tokens: current, refreshed: true };
  }
}
