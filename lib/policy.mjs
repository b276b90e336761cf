// Signs Ferry policies on your application's backend (Node ≥ 18, Deno, Bun, Workers).
// The secret never leaves your servers; hand the returned { policy, signature } to the widget
// or append them to a Ferry URL as ?policy=…&signature=….
//
//   import { signPolicy } from 'ferry/policy';
//   const { policy, signature } = await signPolicy(process.env.FERRY_APP_SECRET, {
//     call: ['store'], maxSize: 10_000_000, expiresIn: 300,
//   });

function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * @param {string} secret  the app's secret from FERRY_APPS
 * @param {{ call: ('store'|'read'|'remove'|'pick')[], expiry?: number, expiresIn?: number,
 *           handle?: string, maxSize?: number, minSize?: number }} options
 *        `expiry` is unix seconds; or give `expiresIn` seconds from now (default 300).
 * @returns {Promise<{ policy: string, signature: string }>}
 */
export async function signPolicy(secret, options) {
  const { expiresIn = 300, expiry: givenExpiry, ...rest } = options;
  const expiry = givenExpiry ?? Math.floor(Date.now() / 1000) + expiresIn;
  const document = { expiry, ...rest };
  const policy = base64url(new TextEncoder().encode(JSON.stringify(document)));
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(policy)));
  const signature = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
  return { policy, signature };
}
