// `?ttl=`: how long an upload or a pick lives. One parser for both, so files and picks accept
// and refuse the same values with the same message.
import { MAX_TTL_SECONDS } from '../config.js';
import { FerryError } from '../errors.js';

/**
 * Seconds from `?ttl=`, at most `max` (the request scope's lifetime) and never more than a day;
 * the cap itself when the query is absent. Anything but 1 to the cap, as plain digits, is 400.
 */
export function parseTtl(raw: string | undefined, max: number): number {
  const limit = Math.min(max, MAX_TTL_SECONDS);
  if (raw === undefined) return limit;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) === 0 || Number(raw) > limit) {
    throw new FerryError('invalid_ttl', `ttl must be a whole number of seconds from 1 to ${limit}.`);
  }
  return Number(raw);
}
