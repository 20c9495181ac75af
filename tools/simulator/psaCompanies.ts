/*
 * The companies (clients) every simulated PSA lists, the same in each: the partner's own, then
 * most customers as Partner Center names them, so mapping by name and by domain and its gaps
 * are all exercised:
 * - 70 % listed under the customer's name, their website the tenant's domain;
 * - 15 % under another name ("<name> (old)"), found only by the website;
 * - 15 % not listed: a mapping gap, whose tickets go to the fallback company.
 */
import type { FaultBook } from './faultBook';
import { customerDomain, customerName } from './population';
import { unit } from './random';
import type { SimulatedCompany } from './types';

const LISTING_SALT = 620;

/** What each simulated PSA is built from. */
export interface PsaSimulatorOptions {
  /** The simulator's root URL; each PSA answers under `<url>/<its name>/`. */
  url: string;
  seed: number;
  customers: number;
  /** The request faults (`service` is the PSA's name), including `loseAnswer`. */
  faults: FaultBook;
}

/** The partner's own company: each PSA's fallback in the simulated settings. */
const partnerCompanyName = 'Simulated Partner (own company)';

type CompanyListing = 'byName' | 'byDomainOnly' | 'unlisted';

function companyListing(seed: number, index: number): CompanyListing {
  const u = unit(seed, LISTING_SALT, index);
  return u < 0.7 ? 'byName' : u < 0.85 ? 'byDomainOnly' : 'unlisted';
}

/** The companies in the order a PSA numbers them: `firstId` is the partner's own, customers after it. */
export function simulatedCompanies(seed: number, customers: number, firstId: number): SimulatedCompany[] {
  const companies: SimulatedCompany[] = [{ id: String(firstId), name: partnerCompanyName, domain: null }];
  for (let index = 0; index < customers; index++) {
    const listing = companyListing(seed, index);
    if (listing === 'unlisted') continue;
    const name = customerName(seed, index);
    companies.push({ id: String(firstId + index + 1), name: listing === 'byName' ? name : `${name} (old)`, domain: customerDomain(seed, index) });
  }
  return companies;
}
