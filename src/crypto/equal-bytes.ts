// One constant-time byte comparison for secrets (commitments, app secrets), so there is a single
// place to get its one subtle rule right: the loop never exits early on a difference.

/** Constant-time for equal lengths; different lengths answer false at once (lengths are not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
