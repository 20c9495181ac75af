import { invalidParameters, type InvalidParam } from './problem';
import { guidPattern, readDateTime } from './queryParameters';
import { isPlainObject } from '../core/payloadReader';
import { isOneOf, readPersonText } from '../core/text';
import { customerAdminsTarget, customerAdminsTargetProblem, globTargetProblem, waiverScopes, type WaiverChanges, type WaiverDraft, type WaiverScope } from '../core/waivers';

/*
 * What an admin sends to create or change a waiver, checked field by field: a 400 in the API's
 * problem shape names every field that is wrong. What a valid waiver is lives in the core.
 */

const waiverLimits = { reason: 500, owner: 200, target: 400 } as const;

/**
 * What a target must look like for its scope. Whether a finding key or a requirement type names
 * something the monitor knows is asked of the store when the waiver is created (waiverWrites).
 */
function targetProblem(scope: WaiverScope, target: string): string | null {
  switch (scope) {
    case 'customer':
      return guidPattern.test(target) ? null : 'must be the customer tenant id (a GUID) when scope is customer';
    case 'requirement':
      // Hyphens: a requirement Graph gave no type for is keyed on its id, sometimes a GUID.
      return /^[A-Za-z0-9][A-Za-z0-9-]{0,199}$/.test(target) ? null : 'must be a requirement type (letters, digits and hyphens, e.g. mfaEnforcedForAdmins) when scope is requirement';
    case 'partnerUsers':
      return globTargetProblem(target);
    case 'customerAdmins':
      return customerAdminsTargetProblem(target);
    case 'finding':
      return null;
  }
}

/** Target, owner and reason: text a person sent, read by the one rule for such text (see readPersonText). */
function textField(body: Record<string, unknown>, name: keyof typeof waiverLimits, problems: InvalidParam[]): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  const read = readPersonText(value, { maxLength: waiverLimits[name], multiline: name === 'reason' });
  if ('problem' in read) {
    problems.push({ name, reason: read.problem });
    return undefined;
  }
  return read.text;
}

/** An expiry in the future and at most `maxDays` away; a bare date means the end of that day (UTC). */
function expiryField(body: Record<string, unknown>, now: Date, maxDays: number, problems: InvalidParam[]): string | undefined {
  const value = body.expiresAt;
  if (value === undefined) return undefined;
  // Anything but text fails on its form.
  const read = readDateTime(typeof value === 'string' ? value : '', 'end');
  if ('problem' in read) problems.push({ name: 'expiresAt', reason: read.problem });
  else if (read.time <= now.getTime()) problems.push({ name: 'expiresAt', reason: 'must be in the future' });
  else if (read.time > now.getTime() + maxDays * 86_400_000) {
    problems.push({ name: 'expiresAt', reason: `must be at most ${maxDays} days from now (WAIVER_MAX_DAYS): a waiver is renewed on purpose, not kept for ever` });
  } else return new Date(read.time).toISOString();
  return undefined;
}

/** The body, when it is an object of `allowed` fields only; a 400 names each other field (a `fixed` one as what cannot change). */
function objectBody(body: unknown, allowed: readonly string[], fixed: readonly string[] = []): Record<string, unknown> {
  if (!isPlainObject(body)) throw invalidParameters('Field', [{ name: 'body', reason: 'must be a JSON object' }]);
  const unknown = Object.keys(body).filter((name) => !allowed.includes(name));
  const reason = (name: string): string =>
    fixed.includes(name) ? 'cannot change: what a waiver silences is fixed; delete it and create another' : `is not a field a waiver takes here (it takes ${allowed.join(', ')})`;
  if (unknown.length > 0) throw invalidParameters('Field', unknown.map((name) => ({ name, reason: reason(name) })));
  return body;
}

/** A new waiver as an admin sent it, checked: every field is required; a 400 names each one that is wrong. */
export function parseWaiverDraft(body: unknown, now: Date, maxDays: number): WaiverDraft {
  const fields = objectBody(body, ['scope', 'target', 'reason', 'owner', 'expiresAt']);
  const problems: InvalidParam[] = [];
  const scope = isOneOf(waiverScopes, fields.scope) ? fields.scope : undefined;
  if (scope === undefined) problems.push({ name: 'scope', reason: `must be one of ${waiverScopes.join(', ')}` });
  let target = textField(fields, 'target', problems);
  if (target !== undefined && scope !== undefined) {
    const problem = targetProblem(scope, target);
    if (problem !== null) {
      problems.push({ name: 'target', reason: problem });
      target = undefined;
    }
  }
  const reason = textField(fields, 'reason', problems);
  const owner = textField(fields, 'owner', problems);
  const expiresAt = expiryField(fields, now, maxDays, problems);
  for (const name of ['target', 'reason', 'owner', 'expiresAt'] as const) {
    if (fields[name] === undefined) problems.push({ name, reason: 'is required' });
  }
  // A field left undefined has a problem of its own: the checks after the first only tell TypeScript so.
  if (problems.length > 0 || scope === undefined || target === undefined || reason === undefined || owner === undefined || expiresAt === undefined) throw invalidParameters('Field', problems);
  // Tenant ids are stored lower-case, as Graph serves them (a pattern as written: it matches in any case).
  const admins = scope === 'customerAdmins' ? customerAdminsTarget(target) : null;
  const stored = scope === 'customer' ? target.toLowerCase() : admins !== null ? `${admins.tenantId}/${admins.pattern}` : target;
  return { scope, target: stored, reason, owner, expiresAt };
}

/** Changes to a waiver, checked as a new one would be; at least one field. What it silences cannot change. */
export function parseWaiverChanges(body: unknown, now: Date, maxDays: number): WaiverChanges {
  const fields = objectBody(body, ['reason', 'owner', 'expiresAt'], ['scope', 'target']);
  const problems: InvalidParam[] = [];
  // Only the fields sent: the changes are spread over the stored waiver.
  const changes: WaiverChanges = {};
  for (const name of ['reason', 'owner'] as const) {
    const text = textField(fields, name, problems);
    if (text !== undefined) changes[name] = text;
  }
  const expiresAt = expiryField(fields, now, maxDays, problems);
  if (expiresAt !== undefined) changes.expiresAt = expiresAt;
  if (problems.length > 0) throw invalidParameters('Field', problems);
  if (Object.keys(fields).length === 0) throw invalidParameters('Field', [{ name: 'body', reason: 'must change at least one of reason, owner, expiresAt' }]);
  return changes;
}
