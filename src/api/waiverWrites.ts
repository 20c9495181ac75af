import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { WaiverConfig } from '../config';
import type { Clock, RecordedFindings, StoredWaiver, WaiverStore } from '../ports';
import { invalidParameter, invalidParameters, ProblemError } from './problem';
import { parseWaiverId, rejectUnknownParameters } from './queryParameters';
import { documentedRequirementType, documentedRequirementTypes, type Waiver, type WaiverAction, type WaiverDraft } from '../core/waivers';
import { parseWaiverChanges, parseWaiverDraft } from './waiverDrafts';
import { commonHeaders, problemResponse } from './serveEndpoint';
import { entityTag } from './waiverQueries';
import { adminKeyActor, type Actor } from './signedIn';

/** What the admin-level waiver writes need. */
export interface WaiverAdministration {
  waivers: WaiverStore;
  findings: RecordedFindings;
  clock: Clock;
  settings: WaiverConfig;
}

/** A waiver is a few hundred characters: anything much larger is not one. */
const maxBodyBytes = 16_384;

function preconditionProblem(code: 'PreconditionFailed' | 'PreconditionRequired', detail: string): ProblemError {
  return new ProblemError(code, detail, { 'invalid-params': [{ name: 'If-Match', reason: detail }] });
}

export async function jsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBodyBytes) throw invalidParameter('body', `must be at most ${maxBodyBytes} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw invalidParameter('body', 'must be a JSON object (Content-Type: application/json)');
  }
}

/**
 * The stored ETag an If-Match names: `*` (any), or one of the entity tags this API issued. A
 * change without If-Match is refused (428): two admins editing at once must not silently
 * overwrite each other.
 */
function ifMatch(request: HttpRequest): { any: true } | { any: false; etags: string[] } {
  const header = request.headers.get('if-match');
  if (header === null || header.trim() === '') throw preconditionProblem('PreconditionRequired', 'is required: send the etag of the waiver as GET /api/waivers lists it (or * to change it whatever its state)');
  if (header.trim() === '*') return { any: true };
  const etags = header.split(',').flatMap((tag) => {
    const match = /^\s*"([A-Za-z0-9_-]+)"\s*$/.exec(tag);
    return match ? [Buffer.from(match[1] ?? '', 'base64url').toString('utf8')] : [];
  });
  return { any: false, etags };
}

/** The stored waiver an update or delete names, when If-Match matches it: a 404 or 412 otherwise. */
async function matchingWaiver(waivers: WaiverStore, id: string, condition: ReturnType<typeof ifMatch>): Promise<StoredWaiver> {
  const current = await waivers.readWaiver(id);
  if (current === null) throw new ProblemError('NotFound', 'No waiver has this id (it may have been deleted).');
  if (!condition.any && !condition.etags.includes(current.etag)) throw stale();
  return current;
}

function stale(): ProblemError {
  return preconditionProblem('PreconditionFailed', 'does not match: the waiver changed since it was read (another admin may have changed it); read it again and decide on its current state');
}

function written(status: number, waiver: StoredWaiver): HttpResponseInit {
  const etag = entityTag(waiver.etag);
  const { etag: _stored, ...record } = waiver;
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', etag, ...commonHeaders }, body: JSON.stringify({ ...record, etag }) };
}

/** Logs say what happened to which waiver, never who (a UPN) nor what it silences (a UPN pattern). */
function logChange(context: InvocationContext, action: WaiverAction, waiver: Pick<Waiver, 'id' | 'scope'>, actor: string): void {
  context.info(`Waiver ${waiver.id} (${waiver.scope}) ${action} ${actor === adminKeyActor ? 'with the admin key' : 'by a signed-in person (the audit trail names them)'}`);
}

/**
 * A finding or requirement waiver must name something the monitor knows, or it silences nothing
 * while its author believes otherwise (a typo, `notARequirement`). A finding key must be one a
 * finding has, open or resolved: keys are copied from the API, and a change not seen yet is waived
 * by customer or requirement. A requirement type must be one Microsoft documents (stored as Graph
 * spells it) or one a finding is about (a type Microsoft added since). The other scopes are whole
 * customers and UPN patterns, checked by their form alone.
 */
async function namedTarget(draft: WaiverDraft, findings: RecordedFindings): Promise<WaiverDraft> {
  if (draft.scope === 'finding' && !(await findings.hasFinding(draft.target))) {
    throw invalidParameters('Field', [{ name: 'target', reason: 'must be the key of a finding the monitor has recorded, open or resolved (copy it from GET /api/findings?state=all); no finding has this key' }]);
  }
  if (draft.scope === 'requirement') {
    const documented = documentedRequirementType(draft.target);
    if (documented !== null) return { ...draft, target: documented };
    if (!(await findings.hasRequirementFinding(draft.target))) {
      throw invalidParameters('Field', [{ name: 'target', reason: `must be a requirement type Microsoft documents (${documentedRequirementTypes.join(', ')}) or one a finding is about` }]);
    }
  }
  return draft;
}

type WaiverWrite = (request: HttpRequest, context: InvocationContext, dependencies: () => Promise<WaiverAdministration>, actor: string) => Promise<HttpResponseInit>;

/**
 * A write knows who makes it before anything else is read (the admin key, or a signed-in person
 * with the waiver admin role: `actor`), takes no query parameter, and answers everything it
 * refuses as a problem.
 */
function waiverWrite(write: WaiverWrite) {
  return async (request: HttpRequest, context: InvocationContext, dependencies: () => Promise<WaiverAdministration>, actor: Actor): Promise<HttpResponseInit> => {
    try {
      const who = await actor(request, context);
      rejectUnknownParameters(request.query, []);
      return await write(request, context, dependencies, who);
    } catch (thrown) {
      return problemResponse(thrown, context);
    }
  };
}

export const createWaiver = waiverWrite(async (request, context, dependencies, actor) => {
  const { waivers, findings, clock, settings } = await dependencies();
  const now = clock.now();
  const draft = await namedTarget(parseWaiverDraft(await jsonBody(request), now, settings.maxDays), findings);
  const at = now.toISOString();
  const waiver: Waiver = { id: randomBytes(6).toString('hex'), ...draft, createdAt: at, createdBy: actor, updatedAt: at, updatedBy: actor };
  const stored = await waivers.createWaiver(waiver, { at, actor, action: 'created', waiverId: waiver.id, before: null, after: waiver });
  logChange(context, 'created', waiver, actor);
  return written(201, stored);
});

export const updateWaiver = waiverWrite(async (request, context, dependencies, actor) => {
  const id = parseWaiverId(request.params.id ?? '', 'id');
  const { waivers, clock, settings } = await dependencies();
  const now = clock.now();
  const changes = parseWaiverChanges(await jsonBody(request), now, settings.maxDays);
  const { etag, ...before } = await matchingWaiver(waivers, id, ifMatch(request));
  const after: Waiver = { ...before, ...changes, updatedAt: now.toISOString(), updatedBy: actor };
  const stored = await waivers.updateWaiver(after, etag, { at: after.updatedAt, actor, action: 'changed', waiverId: id, before, after });
  if (stored === null) throw stale();
  logChange(context, 'changed', after, actor);
  return written(200, stored);
});

export const deleteWaiver = waiverWrite(async (request, context, dependencies, actor) => {
  const id = parseWaiverId(request.params.id ?? '', 'id');
  const condition = ifMatch(request);
  const { waivers, clock } = await dependencies();
  const { etag, ...before } = await matchingWaiver(waivers, id, condition);
  if (!(await waivers.deleteWaiver(id, etag, { at: clock.now().toISOString(), actor, action: 'deleted', waiverId: id, before, after: null }))) throw stale();
  logChange(context, 'deleted', before, actor);
  return { status: 204, headers: commonHeaders };
});
