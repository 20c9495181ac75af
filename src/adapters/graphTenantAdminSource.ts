import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import type { HttpConfig } from '../config';
import type { CannotSeeReason, TenantScanResult } from '../core/adminScan';
import { parseConditionalAccessPolicy, parseSecurityDefaults, type ConditionalAccessPolicy } from '../core/adminMfaPolicies';
import { causeChain, TenantThrottledError } from '../core/errors';
import { parseGraphPage } from '../core/parseCollectionPage';
import {
  adminsOfRoles, parseDirectoryRole, parseRegistrationDetails, registrationFromMethods, tenantScan, type AdminRegistration, type DirectoryRoleMembers,
} from '../core/parseTenantAdmins';
import type { TenantAdminSource } from '../ports';
import { ApiClient, ApiError } from './apiClient';
import { CustomerTokenRefusedError, type CustomerTenantTokens } from './customerTenantCredential';
import { graphPages, type ItemParser } from './graphPages';

/**
 * One customer tenant's admins through Graph v1.0 there (see docs/customer-admins.md):
 * `directoryRoles?$expand=members` (roles per admin), security defaults, Conditional Access
 * policies, and the `userRegistrationDetails` report of admins; without Entra ID P1/P2 the
 * report is refused, and each role member's `authentication/methods` is read instead.
 * Refusals are results (`cannotSee`); 429s are thrown (TenantThrottledError) for the caller to
 * reschedule; 5xx and timeouts are retried a bounded number of times by the ApiClient, then thrown.
 */
const paths = {
  registrationDetails: '/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isAdmin eq true',
  directoryRoles: '/v1.0/directoryRoles?$expand=members',
  securityDefaults: '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy',
  conditionalAccessPolicies: '/v1.0/identity/conditionalAccess/policies',
  methods: (userId: string) => `/v1.0/users/${encodeURIComponent(userId)}/authentication/methods`,
};

/**
 * AADSTS codes of a refused token, by what they mean for the partner (Microsoft Entra
 * authentication and authorization error codes; "Error AADSTS50020 - User account from identity
 * provider does not exist in tenant"): the tenant is gone; the app is not in, or not consented
 * in, the tenant; the partner's user has no access there (no GDAP relationship).
 */
const tokenRefusalReasons: Record<number, CannotSeeReason> = {
  90002: 'tenantDeleted',
  700016: 'appNotConsented',
  65001: 'appNotConsented',
  500011: 'appNotConsented',
  7000112: 'appNotConsented',
  50020: 'noGdapRelationship',
};

/** Graph's refusal of the registration report in a tenant without Entra ID P1/P2 (the code, and the message CIPP meets). */
function isMissingLicence(error: unknown): boolean {
  if (!(error instanceof ApiError) || error.status !== 403 || error.answer === null) return false;
  return error.answer.code === 'Authentication_RequestFromNonPremiumTenantOrB2CTenant' || /premium licen[cs]e/i.test(error.answer.message ?? '');
}

class CannotSee extends Error {
  constructor(
    readonly reason: CannotSeeReason,
    readonly detail: string | null,
  ) {
    super(reason);
  }
}

/** A refusal as the reason the tenant cannot be seen into; a 429 as TenantThrottledError; anything else unchanged. */
function classified(error: unknown, refusedAs: CannotSeeReason = 'roleLacksPermission'): unknown {
  for (const link of causeChain(error)) {
    if (link instanceof TenantThrottledError || link instanceof CannotSee) return link;
    if (link instanceof CustomerTokenRefusedError) {
      const reason = link.errorCodes.map((code) => tokenRefusalReasons[code]).find((found) => found !== undefined);
      return reason === undefined ? error : new CannotSee(reason, link.detail);
    }
  }
  if (error instanceof ApiError && error.status === 429) return new TenantThrottledError('Microsoft Graph', error.answer?.retryAfterMs ?? 60_000);
  if (error instanceof ApiError && error.status === 403) return new CannotSee(refusedAs, error.message);
  return error;
}

export class GraphTenantAdminSource implements TenantAdminSource {
  private readonly httpClient: HttpClient;

  constructor(private readonly options: { graphBaseUrl: string; scope: string; http: HttpConfig; tokens: CustomerTenantTokens; httpClient?: HttpClient }) {
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
  }

  async scanTenant(tenantId: string): Promise<TenantScanResult> {
    let requests = 0;
    const count = (): void => {
      requests += 1;
    };
    const { tokens, http, graphBaseUrl, scope } = this.options;
    const client = new ApiClient({
      service: 'Graph (customer tenant)',
      baseUrl: graphBaseUrl,
      scope,
      credential: { getToken: () => tokens.token(tenantId, count) },
      http,
      httpClient: {
        sendRequest: (request) => {
          count();
          return this.httpClient.sendRequest(request);
        },
      },
      throttlingIsAnswer: true,
    });
    try {
      // The token first, alone: a tenant that refuses it is not asked four times.
      await tokens.token(tenantId, count);
      const [roles, securityDefaultsEnabled, policies, registrations] = await Promise.all([
        collect(client, paths.directoryRoles, 'directoryRoles', parseDirectoryRole),
        client.getJson(paths.securityDefaults).then((body) => parseSecurityDefaults(body, 'identitySecurityDefaultsEnforcementPolicy')),
        conditionalAccessPolicies(client),
        collect(client, paths.registrationDetails, 'userRegistrationDetails', parseRegistrationDetails).catch((error: unknown) => {
          if (isMissingLicence(error)) return null;
          throw error;
        }),
      ]);
      if (registrations !== null) return tenantScan({ source: 'registrationDetails', registrations, roles, securityDefaultsEnabled, policies, requests });
      const fallback = await registrationsFromMethods(client, roles);
      return tenantScan({ source: 'directoryRoles', registrations: fallback, roles, securityDefaultsEnabled, policies, requests });
    } catch (error) {
      const outcome = classified(error);
      if (outcome instanceof CannotSee) return { outcome: 'cannotSee', reason: outcome.reason, detail: outcome.detail, requests };
      throw outcome;
    }
  }
}

async function collect<T>(client: ApiClient, path: string, label: string, parse: ItemParser<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of graphPages(client, path, label, parse)) items.push(...page);
  return items;
}

/**
 * Enabled-or-not, every policy. A tenant without P1 has no Conditional Access: its refusal of the
 * list (the licence answer) is read as no policies, as the registration report's is read as "fall back".
 */
async function conditionalAccessPolicies(client: ApiClient): Promise<ConditionalAccessPolicy[]> {
  try {
    return await collect(client, paths.conditionalAccessPolicies, 'conditionalAccessPolicies', parseConditionalAccessPolicy);
  } catch (error) {
    if (isMissingLicence(error)) return [];
    throw error;
  }
}

/** The fallback without P1: each role member's registered methods; a refusal there is "licence missing, fallback failed". */
async function registrationsFromMethods(client: ApiClient, roles: readonly DirectoryRoleMembers[]): Promise<AdminRegistration[]> {
  const admins = [...adminsOfRoles(roles).values()];
  try {
    return await Promise.all(
      admins.map(async (admin) => {
        const label = 'authentication/methods';
        const page = parseGraphPage(await client.getJson(paths.methods(admin.userId)), label);
        return registrationFromMethods(admin, page.items, label);
      }),
    );
  } catch (error) {
    throw classified(error, 'licenseMissingFallbackFailed');
  }
}
