// Where a signed policy travels: the query (links, script tags) or headers (fetch). One reader
// so every route that checks a policy accepts it from the same places.
import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import type { PolicyInput } from '../policy.js';

export function policyInput(c: Context<AppEnv>): PolicyInput {
  return {
    policy: c.req.query('policy') ?? c.req.header('x-ferry-policy'),
    signature: c.req.query('signature') ?? c.req.header('x-ferry-signature'),
  };
}
