// ferry/client as a package: the built module (dist/client/client.mjs) loads in Node through the
// package's own export and uploads; its declared types (lib/client.d.mts) match the source, which
// tsc checks below (an assignment that stops compiling when the two drift).
import { describe, expect, it } from 'vitest';
import type * as Declared from '../../lib/client.d.mts';
import * as Source from '../../src/client/index.js';
import { nodeFs, TEST_APP } from '../helpers/targets.js';

const upload: typeof Declared.upload = Source.upload;
const memoryResumeStore: typeof Declared.memoryResumeStore = Source.memoryResumeStore;
const fromSource: Declared.UploadOptions = {} as Source.UploadOptions;
const toSource: Source.UploadOptions = {} as Declared.UploadOptions;

describe('ferry/client, the package', () => {
  it('declares what the source exports', () => {
    expect([typeof upload, typeof memoryResumeStore, typeof fromSource, typeof toSource]).toEqual(['function', 'function', 'object', 'object']);
  });

  it('the built module, imported as ferry/client, uploads a file that downloads equal', async () => {
    const built = (await import('ferry/client')) as typeof Declared;
    const t = await nodeFs();
    try {
      const bytes = new TextEncoder().encode('hello from ferry/client\n'.repeat(1000));
      const file = await built.upload({ endpoint: t.url, key: TEST_APP.key, file: new Blob([bytes], { type: 'text/plain' }), filename: 'hello.txt' });
      expect(file).toMatchObject({ filename: 'hello.txt', size: bytes.length, type: 'text/plain' });
      expect(new Uint8Array(await (await fetch(file.url)).arrayBuffer())).toEqual(bytes);
      expect(new built.RequestError('x', 'y')).toBeInstanceOf(Error);
    } finally {
      await t.close();
    }
  });
});
