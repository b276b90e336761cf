// How the link source reaches the network: one HTTP request at a time, redirects not followed
// (the link source follows them itself, re-checking each hop). A connector must refuse a
// destination the address policy forbids before any packet leaves for it.
//
// Two implementations: src/sources/url/node-connector.ts (Node: resolves the name itself and
// checks every address it resolves to, then dials exactly those) and `fetchConnector` below
// (Workers: the platform resolves names, so only literal addresses and names can be checked;
// Cloudflare's own egress cannot reach private networks anyway).
import { checkLink, type Allowlist } from './address-policy.js';

export interface ConnectorRequest {
  method: 'GET' | 'HEAD';
  headers: Headers;
  signal?: AbortSignal;
}

export interface Connector {
  /**
   * Sends one request to `url` and resolves with the origin's answer, body unread; 3xx answers
   * come back as they are. Throws FerryError `blocked_address` before dialling a refused
   * destination, and FerryError `origin_failed` when the origin cannot be reached.
   */
  request(url: URL, init: ConnectorRequest): Promise<Response>;
}

/** The platform `fetch` behind the same checks on literal addresses and names (Workers). */
export function fetchConnector(options: {
  allowlist: Allowlist;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}): Connector {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    async request(url, init) {
      const checked = checkLink(url, options.allowlist);
      return doFetch(checked.href, { method: init.method, headers: init.headers, redirect: 'manual', signal: init.signal });
    },
  };
}
