import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { CompanyMapping, CompanyMappingAction } from '../core/companyMappings';
import { errorCode, toError } from '../core/errors';
import { isPlainObject } from '../core/payloadReader';
import { isOneOf, readPersonText } from '../core/text';
import { psaLabels, psaNames, type PsaName } from '../core/tickets';
import type { Clock } from '../ports';
import type { CompanyMappingStore, PsaTickets, StoredCompanyMapping } from '../ports/psa';
import { invalidParameter, invalidParameters, ProblemError, type InvalidParam } from './problem';
import { parseTenantId, rejectUnknownParameters } from './queryParameters';
import { commonHeaders, problemResponse } from './serveEndpoint';
import { adminKeyActor, type Actor } from './signedIn';
import { entityTag } from './waiverQueries';
import { jsonBody } from './waiverWrites';

/** What the admin-level mapping writes need. */
export interface CompanyMappingAdministration {
  mappings: CompanyMappingStore;
  /** The configured PSAs' clients: a mapping's company is checked in its PSA before it is stored. */
  psas(): Promise<PsaTickets[]>;
  clock: Clock;
}

/** The PSA a route names, among the configured ones: a 400 naming `psa` otherwise. */
function parsePsa(value: string | undefined): PsaName {
  if (!isOneOf(psaNames, value)) throw invalidParameter('psa', `must be one of ${psaNames.join(', ')}`);
  return value;
}

async function configuredClient(psa: PsaName, administration: CompanyMappingAdministration): Promise<PsaTickets> {
  const client = (await administration.psas()).find((candidate) => candidate.psa === psa);
  if (client === undefined) throw invalidParameter('psa', `is not configured: ${psaLabels[psa]} has no settings in this monitor (see the README's PSA settings)`);
  return client;
}

/** `{ companyId, note }`: the PSA's numeric company (HaloPSA: client) id, and an optional note of up to 500 characters. */
function parseMappingBody(body: unknown): { companyId: string; note: string } {
  if (!isPlainObject(body)) throw invalidParameters('Field', [{ name: 'body', reason: 'must be a JSON object' }]);
  const problems: InvalidParam[] = Object.keys(body)
    .filter((name) => name !== 'companyId' && name !== 'note')
    .map((name) => ({ name, reason: 'is not a field a mapping takes (it takes companyId, note)' }));
  const raw = typeof body.companyId === 'number' && Number.isSafeInteger(body.companyId) ? String(body.companyId) : body.companyId;
  // ConnectWise company ids, Autotask company ids and HaloPSA client ids are all integers.
  if (typeof raw !== 'string' || !/^[0-9]{1,19}$/.test(raw.trim())) problems.push({ name: 'companyId', reason: body.companyId === undefined ? 'is required' : "must be the PSA's company id: a whole number, as the PSA shows it (HaloPSA: the client id)" });
  let note = '';
  if (body.note !== undefined && body.note !== '') {
    const read = readPersonText(body.note, { maxLength: 500, multiline: true });
    if ('problem' in read) problems.push({ name: 'note', reason: read.problem });
    else note = read.text;
  }
  if (problems.length > 0 || typeof raw !== 'string') throw invalidParameters('Field', problems);
  return { companyId: raw.trim(), note };
}

function preconditionProblem(code: 'PreconditionFailed' | 'PreconditionRequired', detail: string): ProblemError {
  return new ProblemError(code, detail, { 'invalid-params': [{ name: 'If-Match', reason: detail }] });
}

const stale = (): ProblemError => preconditionProblem('PreconditionFailed', 'does not match: the mapping changed since it was read (another admin may have changed it); read it again and decide on its current state');

/** The stored mapping's ETag an If-Match names (a strong tag this API issued), `*`, or null when none is sent. */
function ifMatch(request: HttpRequest): { any: boolean; etags: string[] } | null {
  const header = request.headers.get('if-match');
  if (header === null || header.trim() === '') return null;
  if (header.trim() === '*') return { any: true, etags: [] };
  const etags = header.split(',').flatMap((tag) => {
    const match = /^\s*"([A-Za-z0-9_-]+)"\s*$/.exec(tag);
    return match ? [Buffer.from(match[1] ?? '', 'base64url').toString('utf8')] : [];
  });
  return { any: false, etags };
}

/** The mapping as it stands when If-Match allows the change: a new one needs none; a stored one needs its etag (428 without, 412 when stale). */
function checkedCondition(current: StoredCompanyMapping | null, condition: ReturnType<typeof ifMatch>): string | null {
  if (current === null) {
    if (condition !== null && !condition.any) throw stale();
    return null;
  }
  if (condition === null) throw preconditionProblem('PreconditionRequired', 'is required to change a mapping that exists: send its etag as GET /api/psa/companies lists it (or * to change it whatever its state)');
  if (!condition.any && !condition.etags.includes(current.etag)) throw stale();
  return current.etag;
}

