export type PolicyCall = 'store' | 'read' | 'remove' | 'pick';
export interface SignPolicyOptions {
  call: PolicyCall[];
  /** Unix seconds; or give `expiresIn`. */
  expiry?: number;
  /** Seconds from now (default 300). */
  expiresIn?: number;
  handle?: string;
  maxSize?: number;
  minSize?: number;
}
export function signPolicy(secret: string, options: SignPolicyOptions): Promise<{ policy: string; signature: string }>;
