// The one wiring: both adapters build Ferry through composeFerry, so what it promises is checked
// here once: one clock for everything it builds, the FERRY_KEYS error named after the variable,
// and no store conjured where the runtime has no disk.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeFerry, type Platform } from '../src/compose.js';
import { ConfigError, readConfig } from '../src/config.js';
import { webCrypto } from '../src/crypto/aead.js';
import { FsStore } from '../src/store/fs-store.js';

const APPS = JSON.stringify([{ name: 'test', key: 'test-key', secret: 'test-secret-0123456789abcdef', origins: [] }]);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function platform(overrides: Partial<Platform> = {}): Platform {
  return {
    crypto: webCrypto,
    defaultKeyring: () => {
      throw new ConfigError('FERRY_KEYS', 'required in this test');
    },
    defaultApps: () => {
      throw new ConfigError('FERRY_APPS', 'required in this test');
    },
    localStore: (dataDir) => new FsStore(dataDir),
    log: () => {},
    ...overrides,
  };
}

function env(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-compose-'));
  dirs.push(dir);
  return { FERRY_KEYS: `k1:${randomBytes(32).toString('base64')}`, FERRY_APPS: APPS, FERRY_DATA_DIR: dir, ...extra };
}

describe('composeFerry', () => {
  it('hands the one clock it was given to the app: stored files are dated by it', async () => {
    const at = new Date('2030-01-02T03:04:05Z');
    const now = () => at;
    const vars = env();
    const ferry = composeFerry(readConfig(vars), vars, platform({ now }));
    expect(ferry.now).toBe(now);
    const res = await ferry.app.request('/v1/files?key=test-key&filename=a.txt&ttl=60', { method: 'POST', body: 'hello' });
    expect(res.status).toBe(201);
    const file = (await res.json()) as { createdAt: string; expiresAt: string };
    expect(file.createdAt).toBe('2030-01-02T03:04:05Z');
    expect(file.expiresAt).toBe('2030-01-02T03:05:05Z');
  });

  it('reports a bad FERRY_KEYS against the variable', () => {
    const vars = env({ FERRY_KEYS: 'not a keyring' });
    let error: unknown;
    try {
      composeFerry(readConfig(vars), vars, platform());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('FERRY_KEYS');
  });

  it('asks the runtime for its defaults only when a variable is unset', () => {
    const vars = env();
    delete (vars as Record<string, string | undefined>).FERRY_APPS;
    expect(() => composeFerry(readConfig(vars), vars, platform())).toThrow(/FERRY_APPS/);
  });

  it('builds no store without a bucket where the runtime has no local disk', () => {
    const vars = env();
    let error: unknown;
    try {
      composeFerry(readConfig(vars), vars, platform({ localStore: undefined }));
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).variable).toBe('S3_BUCKET');
  });
});
