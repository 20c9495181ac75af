import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isPlainObject } from '../core/payloadReader';
import { isRunId } from '../core/snapshotRun';

/**
 * Where the next page of a listing starts: the run (so paging stays on the snapshot it began
 * with even when a newer one completes; empty for the findings, which are of no run) and the
 * last row returned (its partition and row key; for a finding, its severity and key).
 * `query` fingerprints the filters, so a token cannot be replayed under others.
 */
export interface PagePosition {
  query: string;
  runId: string;
  partitionKey: string;
  rowKey: string;
}

export interface ContinuationTokens {
  encode(position: PagePosition): string;
  /** The position; `otherVersion` for a genuine token of an earlier layout; null when malformed, altered or signed with another key. */
  decode(token: string): PagePosition | 'otherVersion' | null;
}

const maxTokenLength = 2048;
/**
 * The version of what a token holds, signed with it. Tokens of another version (an earlier
 * deployment's) are refused as such, so the caller is told to start again, not that it erred.
 */
const tokenVersion = 2;

/**
 * Tokens are `base64url(JSON).base64url(HMAC-SHA256)`. A checksum would only catch accidents;
 * the HMAC makes every altered or invented token a 400, so a client can only hand back
 * positions this API produced. (Values from a token are also validated and reach Table filters
 * through the SDK's `odata` escaping, so even a leaked key could not inject a filter.)
 * The key comes from a setting shared by every instance; without one, a random key per process
 * is used, and tokens then end with a restart or on another instance (a 400: start again).
 */
export function continuationTokens(secret: string | null): ContinuationTokens {
  const key = createHash('sha256').update('mfa-monitor continuation token v1\0').update(secret ?? randomBytes(32)).digest();
  const sign = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest();
  return {
    encode(position) {
      const payload = Buffer.from(JSON.stringify({ v: tokenVersion, q: position.query, r: position.runId, p: position.partitionKey, k: position.rowKey })).toString('base64url');
      return `${payload}.${sign(payload).toString('base64url')}`;
    },
    decode(token) {
      if (token.length > maxTokenLength) return null;
      const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (match === null) return null;
      const [, payload = '', signature = ''] = match;
      const given = Buffer.from(signature, 'base64url');
      const expected = sign(payload);
      // Only the canonical spelling: base64url's last character has spare bits a forger could flip.
      if (given.toString('base64url') !== signature) return null;
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return toPosition(payload);
    },
  };
}

function toPosition(payload: string): PagePosition | 'otherVersion' | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const { v, q, r, p, k }: Record<string, unknown> = isPlainObject(parsed) ? parsed : {};
  if (v !== tokenVersion) return 'otherVersion';
  if (typeof q !== 'string' || typeof r !== 'string' || (r !== '' && !isRunId(r)) || typeof k !== 'string' || k.length > 1024 || typeof p !== 'string' || p.length > 1024) return null;
  return { query: q, runId: r, partitionKey: p, rowKey: k };
}
