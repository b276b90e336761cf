// The page script of the Chromium tus test: Uppy with @uppy/tus, the way an application uses
// them, bundled by esbuild. `window.tusUpload(endpoint, size, seed)` makes `size` deterministic
// bytes in the page, uploads them as one file and resolves with the Ferry-File-URL answered on
// the last response and the SHA-256 of what it sent.
import Uppy from '@uppy/core';
import Tus from '@uppy/tus';

function bytesFor(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  let s = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = i & 0xff;
  return out;
}

async function tusUpload(endpoint: string, size: number, seed: number): Promise<{ url: string | null; sha: string; error?: string }> {
  const bytes = bytesFor(size, seed);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const sha = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  let url: string | null = null;
  const uppy = new Uppy({ autoProceed: false }).use(Tus, {
    endpoint,
    retryDelays: [200, 500, 1000, 2000, 3000],
    onAfterResponse: (_req, res) => {
      url = res.getHeader('Ferry-File-URL') ?? url;
    },
  });
  uppy.addFile({ name: `data-${size}.bin`, type: 'application/octet-stream', data: new Blob([bytes]) });
  const result = await uppy.upload();
  const failed = result?.failed?.[0];
  return { url, sha, error: failed ? String(failed.error) : undefined };
}

(window as unknown as { tusUpload: typeof tusUpload }).tusUpload = tusUpload;
