// The one contract every remote source implements, and the one list-item shape every provider's
// listing is mapped to. A source speaks its provider's own HTTP API through an injected `fetch`
// (or, for links, an injected guarded connector) and returns Web `Response`s whose bodies are
// streamed straight through to the client: nothing here buffers file bytes or stores them.
// Errors are thrown as FerryError, already normalised by ./errors.ts.

// The source names and the list-item shape are wire types, shared with the widget: they live in
// ../wire.ts and are re-exported here so the sources keep one place to import their contract from.
import type { AccountSourceName, ListItem, SourceName } from '../wire.js';

export { SOURCE_NAMES, type AccountSourceName, type ListItem, type SourceName } from '../wire.js';

export interface ListPage {
  items: ListItem[];
  /** Opaque: pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
}

/** What a source knows about one file before its bytes are fetched: the same facts a listing shows. */
export type RemoteFile = ListItem;

/** A provider's OAuth tokens; they only ever travel sealed (src/sources/tokens.ts). */
export interface ProviderTokens {
  access: string;
  refresh?: string;
  /** Unix seconds when `access` stops working, when the provider says. */
  expiresAt?: number;
}

export interface ByteRequest {
  /** The client's `Range` header, passed through unchanged. */
  range?: string;
  signal?: AbortSignal;
}

/** What every source can do: describe a file and open its bytes. */
export interface Source {
  readonly name: SourceName;
  /** Shown by the widget. */
  readonly title: string;
  /**
   * Metadata of one file (`id` is the provider's id, or the URL for links). Throws the
   * normalised FerryError when the provider refuses.
   */
  metadata(tokens: ProviderTokens | undefined, id: string, signal?: AbortSignal): Promise<RemoteFile>;
  /**
   * The file's bytes as the origin answered (200, or 206 for a range), body unread. Throws
   * the normalised FerryError for any other answer.
   */
  open(tokens: ProviderTokens | undefined, id: string, request: ByteRequest): Promise<Response>;
}

/** A source behind a user's account at a provider, reached through OAuth 2. */
export interface AccountSource extends Source {
  readonly name: AccountSourceName;
  /** Whether the provider supports PKCE (RFC 7636, S256). */
  readonly pkce: boolean;
  authorizationUrl(params: { redirectUri: string; state: string; codeChallenge?: string }): string;
  exchangeCode(params: { code: string; redirectUri: string; codeVerifier?: string }): Promise<ProviderTokens>;
  /** New tokens from `tokens.refresh`; keeps the old refresh token when the provider sends none. */
  refresh(tokens: ProviderTokens): Promise<ProviderTokens>;
  /** One page of a folder; `folder` undefined or "" is the root. */
  list(tokens: ProviderTokens, params: { folder?: string; cursor?: string; signal?: AbortSignal }): Promise<ListPage>;
}

export function isAccountSource(s: Source): s is AccountSource {
  return s.name !== 'url';
}

/** `fetch` as the sources use it; injected so tests reach loopback fakes. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
