// `Authorization: Bearer <token>`: app secrets (listing and deleting an app's files) and
// account tokens (browsing a provider) both travel this way, so one reader parses it.

/** The token of a Bearer authorization header; undefined when absent or of another shape. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}
