import type { TableEntity } from '@azure/data-tables';
import {
  readRequirementFields,
  requirementKinds,
  type NonMfaPrincipal,
  type PartnerSecurityScore,
  type RegistrationCounts,
  type ScoreHistoryEntry,
  type SecurityRequirement,
} from '../core/model';
import { toTableKey } from './tableKey';
import { fixedPartitions, principalKey, requirementRowKey } from './tableLayout';
import { jsonField, oneOf, optionalNumber, optionalText, requiredText } from './unreadableRows';

/**
 * The rows of a snapshot run other than the customers' (customerRows.ts): one mapper pair per
 * table. Azure Tables stores no nulls, so an unknown value is a property left out, read back as null.
 */
type Row = Record<string, unknown>;
type Stored<T> = { [Field in keyof T]?: Exclude<T[Field], null> };

function known<T extends object>(values: T): Stored<T> {
  // fromEntries is untyped: the entries are `values`' own, less the nulls.
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null)) as Stored<T>;
}

export const requirementRow = {
  to: (runId: string, requirement: SecurityRequirement): TableEntity<Stored<SecurityRequirement> & { runId: string }> => ({
    partitionKey: fixedPartitions.requirements,
    rowKey: requirementRowKey(runId, requirement.requirementType),
    runId,
    ...known(requirement),
  }),
  from: (row: Row): SecurityRequirement => ({
    requirementType: requiredText('requirements', row, 'requirementType'),
    kind: oneOf('requirements', row, 'kind', requirementKinds),
    odataType: optionalText(row, 'odataType'),
    id: optionalText(row, 'id'),
    // Stored as parsed: numbers for counts and singles, text for the rest.
    ...readRequirementFields((name, kind) => (kind === 'integer' || kind === 'single' ? optionalNumber(row, name) : optionalText(row, name))),
  }),
};

export const scoreRow = {
  to: (runId: string, score: PartnerSecurityScore): TableEntity<Stored<PartnerSecurityScore> & { runId: string }> => ({ partitionKey: fixedPartitions.scores, rowKey: runId, runId, ...known(score) }),
  from: (row: Row): PartnerSecurityScore => ({
    id: optionalText(row, 'id'),
    currentScore: optionalNumber(row, 'currentScore'),
    maxScore: optionalNumber(row, 'maxScore'),
    lastRefreshDateTime: optionalText(row, 'lastRefreshDateTime'),
    updatedDateTime: optionalText(row, 'updatedDateTime'),
  }),
};

export const scoreHistoryRow = {
  /** One row per history entry, keyed by its time: each run upserts the entries it saw. */
  to: (runId: string, entry: ScoreHistoryEntry): TableEntity<Stored<ScoreHistoryEntry> & { lastSeenRunId: string }> => ({
    partitionKey: fixedPartitions.scoreHistory,
    rowKey: toTableKey(entry.createdDateTime),
    lastSeenRunId: runId,
    ...known(entry),
  }),
  from: (row: Row): ScoreHistoryEntry => ({
    id: optionalText(row, 'id'),
    createdDateTime: requiredText('scoreHistory', row, 'createdDateTime'),
    score: optionalNumber(row, 'score'),
    compliantRequirementsCount: optionalNumber(row, 'compliantRequirementsCount'),
    totalRequirementsCount: optionalNumber(row, 'totalRequirementsCount'),
  }),
};

export const principalRow = {
  select: ['objectId', 'tenantId', 'upn', 'lastNonMfaRequestDateTime'],
  to: (runId: string, principal: NonMfaPrincipal): TableEntity<Stored<NonMfaPrincipal>> => ({ ...principalKey(runId, principal.objectId, principal.lastNonMfaRequestDateTime), ...known(principal) }),
  from: (row: Row): NonMfaPrincipal => ({
    objectId: requiredText('principals', row, 'objectId'),
    tenantId: optionalText(row, 'tenantId'),
    upn: optionalText(row, 'upn'),
    lastNonMfaRequestDateTime: requiredText('principals', row, 'lastNonMfaRequestDateTime'),
  }),
};

/** Registration counts as a run stored them, with why the replacement report was used (null: the legacy one answered). */
export type StoredRegistrationCounts = RegistrationCounts & { fallbackReason: string | null };

const registrationReports: readonly RegistrationCounts['report'][] = ['credentialUserRegistrationCount', 'usersRegisteredByFeature'];

export const registrationRow = {
  to: (runId: string, counts: StoredRegistrationCounts): TableEntity<Stored<Omit<StoredRegistrationCounts, 'countsByStatus'>> & { runId: string; countsByStatus: string }> => ({
    partitionKey: fixedPartitions.registrations,
    rowKey: runId,
    runId,
    ...known({ report: counts.report, totalUserCount: counts.totalUserCount, mfaRegisteredUserCount: counts.mfaRegisteredUserCount, fallbackReason: counts.fallbackReason }),
    countsByStatus: JSON.stringify(counts.countsByStatus),
  }),
  from: (row: Row): StoredRegistrationCounts => ({
    report: oneOf('registrations', row, 'report', registrationReports),
    totalUserCount: optionalNumber(row, 'totalUserCount'),
    mfaRegisteredUserCount: optionalNumber(row, 'mfaRegisteredUserCount'),
    countsByStatus: jsonField<Record<string, number>>('registrations', row, 'countsByStatus', {}),
    fallbackReason: optionalText(row, 'fallbackReason'),
  }),
};
