import { findingAdmin, type Finding, type FindingTransition } from './findings';
import { inWords } from './wording';

/**
 * A waiver is an admin's audited, expiring "we know, stop telling us" about one finding, one
 * customer tenant, one requirement, the partner users whose UPN matches a pattern (break-glass
 * accounts), or the admins of one customer whose UPN matches a pattern (that customer's
 * break-glass accounts). Waived findings are still detected, stored and listed; they are only not announced,
 * and they are announced after all when the waiver ends (expires or is deleted) while the problem
 * remains. Pure: the caller passes the time.
 */
export const waiverScopes = ['finding', 'customer', 'requirement', 'partnerUsers', 'customerAdmins'] as const;
export type WaiverScope = (typeof waiverScopes)[number];

export interface Waiver {
  id: string;
  scope: WaiverScope;
  /** What the scope names: a finding key, a tenant id (lower case), a requirement type, a UPN pattern, or `<tenant id>/<UPN pattern>`. */
  target: string;
  reason: string;
  /** Who answers for it (a person or team, free text). */
  owner: string;
  expiresAt: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** What an admin sends to create a waiver. */
export type WaiverDraft = Pick<Waiver, 'scope' | 'target' | 'reason' | 'owner' | 'expiresAt'>;
/** What an admin may change on a waiver: what it silences stays fixed (a different target is a new waiver). */
export type WaiverChanges = Partial<Pick<Waiver, 'reason' | 'owner' | 'expiresAt'>>;

export const waiverActions = ['created', 'changed', 'deleted'] as const;
export type WaiverAction = (typeof waiverActions)[number];

/** One change to a waiver, kept for ever: who, when, what, and the waiver before and after. */
export interface WaiverAuditEntry {
  at: string;
  actor: string;
  action: WaiverAction;
  waiverId: string;
  before: Waiver | null;
  after: Waiver | null;
}

/**
 * UPN patterns are globs: `*` stands for any run of characters (none included), everything else
 * is literal, and case is ignored, as Entra ignores it in UPNs. The pattern covers the whole UPN:
 * `breakglass*@partner.example` matches `BreakGlass01@partner.example`, not `x.breakglass@partner.example`.
 */
function upnPattern(pattern: string): RegExp {
  const expression = pattern
    .split('*')
    .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${expression}$`, 'is');
}

/**
 * The requirement types Microsoft Graph documents: the members of the partner security
 * `securityRequirementType` enum ("Partner security enum values", graph beta; `unknownFutureValue`
 * is Graph's marker for members added later, not a type), and the two the older
 * `mfaEnforcedSecurityRequirement` resource names in `securityRequirementType`. A type Microsoft adds
 * later is known once a finding names it (see docs/waivers.md).
 */
export const documentedRequirementTypes: readonly string[] = [
  'mfaEnforcedForAdmins',
  'mfaEnforcedForAdminsOfCustomers',
  'securityAlertsPromptlyResolved',
  'securityContactProvided',
  'spendingBudgetSetForCustomerAzureSubscriptions',
  'mfaEnforcedForAuthenticationOfAdminUsers',
  'mfaEnforcedForAuthenticationOfAllUsers',
];

/** A documented requirement type as Graph spells it, whatever the case it was given in; null when it is not one. */
export function documentedRequirementType(target: string): string | null {
  return documentedRequirementTypes.find((type) => type.toLowerCase() === target.toLowerCase()) ?? null;
}

/** A domain label (RFC 1035 section 2.3.1, with RFC 1123 section 2.1's leading digit): 1 to 63 letters, digits and hyphens, no hyphen at either end. */
const domainLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** What an Entra UPN's local part may hold (RFC 5321's atext, less what Entra refuses), and `*`. */
const localPartGlob = /^[A-Za-z0-9.!#$%&'+/=?^_`{|}~*-]{1,64}$/;
const domainGlob = /^[A-Za-z0-9.*-]{1,253}$/;

/**
 * Why a glob cannot be a waiver's target, or null when it can. A glob must name someone: either a
 * domain in full (no `*` after the @, at least two labels, each a DNS label), so it silences at most
 * that domain's users, or a user by at least three letters or digits in a row before the @. `*@*.com`,
 * `*@*.example`, `*@partner.*` and `*@*e*` name neither and would silence nearly every partner
 * user. The one rule for every glob a waiver takes: the partnerUsers UPN pattern, and a customer's
 * admins' (whose `*@*` would silence every admin of the customer: the customer scope says that plainly).
 */
export function globTargetProblem(pattern: string): string | null {
  const [localPart, domain, ...more] = pattern.split('@');
  if (localPart === undefined || domain === undefined || more.length > 0 || !localPartGlob.test(localPart) || !domainGlob.test(domain)) {
    return "must be a UPN pattern such as breakglass*@partner.example (one @; before it up to 64 letters, digits and . _ - ' +; after it a domain; * for any characters)";
  }
  const labels = domain.split('.');
  const domainInFull = !domain.includes('*') && labels.length >= 2 && labels.every((label) => domainLabel.test(label));
  if (!domain.includes('*') && !domainInFull) return 'must have a domain name after the @: at least two labels (partner.example), each 1 to 63 letters, digits or hyphens (RFC 1035)';
  const namesUser = /[A-Za-z0-9]{3}/.test(localPart);
  if (domainInFull || namesUser) return null;
  return 'must name a domain in full (no * after the @, as in *@partner.example) or a user by at least three letters or digits in a row before the @ (as in breakglass*@*): otherwise it silences nearly every user';
}

const tenantIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A customerAdmins target, `<tenant id>/<UPN pattern>`: the tenant (a GUID, so the first `/` ends
 * it, though a UPN's local part may hold one) and the pattern; null when it is not of that form.
 */
export function customerAdminsTarget(target: string): { tenantId: string; pattern: string } | null {
  const slash = target.indexOf('/');
  const tenantId = target.slice(0, slash);
  return slash > 0 && tenantIdPattern.test(tenantId) ? { tenantId: tenantId.toLowerCase(), pattern: target.slice(slash + 1) } : null;
}

/** Why a customerAdmins target cannot be one, or null: the tenant id, then the pattern by the one glob rule. */
export function customerAdminsTargetProblem(target: string): string | null {
  const parsed = customerAdminsTarget(target);
  if (parsed === null) return 'must be the customer tenant id (a GUID), a /, and a UPN pattern, as in <tenant id>/breakglass*@contoso.com, when scope is customerAdmins';
  return globTargetProblem(parsed.pattern);
}

export function isActive(waiver: Waiver, now: Date): boolean {
  return Date.parse(waiver.expiresAt) > now.getTime();
}

/**
 * Why a stored waiver is not honoured, or null when it is: a pattern stored before today's rule
 * (globTargetProblem) that the rule refuses, `*@*.com` say, would silence nearly every partner
 * user, so it silences nothing and the status names it until it is narrowed or deleted.
 */
export function unhonouredWaiverProblem(waiver: Pick<Waiver, 'scope' | 'target'>): string | null {
  if (waiver.scope === 'partnerUsers') return globTargetProblem(waiver.target);
  return waiver.scope === 'customerAdmins' ? customerAdminsTargetProblem(waiver.target) : null;
}

/**
 * Which waiver silences a finding, for many findings at once: the waivers active at `now` are
 * indexed by what they name and their UPN patterns compiled once, so a detector run over tens of
 * thousands of findings costs a map look-up each. Of several, the one that lasts longest.
 */
export function waiverIndex(waivers: readonly Waiver[], now: Date): (finding: Pick<Finding, 'key' | 'subject' | 'admin'>) => Waiver | null {
  const byName = new Map<string, Waiver[]>();
  const patterns: { waiver: Waiver; pattern: RegExp }[] = [];
  // A customer's admin patterns, by tenant id: a finding is matched against its own customer's only.
  const adminPatterns = new Map<string, { waiver: Waiver; pattern: RegExp }[]>();
  for (const waiver of waivers) {
    if (!isActive(waiver, now) || unhonouredWaiverProblem(waiver) !== null) continue;
    if (waiver.scope === 'partnerUsers') {
      patterns.push({ waiver, pattern: upnPattern(waiver.target) });
      continue;
    }
    if (waiver.scope === 'customerAdmins') {
      // Honoured, so of the form: the check only tells TypeScript so.
      const admins = customerAdminsTarget(waiver.target);
      if (admins !== null) adminPatterns.set(admins.tenantId, [...(adminPatterns.get(admins.tenantId) ?? []), { waiver, pattern: upnPattern(admins.pattern) }]);
      continue;
    }
    const name = indexName(waiver.scope, waiver.target);
    byName.set(name, [...(byName.get(name) ?? []), waiver]);
  }
  const longest = (found: readonly Waiver[]): Waiver | null =>
    found.reduce<Waiver | null>((best, waiver) => (best === null || Date.parse(waiver.expiresAt) > Date.parse(best.expiresAt) ? waiver : best), null);
  return (finding) => {
    const found = [...(byName.get(indexName('finding', finding.key)) ?? [])];
    const { type, id } = finding.subject;
    if (type === 'customer' || type === 'requirement') found.push(...(byName.get(indexName(type, id)) ?? []));
    // A partner-user finding names its user by UPN; one whose UPN is unknown cannot be matched.
    const upn = finding.subject.type === 'principal' ? finding.subject.name : null;
    if (typeof upn === 'string') found.push(...patterns.filter(({ pattern }) => pattern.test(upn)).map(({ waiver }) => waiver));
    // A finding about a customer's admin (no MFA method, MFA not required) names them by UPN beside its customer.
    const adminUpn = type === 'customer' ? findingAdmin(finding)?.userPrincipalName : null;
    if (adminUpn) found.push(...(adminPatterns.get(id.toLowerCase()) ?? []).filter(({ pattern }) => pattern.test(adminUpn)).map(({ waiver }) => waiver));
    return longest(found);
  };
}

/** Tenant ids and requirement types are matched in any case; finding keys exactly. */
function indexName(scope: Exclude<WaiverScope, 'partnerUsers' | 'customerAdmins'>, target: string): string {
  return `${scope}:${scope === 'finding' ? target : target.toLowerCase()}`;
}

/** Active waivers that end within `days` of now, soonest first: what the weekly digest lists. */
export function waiversExpiringWithin<T extends Waiver>(waivers: readonly T[], now: Date, days: number): T[] {
  const until = now.getTime() + days * 86_400_000;
  return waivers.filter((waiver) => isActive(waiver, now) && Date.parse(waiver.expiresAt) <= until).sort((left, right) => Date.parse(left.expiresAt) - Date.parse(right.expiresAt));
}

type Change = FindingTransition['change'];

/** What the detector has (not) told admins about a finding. */
interface AnnouncementState {
  /** A transition to put in the next email. */
  pendingChange: Change | null;
  /** An opening a waiver kept quiet: announced once nothing waives the finding any more, if it is still open. */
  silencedChange: 'opened' | 'reopened' | null;
}

/**
 * Whether a finding's transition is announced, given whether a waiver covers it now. Without a
 * waiver the latest transition is announced, as always; under one, nothing is, and an opening is
 * remembered so that it is announced when the waiver ends while the finding is still open. A
 * finding that resolves while waived sends nothing (admins never heard it open, or chose not to
 * hear about it), and neither does one that resolves after a silenced opening. A transition decided
 * earlier but not yet in an email is withdrawn when a waiver comes to cover it.
 */
export function decideAnnouncement(input: { state: Finding['state']; transition: Change | null; waived: boolean } & AnnouncementState): AnnouncementState {
  const { state, transition, waived, pendingChange, silencedChange } = input;
  if (transition !== null) {
    if (waived) return { pendingChange: null, silencedChange: transition === 'resolved' ? null : transition };
    if (transition === 'resolved' && silencedChange !== null) return { pendingChange, silencedChange: null };
    return { pendingChange: transition, silencedChange: null };
  }
  if (waived) {
    if (pendingChange === null) return { pendingChange, silencedChange };
    return { pendingChange: null, silencedChange: pendingChange === 'resolved' ? silencedChange : pendingChange };
  }
  if (silencedChange === null) return { pendingChange, silencedChange };
  return state === 'open' ? { pendingChange: silencedChange, silencedChange: null } : { pendingChange, silencedChange: null };
}

const scopeWords: Record<WaiverScope, string> = { finding: 'finding', customer: 'customer tenant', requirement: 'requirement', partnerUsers: 'partner users matching', customerAdmins: 'admins matching' };

/** What a waiver silences, in words admins read: a customer by its name when the directory has one, a requirement type in words. */
export function describeWaiverTarget(waiver: Pick<Waiver, 'scope' | 'target'>, customerNames: ReadonlyMap<string, string>): string {
  const admins = waiver.scope === 'customerAdmins' ? customerAdminsTarget(waiver.target) : null;
  if (admins !== null) {
    const customer = customerNames.get(admins.tenantId);
    return `admins of ${customer === undefined ? `customer tenant ${admins.tenantId}` : `${customer} (tenant ${admins.tenantId})`} matching ${admins.pattern}`;
  }
  const name = waiver.scope === 'customer' ? customerNames.get(waiver.target) : undefined;
  if (name !== undefined) return `${name} (tenant ${waiver.target})`;
  return `${scopeWords[waiver.scope]} ${waiver.scope === 'requirement' ? inWords('requirementType', waiver.target) : waiver.target}`;
}
