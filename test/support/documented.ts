import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fault } from '../../tools/simulator';

const folder = join(__dirname, '..', 'fixtures', 'documented');

/**
 * A documented example from test/fixtures/documented (sources.md says where each comes from),
 * exactly as documented: each file ends with one newline that is not part of the example.
 */
export function documentedExample(name: string): string {
  return readFileSync(join(folder, name), 'utf8').replace(/\n$/, '');
}

/** Serve `body` verbatim, once, for a path under the service's base URL (one per page, in order). */
export function verbatim(service: 'graph' | 'partnerCenter', path: string, body: string): Fault {
  return { kind: 'verbatim', status: 200, body, service, path, times: 1 };
}

export const graphPaths = {
  score: '/beta/security/partner/securityScore',
  requirements: '/beta/security/partner/securityScore/requirements',
  customerInsights: '/beta/security/partner/securityScore/customerInsights',
  history: '/beta/security/partner/securityScore/history',
  credentialUserRegistrationCount: '/beta/reports/getCredentialUserRegistrationCount',
  delegatedAdminCustomers: '/v1.0/tenantRelationships/delegatedAdminCustomers',
} as const;

export const partnerCenterPaths = {
  nonMfaCompliantPartnerPrincipals: '/v1/nonMfaCompliantPartnerPrincipals',
  customers: '/v1/customers',
} as const;

/** A Graph collection around documented items, keeping each item's bytes as documented. */
export function graphCollection(...items: string[]): string {
  return `{"value":[${items.join(',')}]}`;
}
