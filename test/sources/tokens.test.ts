// Sealed state, account and pick tokens: they open only for their purpose and app, until they
// expire, under any key still in the ring; a changed byte opens nothing.
import { describe, expect, it } from 'vitest';
import { generateKeyring, parseKeyring, formatKeyring } from '../../src/crypto/keyring.js';
import { TokenError, fromBase64url, tokenSealer } from '../../src/sources/tokens.js';

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'opened';
  } catch (e) {
    return e instanceof TokenError ? e.reason : String(e);
  }
}

describe('sealed tokens', () => {
  const ring = generateKeyring('k1');
  let clock = new Date('2026-11-22T10:00:00Z');
  const sealer = tokenSealer(ring, () => clock);

  it('round-trips a payload for its purpose and app, with the expiry inside', async () => {
    const token = await sealer.seal('pick', 'acme', { id: 'id:abc', n: 'naïve.txt' }, 3600);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const opened = await sealer.open<{ id: string; n: string }>('pick', 'acme', token);
    expect(opened.payload).toEqual({ id: 'id:abc', n: 'naïve.txt' });
    expect(opened.app).toBe('acme');
    expect(opened.expiresAt).toBe(Date.parse('2026-11-22T11:00:00Z') / 1000);
  });

  it('starts with the version and kid, so keys can rotate', async () => {
    const token = await sealer.seal('account', 'acme', { x: 1 }, 60);
    const bytes = fromBase64url(token)!;
    expect(bytes[0]).toBe(1);
    expect(new TextDecoder().decode(bytes.subarray(2, 2 + bytes[1]!))).toBe('k1');
  });

  it('never opens as another purpose or for another app', async () => {
    const token = await sealer.seal('state', 'acme', { o: 'https://acme.example' }, 600);
    expect(await reason(sealer.open('account', 'acme', token))).toBe('invalid');
    expect(await reason(sealer.open('pick', 'acme', token))).toBe('invalid');
    expect(await reason(sealer.open('state', 'other', token))).toBe('invalid');
    expect(await reason(sealer.open('state', 'acme', token))).toBe('opened');
    expect((await sealer.open('state', null, token)).app).toBe('acme');
  });

  it('refuses a token after its expiry', async () => {
    const token = await sealer.seal('pick', 'acme', {}, 10);
    clock = new Date(clock.getTime() + 9_000);
    expect(await reason(sealer.open('pick', 'acme', token))).toBe('opened');
    clock = new Date(clock.getTime() + 1_000);
    expect(await reason(sealer.open('pick', 'acme', token))).toBe('expired');
  });

  it('opens nothing that was changed, truncated or made up', async () => {
    const token = await sealer.seal('pick', 'acme', { id: 'x' }, 60);
    const bytes = fromBase64url(token)!;
    for (const at of [0, 1, 2, 5, 20, bytes.length - 1]) {
      const copy = bytes.slice();
      copy[at] = copy[at]! ^ 1;
      const changed = Buffer.from(copy).toString('base64url');
      expect(await reason(sealer.open('pick', 'acme', changed)), `byte ${at}`).toBe('invalid');
    }
    expect(await reason(sealer.open('pick', 'acme', token.slice(0, -4)))).toBe('invalid');
    for (const junk of ['', 'x', '!!!', 'A'.repeat(20000), Buffer.alloc(60).toString('base64url')]) {
      expect(await reason(sealer.open('pick', 'acme', junk))).toBe('invalid');
    }
  });

  it('keeps opening old tokens after a new key is put in front, and none after the old key is dropped', async () => {
    const oldToken = await sealer.seal('account', 'acme', { t: 1 }, 600);
    const rotated = parseKeyring(`${formatKeyring(generateKeyring('k2'))},${formatKeyring(ring)}`);
    const after = tokenSealer(rotated, () => clock);
    expect(await reason(after.open('account', 'acme', oldToken))).toBe('opened');
    const newToken = await after.seal('account', 'acme', { t: 2 }, 600);
    expect(new TextDecoder().decode(fromBase64url(newToken)!.subarray(2, 4))).toBe('k2');
    const dropped = tokenSealer(parseKeyring(formatKeyring(rotated).split(',')[0]!), () => clock);
    expect(await reason(dropped.open('account', 'acme', oldToken))).toBe('invalid');
    expect(await reason(dropped.open('account', 'acme', newToken))).toBe('opened');
  });

  it('uses a fresh nonce every time', async () => {
    const a = await sealer.seal('pick', 'acme', { same: true }, 60);
    const b = await sealer.seal('pick', 'acme', { same: true }, 60);
    expect(a).not.toBe(b);
  });
});
