// The Node connector checks every address a name resolves to, at connect time, for every hop.
// Per NOTES.md no packet may leave for anything but loopback: the resolver and the dialler are
// injected, recording what would have been dialled; "public" destinations are answered by the
// loopback fake origin behind the recording dialler.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/errors.js';
import { linkSource } from '../../../src/sources/url/index.js';
import { nodeConnector, type DialTarget, type ResolvedAddress } from '../../../src/sources/url/node-connector.js';
import { sha256Of } from '../../fakes/content.js';
import { startFakes, type Fakes } from '../../fakes/server.js';
import { createHash } from 'node:crypto';

let fakes: Fakes;
let fakePort: number;
beforeAll(async () => {
  fakes = await startFakes();
  fakePort = Number(new URL(fakes.url).port);
});
afterAll(() => fakes?.close());

/** A resolver from a table, recording every name asked for. */
function table(entries: Record<string, string[] | string[][]>) {
  const asked: string[] = [];
  const calls = new Map<string, number>();
  const resolve = async (name: string): Promise<ResolvedAddress[]> => {
    asked.push(name);
    const entry = entries[name];
    if (!entry) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    const n = calls.get(name) ?? 0;
    calls.set(name, n + 1);
    // A list of lists answers differently on each lookup (DNS rebinding).
    const addresses = (Array.isArray(entry[0]) ? (entry as string[][])[Math.min(n, entry.length - 1)] : entry) as string[];
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

/** A dialler that records the target and connects to the loopback fake instead. */
function recordingDialer() {
  const dialled: DialTarget[] = [];
  const dial = (t: DialTarget) => {
    dialled.push(t);
    return connect({ host: '127.0.0.1', port: fakePort });
  };
  return { dial, dialled };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof FerryError ? e.code : String(e);
  }
}

const get = { method: 'GET' as const, headers: new Headers() };

describe('node connector', () => {
  it('connects to a public address the name resolves to, sending the name as Host', async () => {
    const { resolve, asked } = table({ 'files.example.com': ['93.184.215.14'] });
    const { dial, dialled } = recordingDialer();
    const connector = nodeConnector({ allowlist: [], resolve, dial });
    const res = await connector.request(new URL(`http://files.example.com:${fakePort}/origin/files/3/5000/a.bin`), get);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256Of(3, 5000));
    expect(asked).toEqual(['files.example.com']);
    expect(dialled).toEqual([{ address: '93.184.215.14', family: 4, port: fakePort, hostname: 'files.example.com', tls: false }]);
    expect(fakes.origin.requests.at(-1)!.headers.host).toBe(`files.example.com:${fakePort}`);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.5', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.251', 'multicast'],
    ['::1', 'loopback'],
    ['fd00::5', 'unique local'],
    ['fe80::1', 'link-local'],
    ['::ffff:10.0.0.1', 'IPv4-mapped'],
    ['64:ff9b::a9fe:a9fe', 'NAT64'],
    ['2002:c0a8:1::1', '6to4'],
  ])('refuses a name resolving to %s (%s) before dialling', async (address, why) => {
    const { resolve } = table({ 'sneaky.example.com': [address] });
    const { dial, dialled } = recordingDialer();
    const connector = nodeConnector({ allowlist: [], resolve, dial });
    const err = await connector.request(new URL('http://sneaky.example.com/secret'), get).catch((e) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect(err.code).toBe('blocked_address');
    expect(err.message).toContain(why);
    expect(dialled).toEqual([]);
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const { resolve } = table({ 'mixed.example.com': ['93.184.215.14', '2606:4700::1111', '10.0.0.7'] });
    const { dial, dialled } = recordingDialer();
    const connector = nodeConnector({ allowlist: [], resolve, dial });
    expect(await codeOf(connector.request(new URL('https://mixed.example.com/'), get))).toBe('blocked_address');
    expect(dialled).toEqual([]);
  });

  it('refuses literal addresses without resolving anything', async () => {
    const { resolve, asked } = table({});
    const { dial, dialled } = recordingDialer();
    const connector = nodeConnector({ allowlist: [], resolve, dial });
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://2852039166/', 'http://0x7f.1/', 'http://[fd00::1]/']) {
      expect(await codeOf(connector.request(new URL(url), get)), url).toBe('blocked_address');
    }
    expect(asked).toEqual([]);
    expect(dialled).toEqual([]);
  });

  it('checks again on every connection, so a name that rebinds to a private address is refused', async () => {
    const { resolve } = table({ 'rebind.example.com': [['93.184.215.14'], ['127.0.0.1']] });
    const { dial, dialled } = recordingDialer();
    const connector = nodeConnector({ allowlist: [], resolve, dial });
    const first = await connector.request(new URL(`http://rebind.example.com:${fakePort}/origin/files/1/10/a.txt`), get);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    expect(await codeOf(connector.request(new URL(`http://rebind.example.com:${fakePort}/origin/files/1/10/a.txt`), get))).toBe('blocked_address');
    expect(dialled.map((d) => d.address)).toEqual(['93.184.215.14']);
  });

  it('lets allowlisted hosts reach any address', async () => {
    const connector = nodeConnector({ allowlist: [fakes.host] });
    const res = await connector.request(new URL(`${fakes.url}/origin/files/2/100/a.txt`), get);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(100);
  });

  it('reports an unknown name as origin_failed without dialling', async () => {
    const { resolve } = table({});
    const { dial, dialled } = recordingDialer();
    const connector = nodeConnector({ allowlist: [], resolve, dial });
    expect(await codeOf(connector.request(new URL('http://nowhere.example.com/'), get))).toBe('origin_failed');
    expect(dialled).toEqual([]);
  });

  it('errors the body, never ends it cleanly, when the origin breaks off mid-stream', async () => {
    const connector = nodeConnector({ allowlist: [fakes.host] });
    const res = await connector.request(new URL(`${fakes.url}/origin/fail/4/1000000/300000/a.bin`), get);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('gives up on an origin that stops sending while the client waits', async () => {
    const connector = nodeConnector({ allowlist: [fakes.host], timeoutMs: 300 });
    const res = await connector.request(new URL(`${fakes.url}/origin/stall/4/1000000/100000/a.bin`), get);
    expect(res.status).toBe(200);
    const started = Date.now();
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not count time the client spends not reading against the origin', async () => {
    const connector = nodeConnector({ allowlist: [fakes.host], timeoutMs: 200 });
    const res = await connector.request(new URL(`${fakes.url}/origin/files/4/3000000/a.bin`), get);
    const reader = res.body!.getReader();
    let total = (await reader.read()).value!.byteLength;
    await new Promise((r) => setTimeout(r, 700));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
    }
    expect(total).toBe(3_000_000);
  });

  it('reads the origin no faster than the body is consumed', async () => {
    let written = 0;
    fakes.origin.onWrite = (n) => (written += n);
    try {
      const connector = nodeConnector({ allowlist: [fakes.host] });
      const size = 256 * 1024 * 1024;
      const res = await connector.request(new URL(`${fakes.url}/origin/files/5/${size}/big.bin`), get);
      const reader = res.body!.getReader();
      await reader.read();
      await new Promise((r) => setTimeout(r, 300));
      const stalled = written;
      await new Promise((r) => setTimeout(r, 300));
      // Socket buffers hold a few MiB; the origin waits on them instead of sending the rest.
      expect(written).toBe(stalled);
      expect(written).toBeLessThan(32 * 1024 * 1024);
      await reader.cancel();
    } finally {
      fakes.origin.onWrite = undefined;
    }
  });
});

