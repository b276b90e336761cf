// The tus upload id: a sealed token (sources/tokens.ts, purpose "tus"), the upload's only state
// outside the store. It carries what any later request needs to continue the C2SP stream exactly
// where the store says it stands: the file's handle (id and secret), the store's upload id, the
// length, the sealed metadata's fields, the kid and both salts (so the prefix and the data key
// are derived again, byte for byte) and the part size. Sealed for the app that created it and
// valid until the file would expire.
import { decodeHandle, encodeHandle, type FileRef } from '../format.js';
import { base64url, fromBase64url, TokenError, type TokenSealer } from '../sources/tokens.js';
import { FerryError } from '../errors.js';
import type { FileMetaV2 } from '../format-v2.js';

export interface TusUpload {
  ref: FileRef;
  /** The store's multipart upload id ("" for an empty upload, stored whole at creation). */
  uploadId: string;
  length: number;
  meta: FileMetaV2;
  kid: string;
  metaSalt: Uint8Array;
  dataSalt: Uint8Array;
  partSize: number;
}

interface Payload {
  h: string;
  u: string;
  l: number;
  n: string;
  t: string;
  c: string;
  x: string;
  k: string;
  ms: string;
  ds: string;
  ps: number;
}

export async function sealTusUpload(sealer: TokenSealer, u: TusUpload, ttlSeconds: number): Promise<string> {
  const p: Payload = {
    h: encodeHandle(u.ref),
    u: u.uploadId,
    l: u.length,
    n: u.meta.filename,
    t: u.meta.type,
    c: u.meta.createdAt,
    x: u.meta.expiresAt,
    k: u.kid,
    ms: base64url(u.metaSalt),
    ds: base64url(u.dataSalt),
    ps: u.partSize,
  };
  return sealer.seal('tus', u.meta.app, p, ttlSeconds);
}

/** 404 for anything not sealed by us for this app; 410 once the file it would become has expired. */
export async function openTusUpload(sealer: TokenSealer, app: string, token: string): Promise<TusUpload> {
  let p: Payload;
  try {
    p = (await sealer.open<Payload>('tus', app, token)).payload;
  } catch (e) {
    if (e instanceof TokenError && e.reason === 'expired') throw new FerryError('file_expired', 'This upload has expired.');
    throw new FerryError('not_found', 'No upload has this id.');
  }
  const ref = decodeHandle(p.h);
  const metaSalt = fromBase64url(p.ms);
  const dataSalt = fromBase64url(p.ds);
  if (!ref || !metaSalt || !dataSalt) throw new FerryError('not_found', 'No upload has this id.');
  return {
    ref,
    uploadId: p.u,
    length: p.l,
    meta: { filename: p.n, type: p.t, createdAt: p.c, expiresAt: p.x, app },
    kid: p.k,
    metaSalt,
    dataSalt,
    partSize: p.ps,
  };
}
