// Sealed tokens: how remote sources keep state without any server-side session store. Three
// kinds, each under its own key so one can never be replayed as another:
//   state    the OAuth `state` round trip (app, widget origin, nonce, PKCE verifier), minutes
//   account  a user's provider tokens after Connect, handed to the widget, days
//   pick     one picked remote file (where it is, the tokens to fetch it), at most one day
//   upload   one upload session (src/uploads.ts: object, upload id, geometry), as long as its file
//   tus      one tus upload in progress (src/tus/tus-token.ts), until its file would expire
//
// token   = base64url( 0x01 || len(kid) || kid || nonce(24) || XChaCha20-Poly1305 ciphertext )
// key     = HKDF-SHA-256(IKM = KEK[kid], salt = "", info = "ferry/v1 sealed " || purpose, 32)
// AAD     = "ferry/v1 " || purpose || 0x00 || header (version, kid)
// payload = JSON {"a": app name, "e": expiry (unix seconds), "p": purpose-specific data}
//
// The kid in front means keys rotate like file keys: seal under the current kid, open under
// any kid still in the ring. Expiry and app are inside the ciphertext, so neither can be
// changed, and a token minted for one app opens for no other. Random 192-bit nonces make
// nonce reuse a non-issue at any volume.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { Keyring } from '../crypto/keyring.js';

export type TokenPurpose = 'state' | 'account' | 'pick' | 'upload' | 'tus';

const VERSION = 1;
const NONCE = 24;
const MAX_TOKEN_CHARS = 16 * 1024;

export class TokenError extends Error {
  constructor(readonly reason: 'invalid' | 'expired') {
    super(reason === 'expired' ? 'token expired' : 'token invalid');
    this.name = 'TokenError';
  }
}

export interface Opened<T> {
  payload: T;
  /** The app the token was sealed for. */
  app: string;
  /** Unix seconds. */
  expiresAt: number;
}

export interface TokenSealer {
  seal<T>(purpose: TokenPurpose, app: string, payload: T, ttlSeconds: number): Promise<string>;
  /**
   * Throws TokenError('invalid') for anything not sealed by us for `app`, ('expired') after
   * expiry. `app` null accepts any app (the OAuth callback learns its app from the state).
   */
  open<T>(purpose: TokenPurpose, app: string | null, token: string): Promise<Opened<T>>;
}

const encoder = new TextEncoder();

export function tokenSealer(keyring: Keyring, now: () => Date = () => new Date()): TokenSealer {
  const keys = new Map<string, Promise<Uint8Array>>();

  function keyFor(kid: string, purpose: TokenPurpose): Promise<Uint8Array> | undefined {
    const id = `${kid}\0${purpose}`;
    let key = keys.get(id);
    if (!key) {
      const kek = keyring.key(kid);
      if (!kek) return undefined;
      key = deriveKey(kek, purpose);
      keys.set(id, key);
    }
    return key;
  }

  return {
    async seal(purpose, app, payload, ttlSeconds) {
      const kid = keyring.current;
      const header = headerBytes(kid);
      const expiresAt = Math.floor(now().getTime() / 1000) + Math.max(1, Math.floor(ttlSeconds));
      const plaintext = encoder.encode(JSON.stringify({ a: app, e: expiresAt, p: payload }));
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE));
      const key = await keyFor(kid, purpose)!;
      const sealed = xchacha20poly1305(key, nonce, aad(purpose, header)).encrypt(plaintext);
      const out = new Uint8Array(header.length + NONCE + sealed.length);
      out.set(header, 0);
      out.set(nonce, header.length);
      out.set(sealed, header.length + NONCE);
      return base64url(out);
    },

    async open<T>(purpose: TokenPurpose, app: string | null, token: string): Promise<Opened<T>> {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) throw new TokenError('invalid');
      const bytes = fromBase64url(token);
      if (!bytes || bytes.length < 2 || bytes[0] !== VERSION) throw new TokenError('invalid');
      const kidLength = bytes[1]!;
      const headerLength = 2 + kidLength;
      if (kidLength === 0 || kidLength > 10 || bytes.length < headerLength + NONCE + 16) throw new TokenError('invalid');
      const kid = String.fromCharCode(...bytes.subarray(2, headerLength));
      const key = keyFor(kid, purpose);
      if (!key) throw new TokenError('invalid');
      let plaintext: Uint8Array;
      try {
        plaintext = xchacha20poly1305(
          await key,
          bytes.subarray(headerLength, headerLength + NONCE),
          aad(purpose, bytes.subarray(0, headerLength)),
        ).decrypt(bytes.subarray(headerLength + NONCE));
      } catch {
        throw new TokenError('invalid');
      }
      let body: { a?: unknown; e?: unknown; p?: unknown };
      try {
        body = JSON.parse(new TextDecoder().decode(plaintext));
      } catch {
        throw new TokenError('invalid');
      }
      if (typeof body.a !== 'string' || (app !== null && body.a !== app) || typeof body.e !== 'number') {
        throw new TokenError('invalid');
      }
      if (body.e <= now().getTime() / 1000) throw new TokenError('expired');
      return { payload: body.p as T, app: body.a, expiresAt: body.e };
    },
  };
}

async function deriveKey(kek: Uint8Array, purpose: TokenPurpose): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey('raw', kek as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(`ferry/v1 sealed ${purpose}`) },
    base,
    256,
  );
  return new Uint8Array(bits);
}

function headerBytes(kid: string): Uint8Array {
  const k = encoder.encode(kid);
  const h = new Uint8Array(2 + k.length);
  h[0] = VERSION;
  h[1] = k.length;
  h.set(k, 2);
  return h;
}

function aad(purpose: TokenPurpose, header: Uint8Array): Uint8Array {
  const p = encoder.encode(`ferry/v1 ${purpose}\0`);
  const out = new Uint8Array(p.length + header.length);
  out.set(p, 0);
  out.set(header, p.length);
  return out;
}

export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(s) || s.length % 4 === 1) return null;
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
