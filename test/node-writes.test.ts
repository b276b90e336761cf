// The Node adapter's response writing, measured where it costs: a download leaves as 16 KiB
// decrypted chunks, and each write the socket makes is a send() and, past the socket's buffer,
// a 'drain' round trip on the event loop. With 256 KiB socket buffers (src/node.ts) the chunks
// of one store read leave together; this counts the socket's writes during one download.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../src/node.js';
import { TEST_APPS, testKey } from './helpers/targets.js';
import { expectBytes, pattern, upload } from './api/files-suite.js';

type Writes = { _write: (...a: unknown[]) => unknown; _writev?: (...a: unknown[]) => unknown };

describe('Node response writing', () => {
  let dir: string;
  let ferry: RunningFerry;
  let writes = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-writes-'));
    ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_APPS: TEST_APPS, FERRY_KEYS: testKey('k1') },
      { log: () => {}, requestLog: () => {} },
    );
    // Count what each connection's socket hands to the kernel (one call per write or writev).
    ferry.server.on('connection', (socket: Socket) => {
      const s = socket as unknown as Writes;
      const write = s._write.bind(socket);
      s._write = (...a) => (writes++, write(...a));
      if (s._writev) {
        const writev = s._writev.bind(socket);
        s._writev = (...a) => (writes++, writev(...a));
      }
    });
  });
  afterAll(async () => {
    await ferry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a download in writes of far more than one 16 KiB chunk each', async () => {
    const size = 4 * 1024 * 1024;
    const bytes = pattern(size, 3);
    const file = await upload(ferry.url, bytes);
    writes = 0;
    const res = await fetch(file.url);
    expectBytes(await res.arrayBuffer(), bytes);
    // 256 chunks of 16 KiB; with Node's default 16 KiB socket buffer that is a write each.
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(size / (64 * 1024));
  });
});
