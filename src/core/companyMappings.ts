import type { PsaName } from './tickets';

/**
 * An admin's explicit choice of the PSA company (ConnectWise, Autotask) or client (HaloPSA) a
 * customer's tickets are filed under: it wins over a match by domain or name. Audited like
 * waivers: every change is kept with who made it, and the mapping before and after.
 */
export interface CompanyMapping {
  psa: PsaName;
  /** The customer tenant, lower case. */
  tenantId: string;
  /** The PSA's id of the company, as text; checked against the PSA when set. */
  companyId: string;
  /** The company's name as the PSA gave it when the mapping was set. */
  companyName: string;
  /** Why this company, for whoever reads the audit trail (may be empty). */
  note: string;
  changedBy: string;
  changedAt: string;
}

export const companyMappingActions = ['set', 'changed', 'cleared'] as const;
export type CompanyMappingAction = (typeof companyMappingActions)[number];

/** One change to a mapping, kept for ever. */
export interface CompanyMappingAuditEntry {
  at: string;
  actor: string;
  action: CompanyMappingAction;
  psa: PsaName;
  tenantId: string;
  before: CompanyMapping | null;
  after: CompanyMapping | null;
}

/**
 * How a customer's tickets find their company in one PSA, as the mapping list shows it: an
 * admin's `mapping`; a company found by the customer's `domain` or `name`; a `gap` (its tickets go
 * to the fallback company); or `notLookedUp`, unmapped and not asked of the PSA in that answer.
 */
export const companyStatuses = ['mapping', 'domain', 'name', 'gap', 'notLookedUp'] as const;
export type CompanyStatus = (typeof companyStatuses)[number];
