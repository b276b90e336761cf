// The C2SP chunked-encryption key schedule (https://c2sp.org/chunked-encryption) for
// AEAD_AES_128_GCM: one HKDF-Expand turns the input key, salt and context into the message's
// AES key, base nonce and key commitment. Apart from the transforms because it is the one place
// where a wrong key must be refused: decryption gets a key only through openMessageKey, after
// the stored commitment matched.
import { hkdfExpand, type AesGcm, type CryptoProvider } from './aead.js';
import { equalBytes } from './equal-bytes.js';

export const KEY_SIZE = 16;
export const NONCE_SIZE = 12;
export const SALT_SIZE = 24;
export const COMMITMENT_SIZE = 32;

const AEAD_NAME = 'AEAD_AES_128_GCM';
const INFO_PREFIX = new TextEncoder().encode(`c2sp.org/chunked-encryption@v1+${AEAD_NAME}\0`);

/** What one message is encrypted under. Derive with `deriveMessageKey` or `openMessageKey`. */
export interface MessageKey {
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly aead: AesGcm;
  /** chunks kept in flight (from the provider) */
  readonly concurrency: number;
}

/** A message key's raw bytes, for a client that seals the chunks itself (upload sessions). */
export interface MessageSecrets {
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly commitment: Uint8Array;
}

/**
 * key || base nonce || commitment = HKDF-Expand(prk = inputKey,
 *   info = "c2sp.org/chunked-encryption@v1+AEAD_AES_128_GCM" || 0x00 || salt || context, 60)
 */
export async function deriveMessageSecrets(
  provider: CryptoProvider,
  inputKey: Uint8Array,
  salt: Uint8Array,
  context: Uint8Array,
): Promise<MessageSecrets> {
  if (inputKey.length !== KEY_SIZE) throw new RangeError(`input key must be ${KEY_SIZE} bytes`);
  if (salt.length !== SALT_SIZE) throw new RangeError(`salt must be ${SALT_SIZE} bytes`);
  const info = new Uint8Array(INFO_PREFIX.length + SALT_SIZE + context.length);
  info.set(INFO_PREFIX, 0);
  info.set(salt, INFO_PREFIX.length);
  info.set(context, INFO_PREFIX.length + SALT_SIZE);
  const okm = await hkdfExpand(provider, inputKey, info, KEY_SIZE + NONCE_SIZE + COMMITMENT_SIZE);
  return {
    key: okm.slice(0, KEY_SIZE),
    baseNonce: okm.slice(KEY_SIZE, KEY_SIZE + NONCE_SIZE),
    commitment: okm.slice(KEY_SIZE + NONCE_SIZE),
  };
}

/** The message key of deriveMessageSecrets, ready to seal and open chunks. */
export async function deriveMessageKey(
  provider: CryptoProvider,
  inputKey: Uint8Array,
  salt: Uint8Array,
  context: Uint8Array,
): Promise<MessageKey> {
  const secrets = await deriveMessageSecrets(provider, inputKey, salt, context);
  return {
    salt: salt.slice(),
    baseNonce: secrets.baseNonce,
    commitment: secrets.commitment,
    aead: await provider.aes128gcm(secrets.key),
    concurrency: Math.max(1, Math.floor(provider.concurrency)),
  };
}

/**
 * The decryption entry point: derives the key for a stored salt and returns it only if the
 * stored commitment matches (null otherwise), so no chunk is ever opened under a key that
 * failed its commitment.
 */
export async function openMessageKey(
  provider: CryptoProvider,
  inputKey: Uint8Array,
  salt: Uint8Array,
  commitment: Uint8Array,
  context: Uint8Array,
): Promise<MessageKey | null> {
  const key = await deriveMessageKey(provider, inputKey, salt, context);
  return equalBytes(key.commitment, commitment) ? key : null;
}
