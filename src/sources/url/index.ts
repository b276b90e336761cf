// The link source: a file behind a plain http(s) URL. Every hop goes through the guarded
// connector, and redirects are followed here (at most five), each new location checked again
// exactly like the first. Ferry sends no cookies and no credentials to links; it asks for the
// bytes as they are (`Accept-Encoding: identity`) so lengths and ranges mean what they say.
import { FerryError } from '../../errors.js';
import { mediaType } from '../../file-names.js';
import { networkError, upstreamError } from '../errors.js';
import type { ByteRequest, RemoteFile, Source } from '../types.js';
import { checkLink, type Allowlist } from './address-policy.js';
import type { Connector } from './connector.js';

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const SOURCE = "The link's server";

export interface LinkSourceOptions {
  connector: Connector;
  allowlist: Allowlist;
}

export function linkSource(options: LinkSourceOptions): Source {
  const { connector, allowlist } = options;

  /** Sends the request, following redirects; returns the final answer and where it came from. */
  async function follow(
    start: string,
    method: 'GET' | 'HEAD',
    range: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ res: Response; url: URL }> {
    let url = checkLink(start, allowlist);
    for (let hop = 0; ; hop++) {
      const headers = new Headers({ accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'Ferry (file relay)' });
      if (range) headers.set('range', range);
      let res: Response;
      try {
        res = await connector.request(url, { method, headers, signal });
      } catch (e) {
        throw networkError(SOURCE, e);
      }
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || location === null) return { res, url };
      await res.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) {
        throw new FerryError('origin_failed', `The link redirected more than ${MAX_REDIRECTS} times.`);
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new FerryError('origin_failed', 'The link redirected to an invalid location.');
      }
      url = checkLink(next, allowlist);
    }
  }

  async function failure(res: Response): Promise<never> {
    await res.body?.cancel().catch(() => {});
    throw upstreamError({ source: SOURCE, status: res.status, retryAfter: res.headers.get('retry-after') });
  }

  return {
    name: 'url',
    title: 'Link',

    async metadata(_tokens, link, signal): Promise<RemoteFile> {
      let { res, url } = await follow(link, 'HEAD', undefined, signal);
      // Plenty of servers answer HEAD badly; a GET whose body we drop tells the same.
      if (res.status === 405 || res.status === 501 || res.status === 403) {
        ({ res, url } = await follow(link, 'GET', undefined, signal));
        await res.body?.cancel().catch(() => {});
      }
      if (res.status !== 200) await failure(res);
      const length = res.headers.get('content-length');
      const name = filenameFrom(res.headers.get('content-disposition')) ?? filenameFromPath(url) ?? url.hostname;
      return {
        id: link,
        name,
        kind: 'file',
        size: length !== null && /^\d{1,15}$/.test(length) ? Number(length) : null,
        type: mediaType(res.headers.get('content-type'), name),
        modifiedAt: httpDate(res.headers.get('last-modified')),
      };
    },

    async open(_tokens, link, request: ByteRequest): Promise<Response> {
      const { res } = await follow(link, 'GET', request.range, request.signal);
      if (res.status === 200 || res.status === 206) return res;
      if (res.status === 416 && request.range) {
        await res.body?.cancel().catch(() => {});
        const cr = res.headers.get('content-range');
        throw new FerryError('range_not_satisfiable', 'The origin cannot serve that range.', cr ? { 'content-range': cr } : {});
      }
      return failure(res);
    },
  };
}

/** The file name from a Content-Disposition header (RFC 6266: filename* wins over filename). */
export function filenameFrom(header: string | null): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*([^;]+)/i.exec(header)?.[1]?.trim();
  if (star) {
    const m = /^([\w!#$%&+^`{}~-]+)'[^']*'(.+)$/.exec(star);
    if (m && /^utf-8$/i.test(m[1]!)) {
      try {
        return safeName(decodeURIComponent(m[2]!));
      } catch {
        // fall through to filename=
      }
    }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;\s]+)/i.exec(header);
  if (plain) return safeName(plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1]!);
  return undefined;
}

function filenameFromPath(url: URL): string | undefined {
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (!last) return undefined;
  try {
    return safeName(decodeURIComponent(last));
  } catch {
    return safeName(last);
  }
}

/** A name from an origin, made acceptable to checkFilename: no paths, controls or overrides. */
export function safeName(raw: string): string | undefined {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\p{Bidi_Control}\u2028\u2029\ufeff\ufffd]/gu, '')
    .trim();
  if (!cleaned || cleaned === '.' || cleaned === '..') return undefined;
  let out = cleaned;
  while (new TextEncoder().encode(out).byteLength > 255) out = out.slice(0, -1);
  return out.trim() || undefined;
}

function httpDate(v: string | null): string | null {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
