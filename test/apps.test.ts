// FERRY_APPS parsing as a table (every field's accepted range and each way it can be wrong,
// each refused as a configuration error naming FERRY_APPS and never echoing the secret), exact
// origins, the localhost rule of the embedded dev app, and the registry's key and secret look-ups.
import { describe, expect, it } from 'vitest';
import { AppRegistry, devApp, isOrigin, originAllowed, parseApps, POLICY_CALLS } from '../src/apps.js';

type App = ReturnType<typeof devApp>;

const SECRET = 'a-secret-of-32-characters-000000';
const base = { name: 'shop', key: 'shop-key', secret: SECRET, origins: ['https://shop.example'] };
const one = (extra: Record<string, unknown> = {}) => JSON.stringify([{ ...base, ...extra }]);

/** The configuration error parseApps throws for `raw`, checked to be about FERRY_APPS. */
function problem(raw: string, readFile?: (path: string) => string): string {
  try {
    parseApps(raw, readFile);
  } catch (e) {
    expect(e).toMatchObject({ name: 'ConfigError', variable: 'FERRY_APPS' });
    const message = (e as Error).message;
    expect(message.startsWith('FERRY_APPS: ')).toBe(true);
    return message;
  }
  throw new Error(`parseApps accepted ${raw}`);
}

describe('parseApps', () => {
  it('reads one app with defaults for every optional field', () => {
    expect(parseApps(one())).toEqual([
      {
        ...base,
        maxFileBytes: undefined,
        ttlSeconds: undefined,
        sources: undefined,
        requireSignature: [],
        rateLimitPerMinute: undefined,
        maxConcurrentUploads: undefined,
      },
    ]);
  });

  it('reads every optional field', () => {
    const [app] = parseApps(
      one({
        maxFileBytes: 10,
        ttlSeconds: 86_400,
        sources: ['url', 'box'],
        requireSignature: ['store', 'pick'],
        rateLimitPerMinute: 1,
        maxConcurrentUploads: 3,
      }),
    );
    expect(app).toMatchObject({ maxFileBytes: 10, ttlSeconds: 86_400, sources: ['url', 'box'], requireSignature: ['store', 'pick'], rateLimitPerMinute: 1, maxConcurrentUploads: 3 });
  });

  it('reads @file references through readFile, and only there', () => {
    const seen: string[] = [];
    const apps = parseApps(' @/etc/ferry/apps.json ', (path) => (seen.push(path), one()));
    expect(seen).toEqual(['/etc/ferry/apps.json']);
    expect(apps.map((a) => a.name)).toEqual(['shop']);
    expect(problem('@apps.json')).toContain('put the JSON inline');
    expect(
      problem('@apps.json', () => {
        throw new Error('ENOENT');
      }),
    ).toContain('cannot read apps.json: ENOENT');
  });

  it.each([
    ['a', true],
    ['a'.repeat(32), true],
    ['0-shop', true],
    ['a'.repeat(33), false],
    ['', false],
    ['-shop', false],
    ['Shop', false],
    ['shop_1', false],
    ['shop.example', false],
  ])('name %j is accepted: %s', (name, ok) => {
    if (ok) expect(parseApps(one({ name }))[0]!.name).toBe(name);
    else expect(problem(one({ name }))).toContain('"name"');
  });

  it.each([
    ['abc', true],
    ['A_b-9', true],
    ['k'.repeat(128), true],
    ['ab', false],
    ['k'.repeat(129), false],
    ['key with space', false],
    ['key+plus', false],
  ])('key %j is accepted: %s', (key, ok) => {
    if (ok) expect(parseApps(one({ key }))[0]!.key).toBe(key);
    else expect(problem(one({ key }))).toContain('"key"');
  });

  it.each([
    ['s'.repeat(16), true],
    ['s'.repeat(256), true],
    ['s'.repeat(15), false],
    ['s'.repeat(257), false],
  ])('a secret of %j is accepted: %s', (secret, ok) => {
    if (ok) expect(parseApps(one({ secret }))[0]!.secret).toBe(secret);
    else expect(problem(one({ secret }))).toContain('"secret"');
  });

  it('refuses a secret equal to the key', () => {
    const same = 'same-value-for-both-0123';
    expect(problem(one({ key: same, secret: same }))).toContain('must differ');
  });

  it.each([
    [[], true],
    [['https://a.example', 'http://localhost:8080'], true],
    [['https://a.example/'], false],
    [['https://a.example/path'], false],
    [['a.example'], false],
    [['ftp://a.example'], false],
    [['https://A.example'], false],
    [[1], false],
    ['https://a.example', false],
  ])('origins %j are accepted: %s', (origins, ok) => {
    if (ok) expect(parseApps(one({ origins }))[0]!.origins).toEqual(origins);
    else expect(problem(one({ origins }))).toContain('"origins"');
  });

  it.each([
    ['maxFileBytes', 1, true],
    ['maxFileBytes', Number.MAX_SAFE_INTEGER, true],
    ['maxFileBytes', 0, false],
    ['maxFileBytes', 1.5, false],
    ['maxFileBytes', '10', false],
    ['maxFileBytes', Number.MAX_SAFE_INTEGER + 1, false],
    ['ttlSeconds', 86_400, true],
    ['ttlSeconds', 86_401, false],
    ['ttlSeconds', 0, false],
    ['rateLimitPerMinute', 1, true],
    ['rateLimitPerMinute', -5, false],
    ['maxConcurrentUploads', 2, true],
    ['maxConcurrentUploads', null, false],
  ])('%s = %j is accepted: %s', (field, value, ok) => {
    if (ok) expect(parseApps(one({ [field]: value }))[0]).toMatchObject({ [field]: value });
    else expect(problem(one({ [field]: value }))).toContain(`"${field}" must be a whole number from 1 to`);
  });

  it.each([
    ['sources', ['url', 'dropbox', 'google-drive', 'onedrive', 'box'], true],
    ['sources', [], true],
    ['sources', ['ftp'], false],
    ['sources', 'url', false],
    ['requireSignature', [...POLICY_CALLS], true],
    ['requireSignature', ['admin'], false],
    ['requireSignature', 'store', false],
  ])('%s = %j is accepted: %s', (field, value, ok) => {
    if (ok) expect(parseApps(one({ [field]: value }))[0]).toMatchObject({ [field]: value });
    else expect(problem(one({ [field]: value }))).toContain(`"${field}" must be an array of`);
  });

  it.each([
    ['', 'is not valid JSON'],
    ['{', 'is not valid JSON'],
    ['{}', 'non-empty JSON array'],
    ['[]', 'non-empty JSON array'],
    ['"shop"', 'non-empty JSON array'],
    ['[null]', 'app #1 is not an object'],
    [`[${JSON.stringify(base)}, []]`, 'app #2 is not an object'],
    [one({ localhostOrigins: true }), 'unknown field "localhostOrigins"'],
    [one({ Name: 'x' }), 'unknown field "Name"'],
  ])('refuses %j: %s', (raw, why) => {
    expect(problem(raw)).toContain(why);
  });

  it.each(['name', 'key', 'secret'] as const)('refuses two apps with the same %s, without printing a secret', (field) => {
    const other = { name: 'other', key: 'other-key', secret: 'another-secret-of-32-characters!', origins: [] };
    const message = problem(JSON.stringify([base, { ...other, [field]: base[field] }]));
    expect(message).toContain(`two apps share the same ${field}`);
    expect(message).not.toContain(SECRET);
  });

  it('never repeats a secret in any message', () => {
    for (const raw of [one({ key: 'k' }), one({ origins: ['x'] }), one({ ttlSeconds: 0 }), one({ extra: 1 })]) {
      expect(problem(raw)).not.toContain(SECRET);
    }
  });
});

