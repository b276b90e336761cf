// Which network destinations a picked link may reach. Pure functions over strings and bytes,
// shared by the Node connector (which checks every address a name resolves to, at connect
// time) and the Workers connector (which can only check literal addresses and names).
//
// The rule: only public unicast addresses. Refused, with the range named in the message:
// loopback, RFC 1918 private, link-local (cloud metadata lives at 169.254.169.254), CGNAT,
// multicast, reserved and documentation ranges, "this network"/unspecified, IPv6 unique-local
// and site-local, and every IPv6 form that carries an IPv4 address (mapped, compatible,
// translated, NAT64, 6to4) when the IPv4 address inside is refused. IPv4 written in decimal,
// octal or hex (2130706433, 0177.0.0.1, 0x7f.1) is read the way inet_aton reads it, so it
// cannot slip past as a "name". Hosts on FERRY_URL_ALLOWLIST skip all of this.
import { FerryError } from '../../errors.js';

interface Range4 {
  base: number;
  bits: number;
  why: string;
}

const V4_BLOCKED: Range4[] = (
  [
    ['0.0.0.0/8', '"this network" (0.0.0.0/8)'],
    ['10.0.0.0/8', 'private (10.0.0.0/8)'],
    ['100.64.0.0/10', 'shared carrier-grade NAT (100.64.0.0/10)'],
    ['127.0.0.0/8', 'loopback (127.0.0.0/8)'],
    ['169.254.0.0/16', 'link-local, where cloud metadata services live (169.254.0.0/16)'],
    ['172.16.0.0/12', 'private (172.16.0.0/12)'],
    ['192.0.0.0/24', 'IETF protocol assignments (192.0.0.0/24)'],
    ['192.0.2.0/24', 'documentation (192.0.2.0/24)'],
    ['192.31.196.0/24', 'AS112 (192.31.196.0/24)'],
    ['192.52.193.0/24', 'AMT (192.52.193.0/24)'],
    ['192.88.99.0/24', '6to4 relay anycast (192.88.99.0/24)'],
    ['192.168.0.0/16', 'private (192.168.0.0/16)'],
    ['192.175.48.0/24', 'AS112 (192.175.48.0/24)'],
    ['198.18.0.0/15', 'benchmarking (198.18.0.0/15)'],
    ['198.51.100.0/24', 'documentation (198.51.100.0/24)'],
    ['203.0.113.0/24', 'documentation (203.0.113.0/24)'],
    ['224.0.0.0/4', 'multicast (224.0.0.0/4)'],
    ['240.0.0.0/4', 'reserved or broadcast (240.0.0.0/4)'],
  ] as const
).map(([cidr, why]) => {
  const [addr, bits] = cidr.split('/');
  return { base: parseIPv4(addr!)!, bits: Number(bits), why };
});

interface Range6 {
  prefix: Uint8Array;
  bits: number;
  why: string;
}

const V6_BLOCKED: Range6[] = (
  [
    ['64:ff9b:1::/48', 'local-use NAT64 (64:ff9b:1::/48)'],
    ['100::/64', 'discard-only (100::/64)'],
    ['2001::/23', 'IETF protocol assignments, Teredo included (2001::/23)'],
    ['2001:db8::/32', 'documentation (2001:db8::/32)'],
    ['3fff::/20', 'documentation (3fff::/20)'],
    ['5f00::/16', 'SRv6 SIDs (5f00::/16)'],
    ['fc00::/7', 'unique local (fc00::/7)'],
    ['fe80::/10', 'link-local (fe80::/10)'],
    ['fec0::/10', 'site-local (fec0::/10)'],
    ['ff00::/8', 'multicast (ff00::/8)'],
  ] as const
).map(([cidr, why]) => {
  const [addr, bits] = cidr.split('/');
  return { prefix: parseIPv6(addr!)!, bits: Number(bits), why };
});

/** Strict dotted-quad IPv4 ("1.2.3.4") to an unsigned 32-bit number, or null. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return null;
    const v = Number(part);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/**
 * IPv4 as inet_aton (and the WHATWG URL parser) read it: one to four parts, each decimal,
 * octal (leading 0) or hex (0x); the last part fills the remaining bytes. Null when `s` is not
 * such a number (then it is a name).
 */
export function parseIPv4Loose(s: string): number | null {
  const text = s.endsWith('.') ? s.slice(0, -1) : s;
  const parts = text.split('.');
  if (parts.length === 0 || parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0x[0-9a-f]*$/i.test(p)) v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) v = parseInt(p.slice(1), 8);
    else if (/^(0|[1-9]\d*)$/.test(p)) v = Number(p);
    else return null;
    if (!Number.isFinite(v)) return null;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return null;
  if (last >= 256 ** (4 - values.length)) return null;
  let n = 0;
  values.forEach((v, i) => (n += v * 256 ** (3 - i)));
  return n + last;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPv6 text (brackets allowed, embedded IPv4 tail allowed, no zone id) to 16 bytes, or null. */
export function parseIPv6(input: string): Uint8Array | null {
  let s = input;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':') || s.includes('%')) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    const before = s.slice(0, lastColon + 1);
    s = before.endsWith('::') ? before : s.slice(0, lastColon);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const groups: number[] = [];
  for (const g of [...head, ...rest]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    groups.push(parseInt(g, 16));
  }
  const total = groups.length + tail.length;
  if (halves.length === 1 && total !== 8) return null;
  if (halves.length === 2 && total > 7) return null;
  const words = [
    ...head.map((g) => parseInt(g, 16)),
    ...new Array(8 - total).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
    ...tail,
  ];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >>> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

