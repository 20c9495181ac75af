import { randomBytes } from 'node:crypto';
import { isPlainObject } from '../core/payloadReader';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { WaiverConfig } from '../config';
import type { Clock, RecordedFindings, StoredWaiver, WaiverStore } from '../ports';
import { invalidParameter, invalidParameters, ProblemError } from './problem';
import { parseWaiverId, rejectUnknownParameters } from './queryParameters';
import { documentedRequirementType, documentedRequirementTypes, type Waiver, type WaiverAction, type WaiverDraft } from '../core/waivers';
import { parseWaiverChanges, parseWaiverDraft } from './waiverDrafts';
import { commonHeaders, problemResponse } from './serveEndpoint';
import { entityTag } from './waiverQueries';

/** What the admin-level waiver writes need. */
export interface WaiverAdministration {
  waivers: WaiverStore;
  findings: RecordedFindings;
  clock: Clock;
  settings: WaiverConfig;
}

/** The actor recorded when no trustworthy identity comes with the request. */
const adminKeyActor = 'admin key';

/** A waiver is a few hundred characters: anything much larger is not one. */
const maxBodyBytes = 16_384;

function preconditionProblem(code: 'PreconditionFailed' | 'PreconditionRequired', detail: string): ProblemError {
  return new ProblemError(code, detail, { 'invalid-params': [{ name: 'If-Match', reason: detail }] });
}

/**
 * Who made a change. App Service Authentication (Easy Auth) injects X-MS-CLIENT-PRINCIPAL-NAME
 * and X-MS-CLIENT-PRINCIPAL and strips them from incoming requests, so they can be believed only
 * when it is enabled (EASY_AUTH_IDENTITY=true); otherwise anyone could send them, and the change
 * is recorded as made with the admin key.
 */
function actorOf(request: Pick<HttpRequest, 'headers'>, easyAuthIdentity: boolean): string {
  if (!easyAuthIdentity) return adminKeyActor;
  const name = request.headers.get('x-ms-client-principal-name')?.trim();
  if (name) return name.slice(0, 200);
  const encoded = request.headers.get('x-ms-client-principal');
  if (encoded) {
    try {
      const principal: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      const claims = isPlainObject(principal) && Array.isArray(principal.claims) ? principal.claims.filter(isPlainObject) : [];
      const wanted = [isPlainObject(principal) ? principal.name_typ : undefined, 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'name'];
      for (const type of wanted) {
        const value = claims.find((candidate) => candidate.typ === type && typeof candidate.val === 'string' && candidate.val !== '')?.val;
        if (typeof value === 'string') return value.slice(0, 200);
      }
    } catch {
      // An unreadable principal names no one: the admin key stands for the change.
    }
  }
  return adminKeyActor;
}

async function jsonBody(request: HttpRequest): Promise<unknown> {
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
  context.info(`Waiver ${waiver.id} (${waiver.scope}) ${action} with ${actor === adminKeyActor ? 'the admin key, no signed-in user' : 'the admin key by a signed-in user (see the audit trail)'}`);
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

type WaiverWrite = (request: HttpRequest, context: InvocationContext, dependencies: () => Promise<WaiverAdministration>) => Promise<HttpResponseInit>;

/** A write takes no query parameter, and answers everything it refuses as a problem. */
function waiverWrite(write: WaiverWrite): WaiverWrite {
  return async (request, context, dependencies) => {
    try {
      rejectUnknownParameters(request.query, []);
      return await write(request, context, dependencies);
    } catch (thrown) {
      return problemResponse(thrown, context);
    }
  };
}

export const createWaiver = waiverWrite(async (request, context, dependencies) => {
  const { waivers, findings, clock, settings } = await dependencies();
  const now = clock.now();
  const draft = await namedTarget(parseWaiverDraft(await jsonBody(request), now, settings.maxDays), findings);
  const actor = actorOf(request, settings.easyAuthIdentity);
  const at = now.toISOString();
  const waiver: Waiver = { id: randomBytes(6).toString('hex'), ...draft, createdAt: at, createdBy: actor, updatedAt: at, updatedBy: actor };
  const stored = await waivers.createWaiver(waiver, { at, actor, action: 'created', waiverId: waiver.id, before: null, after: waiver });
  logChange(context, 'created', waiver, actor);
  return written(201, stored);
});

export const updateWaiver = waiverWrite(async (request, context, dependencies) => {
  const id = parseWaiverId(request.params.id ?? '', 'id');
  const { waivers, clock, settings } = await dependencies();
  const now = clock.now();
  const changes = parseWaiverChanges(await jsonBody(request), now, settings.maxDays);
  const { etag, ...before } = await matchingWaiver(waivers, id, ifMatch(request));
  const actor = actorOf(request, settings.easyAuthIdentity);
  const after: Waiver = { ...before, ...changes, updatedAt: now.toISOString(), updatedBy: actor };
  const stored = await waivers.updateWaiver(after, etag, { at: after.updatedAt, actor, action: 'changed', waiverId: id, before, after });
  if (stored === null) throw stale();
  logChange(context, 'changed', after, actor);
  return written(200, stored);
});

export const deleteWaiver = waiverWrite(async (request, context, dependencies) => {
  const id = parseWaiverId(request.params.id ?? '', 'id');
  const condition = ifMatch(request);
  const { waivers, clock, settings } = await dependencies();
  const { etag, ...before } = await matchingWaiver(waivers, id, condition);
  const actor = actorOf(request, settings.easyAuthIdentity);
  if (!(await waivers.deleteWaiver(id, etag, { at: clock.now().toISOString(), actor, action: 'deleted', waiverId: id, before, after: null }))) throw stale();
  logChange(context, 'deleted', before, actor);
  return { status: 204, headers: commonHeaders };
});