describe('isOrigin', () => {
  it.each([
    ['https://a.example', true],
    ['http://a.example:8080', true],
    ['http://127.0.0.1:3000', true],
    ['http://[::1]:3000', true],
    ['https://a.example:443', false], // the default port is not part of an exact origin
    ['https://a.example/', false],
    ['https://a.example?x', false],
    ['https://user@a.example', false],
    ['HTTPS://a.example', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['null', false],
    ['', false],
  ])('%j is an exact web origin: %s', (value, ok) => {
    expect(isOrigin(value)).toBe(ok);
  });
});

describe('originAllowed', () => {
  const app: App = { ...devApp(SECRET), origins: ['https://shop.example'] };

  it('allows only the exact listed origins', () => {
    expect(originAllowed(app, 'https://shop.example')).toBe(true);
    expect(originAllowed({ ...app, localhostOrigins: false }, 'https://shop.example')).toBe(true);
    for (const o of ['https://shop.example:443', 'http://shop.example', 'https://evil.shop.example', 'https://shop.example.evil']) {
      expect(originAllowed({ ...app, localhostOrigins: false }, o), o).toBe(false);
    }
  });

  it.each([
    ['http://localhost', true],
    ['http://localhost:5173', true],
    ['http://127.0.0.1:8080', true],
    ['http://[::1]:3000', true],
    ['https://localhost', false],
    ['http://localhost.evil.example', false],
    ['http://127.0.0.2', false],
    ['http://localhost:123456', false],
    ['http://localhost:80/', false],
  ])('the dev app allows %j: %s', (origin, ok) => {
    expect(originAllowed(devApp(SECRET), origin)).toBe(ok);
    // A configured app never gets the localhost rule.
    expect(originAllowed({ ...devApp(SECRET), localhostOrigins: undefined }, origin)).toBe(false);
  });
});

describe('devApp', () => {
  it('is the one "dev" app with the given secret and no signature requirement', () => {
    expect(devApp('s3cret-s3cret-s3cret')).toEqual({
      name: 'dev',
      key: 'dev',
      secret: 's3cret-s3cret-s3cret',
      origins: [],
      localhostOrigins: true,
      requireSignature: [],
    });
  });
});

describe('AppRegistry', () => {
  const apps = parseApps(
    JSON.stringify([
      base,
      { name: 'blog', key: 'blog-key', secret: 'blog-secret-0123456789abcdef', origins: ['https://blog.example'] },
    ]),
  );
  const registry = new AppRegistry(apps);

  it('finds apps by public key, exactly', () => {
    expect(registry.byPublicKey('shop-key')?.name).toBe('shop');
    expect(registry.byPublicKey('blog-key')?.name).toBe('blog');
    for (const k of ['SHOP-KEY', 'shop-key ', '', SECRET]) expect(registry.byPublicKey(k), k).toBeUndefined();
  });

  it('finds apps by secret, exactly', async () => {
    expect((await registry.bySecret(SECRET))?.name).toBe('shop');
    expect((await registry.bySecret('blog-secret-0123456789abcdef'))?.name).toBe('blog');
    for (const s of ['', 'shop-key', SECRET.slice(0, -1), SECRET + 'x', SECRET.toUpperCase()]) {
      expect(await registry.bySecret(s), s).toBeUndefined();
    }
  });

  it('answers preflights for an origin any app allows', () => {
    expect(registry.anyAllows('https://shop.example')).toBe(true);
    expect(registry.anyAllows('https://blog.example')).toBe(true);
    expect(registry.anyAllows('https://other.example')).toBe(false);
    expect(registry.anyAllows('http://localhost:3000')).toBe(false);
    expect(new AppRegistry([devApp(SECRET)]).anyAllows('http://localhost:3000')).toBe(true);
  });
});
