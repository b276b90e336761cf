// The link guard's pure rules, as tables: which addresses and names are refused, in every
// spelling an attacker might use. Nothing here touches the network.
import { describe, expect, it } from 'vitest';
import { checkLink, isAllowlisted, parseIPv4Loose, parseIPv6, refusedAddress, refusedName } from '../../../src/sources/url/address-policy.js';
import { FerryError } from '../../../src/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof FerryError ? e.code : String(e);
  }
}

describe('IPv4 addresses', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', '6to4 relay'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (ip, why) => {
    expect(refusedAddress(ip)).toContain(why);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.1', '11.0.0.1', '223.255.255.255'])(
    'allows public %s',
    (ip) => {
      expect(refusedAddress(ip)).toBeNull();
    },
  );

  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
    ['012.0.0.1', '10.0.0.1'],
    ['0', '0.0.0.0'],
  ])('reads the spelling %s as %s and refuses it', (spelling, canonical) => {
    const n = parseIPv4Loose(spelling)!;
    expect([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')).toBe(canonical);
    expect(refusedAddress(spelling)).not.toBeNull();
    expect(codeOf(() => checkLink(`http://${spelling}/x`, []))).toBe('blocked_address');
  });

  it('does not mistake names for numbers', () => {
    expect(parseIPv4Loose('example.com')).toBeNull();
    expect(parseIPv4Loose('1.2.3.4.5')).toBeNull();
    expect(parseIPv4Loose('08.0.0.1')).toBeNull();
    expect(parseIPv4Loose('256.1.1.1')).toBeNull();
  });
});

describe('IPv6 addresses', () => {
  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['100::1', 'discard'],
    ['64:ff9b:1::1', 'NAT64'],
    ['::ffff:127.0.0.1', 'IPv4-mapped form of 127.0.0.1'],
    ['::ffff:7f00:1', 'IPv4-mapped form of 127.0.0.1'],
    ['::ffff:169.254.169.254', 'IPv4-mapped form of 169.254.169.254'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped form of 169.254.169.254'],
    ['::10.0.0.1', 'IPv4-compatible form of 10.0.0.1'],
    ['::ffff:0:192.168.0.1', 'IPv4-translated form of 192.168.0.1'],
    ['64:ff9b::10.1.2.3', 'NAT64 form of 10.1.2.3'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 form of 169.254.169.254'],
    ['2002:7f00:1::1', '6to4 form of 127.0.0.1'],
    ['2002:a9fe:a9fe::', '6to4 form of 169.254.169.254'],
    ['2002:c0a8:0101::1', '6to4 form of 192.168.1.1'],
    ['1::1', 'outside global unicast'],
    ['4000::1', 'outside global unicast'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (ip, why) => {
    expect(refusedAddress(ip)).toContain(why);
  });

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:0808:0808::1'])('allows public %s', (ip) => {
    expect(refusedAddress(ip)).toBeNull();
  });

  it('parses the forms RFC 4291 allows and nothing else', () => {
    expect(parseIPv6('1:2:3:4:5:6:7:8')).not.toBeNull();
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')).not.toBeNull();
    expect(parseIPv6('1::')).not.toBeNull();
    expect(parseIPv6(':::')).toBeNull();
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('fe80::1%eth0')).toBeNull();
    expect(parseIPv6('12345::')).toBeNull();
  });

  it('refuses the bracketed forms in links', () => {
    for (const host of ['[::1]', '[::ffff:127.0.0.1]', '[::ffff:a9fe:a9fe]', '[fd00::1]', '[64:ff9b::a00:1]', '[2002:a00:1::]']) {
      expect(codeOf(() => checkLink(`http://${host}:8080/`, [])), host).toBe('blocked_address');
    }
  });
});

describe('names', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'printer.local', 'metadata.google.internal', 'nas.home.arpa', 'db', 'intranet', 'box.localdomain'])(
    'refuses %s',
    (name) => {
      expect(refusedName(name)).not.toBeNull();
      expect(codeOf(() => checkLink(`https://${name}/file`, []))).toBe('blocked_address');
    },
  );

  it.each(['example.com', 'files.example.co.uk', 'dl.dropboxusercontent.com'])('allows %s (its addresses are checked at connect time)', (name) => {
    expect(refusedName(name)).toBeNull();
    expect(checkLink(`https://${name}/file`, []).hostname).toBe(name);
  });
});

describe('links', () => {
  it('takes http and https only', () => {
    for (const link of ['ftp://example.com/a', 'file:///etc/passwd', 'gopher://example.com/', 'data:text/plain,hi', 'javascript:alert(1)']) {
      expect(codeOf(() => checkLink(link, [])), link).toBe('invalid_url');
    }
    expect(codeOf(() => checkLink('not a url', []))).toBe('invalid_url');
  });

  it('refuses credentials in the URL', () => {
    expect(codeOf(() => checkLink('https://user:pass@example.com/a', []))).toBe('invalid_url');
    expect(codeOf(() => checkLink('https://user@example.com/a', []))).toBe('invalid_url');
  });

  it('lets allowlisted hosts through, by host or by host and port', () => {
    expect(checkLink('http://127.0.0.1:8080/a', ['127.0.0.1:8080']).port).toBe('8080');
    expect(codeOf(() => checkLink('http://127.0.0.1:8081/a', ['127.0.0.1:8080']))).toBe('blocked_address');
    expect(checkLink('http://intranet.corp/a', ['intranet.corp']).hostname).toBe('intranet.corp');
    expect(checkLink('http://[::1]:9000/a', ['[::1]:9000']).hostname).toBe('[::1]');
    expect(isAllowlisted(new URL('https://files.example/a'), ['files.example:443'])).toBe(true);
    expect(isAllowlisted(new URL('http://files.example/a'), ['files.example:443'])).toBe(false);
    expect(isAllowlisted(new URL('http://evil.files.example/a'), ['files.example'])).toBe(false);
  });
});