/** A PSA that fails the company check: a 502 naming its stable code, never its answer's text. */
function psaProblem(psa: PsaName, thrown: unknown): ProblemError {
  const code = errorCode(thrown);
  const why = code === 'PsaRefused' ? 'refused the monitor\'s credentials or their permissions (run `npm run doctor`)' : code === 'PsaTimeout' ? 'did not answer in time' : `could not be asked (${code})`;
  return new ProblemError('PsaFailed', `${psaLabels[psa]} ${why}, so the company could not be checked and nothing was changed. Try again shortly.`, {}, { cause: toError(thrown) });
}

function written(status: number, mapping: StoredCompanyMapping): HttpResponseInit {
  const etag = entityTag(mapping.etag);
  const { etag: _stored, ...record } = mapping;
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', etag, ...commonHeaders }, body: JSON.stringify({ ...record, etag }) };
}

/** Logs say which PSA and customer changed, never who (a UPN). */
function logChange(context: InvocationContext, action: CompanyMappingAction, psa: PsaName, tenantId: string, actor: string): void {
  context.info(`Company mapping of ${tenantId} in ${psaLabels[psa]} ${action} ${actor === adminKeyActor ? 'with the admin key' : 'by a signed-in person (the audit trail names them)'}`);
}

type MappingWrite = (request: HttpRequest, context: InvocationContext, administration: CompanyMappingAdministration, actor: string, target: { psa: PsaName; tenantId: string }) => Promise<HttpResponseInit>;

/** As a waiver write: who makes it first, no query parameter, the route read before anything is built, every refusal a problem. */
function mappingWrite(write: MappingWrite) {
  return async (request: HttpRequest, context: InvocationContext, dependencies: () => Promise<CompanyMappingAdministration>, actor: Actor): Promise<HttpResponseInit> => {
    try {
      const who = await actor(request, context);
      rejectUnknownParameters(request.query, []);
      const target = { psa: parsePsa(request.params.psa), tenantId: parseTenantId(request.params.tenantId) };
      return await write(request, context, await dependencies(), who, target);
    } catch (thrown) {
      return problemResponse(thrown, context);
    }
  };
}

export const putCompanyMapping = mappingWrite(async (request, context, administration, actor, { psa, tenantId }) => {
  const { companyId, note } = parseMappingBody(await jsonBody(request));
  const condition = ifMatch(request);
  const current = await administration.mappings.read(psa, tenantId);
  const etag = checkedCondition(current, condition);
  const client = await configuredClient(psa, administration);
  const company = await client.readCompany(companyId).catch((thrown: unknown) => {
    throw psaProblem(psa, thrown);
  });
  if (company === null) {
    throw new ProblemError('NotFound', `${psaLabels[psa]} has no company with id ${companyId}.`, { 'invalid-params': [{ name: 'companyId', reason: `names no company in ${psaLabels[psa]} (HaloPSA: no client); copy the id from the PSA` }] });
  }
  const before = current === null ? null : (({ etag: _etag, ...mapping }) => mapping)(current);
  const after: CompanyMapping = { psa, tenantId, companyId: company.id, companyName: company.name, note, changedBy: actor, changedAt: administration.clock.now().toISOString() };
  const action: CompanyMappingAction = before === null ? 'set' : 'changed';
  const stored = await administration.mappings.put(after, etag, { at: after.changedAt, actor, action, psa, tenantId, before, after });
  if (stored === null) throw stale();
  logChange(context, action, psa, tenantId, actor);
  return written(before === null ? 201 : 200, stored);
});

export const deleteCompanyMapping = mappingWrite(async (request, context, administration, actor, { psa, tenantId }) => {
  const condition = ifMatch(request);
  if (condition === null) throw preconditionProblem('PreconditionRequired', 'is required: send the etag of the mapping as GET /api/psa/companies lists it (or * to clear it whatever its state)');
  const current = await administration.mappings.read(psa, tenantId);
  if (current === null) throw new ProblemError('NotFound', `No mapping of this customer in ${psaLabels[psa]} (it may have been cleared).`);
  const etag = checkedCondition(current, condition) ?? current.etag;
  const { etag: _etag, ...before } = current;
  if (!(await administration.mappings.delete(psa, tenantId, etag, { at: administration.clock.now().toISOString(), actor, action: 'cleared', psa, tenantId, before, after: null }))) throw stale();
  logChange(context, 'cleared', psa, tenantId, actor);
  return { status: 204, headers: commonHeaders };
});
