// Encryption alone, on one core: Ferry's object encryption and decryption (src/format.ts on the
// node:crypto provider, through its TransformStreams, input in 64 KiB writes as node:http hands
// them over) against raw node:crypto AES-128-GCM, this machine's physical anchor, measured two
// ways: one cipher per 64 KiB buffer (how NOTES.md's anchor was taken) and one cipher per 16 KiB
// chunk with its tag (the work the format actually asks for: C2SP seals 16 KiB chunks). The
// WebCrypto provider (what Workers use) is shown for reference. MB/s per core = bytes divided by
// this process's CPU seconds (user + system), so time spent waiting on another process's core
// does not count. Variants are interleaved round by round and the median is kept.
//
// Run alone: `node --import tsx bench/crypto.ts [--quick]` prints JSON rows.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { webCrypto, type CryptoProvider } from '../src/crypto/aead.js';
import { generateKeyring } from '../src/crypto/keyring.js';
import { nodeCrypto } from '../src/crypto/node-crypto.js';
import { OBJECT_PREFIX_SIZE, encryptObject, newFileRef, objectSize, openObject, type FormatParams } from '../src/format.js';
import { median } from './lib/stats.js';

export interface CryptoRow {
  name: string;
  /** MB (10^6 bytes) of plaintext per CPU second. */
  mbPerCpuSecond: number;
  /** MB per wall-clock second, for comparison. */
  mbPerSecond: number;
}

const WRITE = 64 * 1024;
const CHUNK = 16 * 1024;

interface Variant {
  name: string;
  /** Processes `bytes` of plaintext once. */
  run(bytes: number): Promise<void> | void;
}

function rawPerBuffer(size: number): Variant {
  const key = randomBytes(16);
  const input = randomBytes(size);
  return {
    name: `node:crypto aes-128-gcm, one cipher per ${size / 1024} KiB buffer`,
    run(bytes) {
      for (let done = 0, n = 0; done < bytes; done += size, n++) {
        const iv = Buffer.alloc(12);
        iv.writeUInt32BE(n, 8);
        const c = createCipheriv('aes-128-gcm', key, iv);
        c.update(input);
        c.final();
        c.getAuthTag();
      }
    },
  };
}

function rawDecryptPerChunk(): Variant {
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-128-gcm', key, iv);
  const sealed = c.update(randomBytes(CHUNK));
  c.final();
  const tag = c.getAuthTag();
  return {
    name: 'node:crypto aes-128-gcm decrypt, one decipher per 16 KiB chunk',
    run(bytes) {
      for (let done = 0; done < bytes; done += CHUNK) {
        const d = createDecipheriv('aes-128-gcm', key, iv);
        d.setAuthTag(tag);
        d.update(sealed);
        d.final();
      }
    },
  };
}

/** Reads a stream to its end; the number of bytes. */
async function drain(readable: ReadableStream<Uint8Array>, each?: (chunk: Uint8Array) => void): Promise<number> {
  const reader = readable.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.byteLength;
    each?.(value);
  }
}

function params(crypto: CryptoProvider): FormatParams {
  return { keyring: generateKeyring('bench'), ref: newFileRef(), crypto };
}

/** Pushes `bytes` through encryptObject in 64 KiB writes and drains the output. */
function ferryEncrypt(name: string, crypto: CryptoProvider): Variant {
  const input = new Uint8Array(randomBytes(WRITE));
  const p = params(crypto);
  return {
    name,
    async run(bytes) {
      const ts = encryptObject(p);
      const writing = (async () => {
        const w = ts.writable.getWriter();
        for (let done = 0; done < bytes; done += WRITE) await w.write(input);
        await w.close();
      })();
      const out = await drain(ts.readable);
      await writing;
      if (out !== objectSize(bytes)) throw new Error(`encrypted ${out} bytes, expected ${objectSize(bytes)}`);
    },
  };
}

/** Decrypts one stored object of `bytes` (encrypted once, up front) fed in 64 KiB writes. */
function ferryDecrypt(name: string, crypto: CryptoProvider, bytes: number): Variant & { prepare(): Promise<void> } {
  const p = params(crypto);
  let object: Uint8Array;
  return {
    name,
    async prepare() {
      const parts: Uint8Array[] = [];
      const ts = encryptObject({ ...p, crypto: nodeCrypto });
      const w = ts.writable.getWriter();
      const block = new Uint8Array(randomBytes(WRITE));
      const writing = (async () => {
        for (let done = 0; done < bytes; done += WRITE) await w.write(block);
        await w.close();
      })();
      await drain(ts.readable, (chunk) => parts.push(chunk.slice()));
      await writing;
      object = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
      let o = 0;
      for (const x of parts) object.set(x, (o += x.length) - x.length);
    },
    async run(n) {
      if (n !== bytes) throw new Error('decrypt runs on its prepared size');
      const decryptor = await openObject(p, object.subarray(0, OBJECT_PREFIX_SIZE));
      const ts = decryptor.decrypt({ plaintextSize: bytes });
      const body = object.subarray(OBJECT_PREFIX_SIZE);
      const writing = (async () => {
        const w = ts.writable.getWriter();
        for (let o = 0; o < body.length; o += WRITE) await w.write(body.subarray(o, o + WRITE));
        await w.close();
      })();
      const out = await drain(ts.readable);
      await writing;
      if (out !== bytes) throw new Error(`decrypted ${out} bytes, expected ${bytes}`);
    },
  };
}

export async function runCryptoBench(options: { quick: boolean; runs: number }): Promise<CryptoRow[]> {
  // Each variant processes `unit` bytes at a time, again and again until `minSeconds` have passed.
  const unit = 32 * 1024 * 1024;
  const minSeconds = options.quick ? 0.25 : 1;
  const decrypt = ferryDecrypt('Ferry decryption (decryptChunks, node:crypto)', nodeCrypto, unit);
  await decrypt.prepare();
  const variants: Variant[] = [
    rawPerBuffer(WRITE),
    rawPerBuffer(CHUNK),
    ferryEncrypt('Ferry encryption (encryptObject, node:crypto)', nodeCrypto),
    rawDecryptPerChunk(),
    decrypt,
    ferryEncrypt('Ferry encryption (encryptObject, WebCrypto: the Workers provider, on Node)', webCrypto),
  ];
  const samples = variants.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
  // One warm-up round (JIT), then `runs` measured rounds, variants interleaved.
  for (let round = -1; round < options.runs; round++) {
    for (const [i, v] of variants.entries()) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let bytes = 0;
      do {
        await v.run(unit);
        bytes += unit;
      } while (performance.now() - t0 < minSeconds * 1000);
      const wall = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu0);
      if (round < 0) continue;
      samples[i]!.cpu.push(bytes / 1e6 / ((used.user + used.system) / 1e6));
      samples[i]!.wall.push(bytes / 1e6 / wall);
    }
  }
  return variants.map((v, i) => ({ name: v.name, mbPerCpuSecond: median(samples[i]!.cpu), mbPerSecond: median(samples[i]!.wall) }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const rows = await runCryptoBench({ quick, runs: quick ? 3 : 5 });
  console.log(JSON.stringify(rows));
}