function inRange6(addr: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((addr[byte]! & mask) !== (prefix[byte]! & mask)) return false;
  }
  return true;
}

function v4At(addr: Uint8Array, offset: number): number {
  return ((addr[offset]! << 24) >>> 0) + (addr[offset + 1]! << 16) + (addr[offset + 2]! << 8) + addr[offset + 3]!;
}

/** Why an IPv4 address is refused, or null when it is public unicast. */
export function refusedIPv4(n: number): string | null {
  for (const r of V4_BLOCKED) {
    const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
    if (((n & mask) >>> 0) === ((r.base & mask) >>> 0)) return r.why;
  }
  return null;
}

/** Why an IPv6 address is refused, or null when it is public unicast. */
export function refusedIPv6(a: Uint8Array): string | null {
  const zero = (from: number, to: number) => a.subarray(from, to).every((b) => b === 0);
  if (zero(0, 16)) return 'unspecified (::)';
  if (zero(0, 15) && a[15] === 1) return 'loopback (::1)';
  const embedded = (form: string, offset: number) => {
    const v4 = v4At(a, offset);
    const why = refusedIPv4(v4);
    return why ? `${form} of ${formatIPv4(v4)}, ${why}` : null;
  };
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), ::ffff:0:a.b.c.d (translated)
  if (zero(0, 10) && a[10] === 0xff && a[11] === 0xff) return embedded('the IPv4-mapped form', 12);
  if (zero(0, 12)) return embedded('the IPv4-compatible form', 12) ?? 'IPv4-compatible (::/96, deprecated)';
  if (zero(0, 8) && a[8] === 0xff && a[9] === 0xff && zero(10, 12)) return embedded('the IPv4-translated form', 12);
  // 64:ff9b::/96 well-known NAT64 prefix: the gateway would dial the IPv4 inside.
  if (inRange6(a, WELL_KNOWN_NAT64, 96)) return embedded('the NAT64 form', 12);
  for (const r of V6_BLOCKED) if (inRange6(a, r.prefix, r.bits)) return r.why;
  // 2002::/16 6to4: the IPv4 address sits in bytes 2..5.
  if (a[0] === 0x20 && a[1] === 0x02) return embedded('the 6to4 form', 2);
  if ((a[0]! & 0xe0) !== 0x20) return 'reserved (outside global unicast 2000::/3)';
  return null;
}

const WELL_KNOWN_NAT64 = parseIPv6('64:ff9b::')!;

/** Why an IP literal (either family, any IPv4 spelling) is refused; null when allowed. */
export function refusedAddress(ip: string): string | null {
  const v6 = parseIPv6(ip);
  if (v6) return refusedIPv6(v6);
  const v4 = parseIPv4Loose(ip);
  if (v4 !== null) return refusedIPv4(v4);
  return 'not an IP address';
}

/** Names that never lead anywhere public (RFC 6761, 6762, 8375, and the usual intranet suffixes). */
export function refusedName(hostname: string): string | null {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'a loopback name (localhost)';
  for (const suffix of ['.local', '.internal', '.home.arpa', '.localdomain', '.lan', '.intranet', '.corp']) {
    if (name.endsWith(suffix)) return `an internal name (*${suffix})`;
  }
  if (!name.includes('.')) return 'a single-label (intranet) name';
  return null;
}

/** FERRY_URL_ALLOWLIST entries: lower-case `host` or `host:port`, IPv6 in brackets. */
export type Allowlist = readonly string[];

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

export function isAllowlisted(url: URL, allowlist: Allowlist): boolean {
  const host = url.hostname.toLowerCase();
  const port = defaultPort(url);
  return allowlist.some((entry) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) return false;
    return m[1] === host && (m[2] === undefined || m[2] === port);
  });
}

/** What a URL's host is: an IP literal (in canonical text) or a name. */
export function hostOf(url: URL): { ip: string } | { name: string } {
  const h = url.hostname;
  if (h.startsWith('[')) return { ip: h.slice(1, -1) };
  const v4 = parseIPv4Loose(h);
  if (v4 !== null) return { ip: formatIPv4(v4) };
  return { name: h };
}

export function blocked(host: string, why: string): FerryError {
  return new FerryError('blocked_address', `Links to ${host} are not allowed: it is ${why}.`);
}

/**
 * Checks a link before anything is dialled: http(s) only, no credentials, and a host that is
 * neither a refused IP literal nor a refused name (unless allowlisted). Returns the parsed URL.
 * Resolved addresses are checked separately, by the connector, at connect time.
 */
export function checkLink(raw: string | URL, allowlist: Allowlist): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FerryError('invalid_url', 'The link is not an absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FerryError('invalid_url', 'Only http and https links can be picked.');
  }
  if (url.username || url.password) {
    throw new FerryError('invalid_url', 'Links with credentials (user:password@) are refused.');
  }
  if (isAllowlisted(url, allowlist)) return url;
  const host = hostOf(url);
  if ('ip' in host) {
    const why = refusedAddress(host.ip);
    if (why) throw blocked(url.hostname, why);
  } else {
    const why = refusedName(host.name);
    if (why) throw blocked(url.hostname, why);
  }
  return url;
}