describe('link source over the node connector', () => {
  it('re-checks every redirect hop and refuses one that lands on a private address', async () => {
    const { resolve, asked } = table({ 'files.example.com': ['93.184.215.14'], 'internal.example.com': ['10.0.0.5'] });
    const { dial, dialled } = recordingDialer();
    const source = linkSource({ connector: nodeConnector({ allowlist: [], resolve, dial }), allowlist: [] });
    const start = `http://files.example.com:${fakePort}/origin/redirect-to?location=${encodeURIComponent('http://internal.example.com/admin')}`;
    expect(await codeOf(source.open(undefined, start, {}))).toBe('blocked_address');
    expect(asked).toEqual(['files.example.com', 'internal.example.com']);
    expect(dialled.map((d) => d.address)).toEqual(['93.184.215.14']);
  });

  it('refuses a redirect to the cloud metadata address before dialling it', async () => {
    const { resolve } = table({ 'files.example.com': ['93.184.215.14'] });
    const { dial, dialled } = recordingDialer();
    const source = linkSource({ connector: nodeConnector({ allowlist: [], resolve, dial }), allowlist: [] });
    const start = `http://files.example.com:${fakePort}/origin/redirect-to?location=${encodeURIComponent('http://169.254.169.254/latest/meta-data/iam/')}`;
    expect(await codeOf(source.metadata(undefined, start))).toBe('blocked_address');
    expect(dialled).toHaveLength(1);
  });

  it('follows at most five redirects', async () => {
    const source = linkSource({ connector: nodeConnector({ allowlist: [fakes.host] }), allowlist: [fakes.host] });
    const five = await source.open(undefined, `${fakes.url}/origin/redirect/5/6/64/a.txt`, {});
    expect(five.status).toBe(200);
    expect((await five.arrayBuffer()).byteLength).toBe(64);
    expect(await codeOf(source.open(undefined, `${fakes.url}/origin/redirect/6/6/64/a.txt`, {}))).toBe('origin_failed');
  });

  it('sends no cookies or credentials and asks for identity encoding', async () => {
    const source = linkSource({ connector: nodeConnector({ allowlist: [fakes.host] }), allowlist: [fakes.host] });
    const res = await source.open(undefined, `${fakes.url}/origin/files/7/10/a.txt`, { range: 'bytes=2-5' });
    expect(res.status).toBe(206);
    await res.arrayBuffer();
    const seen = fakes.origin.requests.at(-1)!.headers;
    expect(seen.range).toBe('bytes=2-5');
    expect(seen['accept-encoding']).toBe('identity');
    expect(seen.cookie).toBeUndefined();
    expect(seen.authorization).toBeUndefined();
  });

  it('reads name, size and type from HEAD, falling back to GET when HEAD is refused', async () => {
    const source = linkSource({ connector: nodeConnector({ allowlist: [fakes.host] }), allowlist: [fakes.host] });
    const viaHead = await source.metadata(undefined, `${fakes.url}/origin/files/8/4321/report%20final.pdf?cd=1`);
    expect(viaHead).toMatchObject({ name: 'report final.pdf', size: 4321, type: 'application/pdf', kind: 'file' });
    const viaGet = await source.metadata(undefined, `${fakes.url}/origin/no-head/8/99/notes.txt`);
    expect(viaGet).toMatchObject({ name: 'notes.txt', size: 99, type: 'text/plain' });
  });
});
