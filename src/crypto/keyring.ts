// Master keys (KEKs) by key id, from FERRY_KEYS = "kid:base64key,kid2:base64key". The first
// kid encrypts new files; every listed kid decrypts, which is how keys rotate: put the new kid in
// front, keep the old one until the files under it have expired, then drop it (and destroy it).
// Web APIs only (atob/btoa, crypto.getRandomValues): the Workers adapter parses the same string.
// Error messages say what is wrong and where, and never repeat a key (or anything that might be
// one, like a malformed kid).

export interface Keyring {
  /** The kid new objects are encrypted under. */
  readonly current: string;
  /** Every kid, `current` first. */
  readonly kids: readonly string[];
  /** A copy of the 32-byte key, or undefined for a kid not in the ring. */
  key(kid: string): Uint8Array | undefined;
}

export const KEK_SIZE = 32;
export const MAX_KID_LENGTH = 10;

/** 1–10 printable ASCII characters, without ':' and ','; no spaces. */
export function isValidKid(kid: string): boolean {
  return /^[\x21-\x2b\x2d-\x39\x3b-\x7e]{1,10}$/.test(kid);
}

function makeKeyring(entries: readonly (readonly [string, Uint8Array])[]): Keyring {
  const keys = new Map(entries.map(([kid, key]) => [kid, key.slice()] as const));
  const kids = Object.freeze(entries.map(([kid]) => kid));
  const ring: Keyring = {
    current: kids[0]!,
    kids,
    key: (kid) => keys.get(kid)?.slice(),
  };
  // Keys live in the closure; logging or serialising the ring shows kids only.
  Object.defineProperty(ring, 'toJSON', { value: () => ({ current: ring.current, kids }) });
  return Object.freeze(ring);
}

/** Parses FERRY_KEYS. Throws an Error naming the entry and the problem, never the key. */
export function parseKeyring(value: string): Keyring {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error('no keys: expected kid:base64key[,kid:base64key…] with 32-byte keys');
  }
  const parts = value.split(',');
  const entries: [string, Uint8Array][] = [];
  parts.forEach((raw, i) => {
    const where = parts.length > 1 ? `entry ${i + 1}: ` : '';
    const entry = raw.trim();
    if (entry === '') throw new Error(`${where}empty entry (stray comma?)`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${where}missing ':' between kid and key (expected kid:base64key)`);
    const kid = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!isValidKid(kid)) {
      throw new Error(
        `${where}kid must be 1–${MAX_KID_LENGTH} printable ASCII characters without ':', ',' or spaces ` +
          `(got ${kid.length} characters)`,
      );
    }
    const key = decodeBase64(encoded);
    if (!key) throw new Error(`${where}the key for kid "${kid}" is not valid base64`);
    if (key.length !== KEK_SIZE) {
      throw new Error(`${where}the key for kid "${kid}" is ${key.length} bytes; keys must be ${KEK_SIZE} bytes`);
    }
    if (entries.some(([k]) => k === kid)) throw new Error(`${where}kid "${kid}" appears more than once`);
    entries.push([kid, key]);
  });
  return makeKeyring(entries);
}

/** A ring of one fresh random key, for the embedded mode (which persists formatKeyring()). */
export function generateKeyring(kid: string = defaultKid(new Date())): Keyring {
  if (!isValidKid(kid)) throw new Error('kid must be 1–10 printable ASCII characters without ":", "," or spaces');
  return makeKeyring([[kid, crypto.getRandomValues(new Uint8Array(KEK_SIZE))]]);
}

/** "k" and the UTC date, e.g. k20261122: says when a generated key was made. */
function defaultKid(now: Date): string {
  return `k${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The FERRY_KEYS string for a ring: parseKeyring(formatKeyring(r)) is r. */
export function formatKeyring(ring: Keyring): string {
  return ring.kids.map((kid) => `${kid}:${encodeBase64(ring.key(kid)!)}`).join(',');
}

/** Standard base64 (padding optional); base64url accepted too. Null when malformed. */
function decodeBase64(s: string): Uint8Array | null {
  const std = s.replaceAll('-', '+').replaceAll('_', '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std) || std.replace(/=+$/, '').length % 4 === 1) return null;
  if (std.includes('=') && std.length % 4 !== 0) return null;
  try {
    const bin = atob(std);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function encodeBase64(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}
