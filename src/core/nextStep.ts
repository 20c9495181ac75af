import { cannotSeeReasons, notVisibleReason } from './adminScan';
import { dashboardLink } from './dashboardLinks';
import { entraUrl, entraUserUrl } from './entraLinks';
import { findingAdmin, type Finding, type FindingKind } from './findings';

/** What an admin does about a finding, in a sentence, and where: every alert line carries one. */
export interface NextStep {
  text: string;
  url: string | null;
}

const customerSteps: Record<string, { text: string; blade: Parameters<typeof entraUrl>[1] }> = {
  securityDefaultsStatus: { text: 'Turn security defaults back on in this tenant, or cover every user with a Conditional Access MFA policy', blade: 'properties' },
  mfaConditionalAccessPolicyStatus: { text: 'Turn the Conditional Access MFA policy back on in this tenant', blade: 'conditionalAccess' },
  legacyPerUserMfaStatus: { text: 'Turn per-user MFA back on in this tenant, or move it to security defaults or a Conditional Access MFA policy', blade: 'properties' },
  compliantAdminsCount: { text: "Have this tenant's admins register for MFA and sign in with it; check which admin roles lost MFA in its sign-in logs", blade: 'signInLogs' },
  compliantNonAdminShare: { text: 'Require MFA for every user of this tenant (security defaults or a Conditional Access MFA policy)', blade: 'conditionalAccess' },
  mfaPoliciesEnabled: { text: 'Turn on security defaults or a Conditional Access MFA policy in this tenant', blade: 'properties' },
};

/** The fix a failing source's error names, by its stable code. */
const sourceFixes: Record<string, string> = {
  Forbidden: 'Grant the app registration the API permission the error names, then grant admin consent in the partner tenant',
  Unauthorized: "Check the app registration's credential: its client secret or certificate may have expired",
  AuthenticationFailed: "Check the app registration's credential and tenant id: Entra refused to issue a token",
  ConsentRequired: 'A partner admin signs in once with `npm run consent` to store the Partner Center refresh token',
  NoRefreshToken: 'A partner admin signs in once with `npm run consent` to store the Partner Center refresh token',
  KeyVaultUnavailable: "Give the function app's identity the Key Vault Secrets User role on the vault",
  UnexpectedPayload: 'The API answered in a shape the monitor does not know: update the monitor',
  ServiceUnavailable: "Microsoft's service is failing: nothing to change here unless it lasts; check the Microsoft 365 service health",
  Throttled: 'The API is throttling the monitor: run the collector less often',
};

const requirementSteps: Partial<Record<FindingKind, string>> = {
  compliantTenantsFell: 'Find the customers whose admins lost MFA (the customers list, status nonCompliant) and turn MFA back on in their tenants',
  requirementPolicyDisabled: 'Turn the policy back on in the partner tenant, or make sure another MFA policy covers every user',
  requirementCountWorse: 'Require MFA for every admin and user of the partner tenant (security defaults or a Conditional Access MFA policy)',
};

/**
 * A finding about a customer's admins. An admin without a method registers one on their user page
 * (Authentication methods is there); one whom nothing requires to use MFA is covered in the tenant's
 * Conditional Access. A tenant the monitor cannot see into is fixed in Partner Center, as its
 * reason says, and the customer's page on the dashboard shows the scan's outcome.
 */
function customerAdminStep(finding: Finding, tenantId: string, publicBaseUrl: string | null): NextStep | null {
  switch (finding.kind) {
    case 'adminWithoutMfaMethod': {
      const userId = findingAdmin(finding)?.userId;
      return {
        text: 'Have this admin register an MFA method (Microsoft Authenticator, a passkey or a FIDO2 security key), or add one for them under Authentication methods on their user page',
        url: userId ? entraUserUrl(tenantId, userId) : entraUrl(tenantId, 'overview'),
      };
    }
    case 'adminMfaNotRequired':
      return {
        text: 'Require MFA of this admin: include them, or a role they hold, in an enabled Conditional Access policy that requires MFA (or turn on security defaults), and exclude only emergency access accounts',
        url: entraUrl(tenantId, 'conditionalAccess'),
      };
    case 'customerNotVisible': {
      const reason = notVisibleReason(finding.detail);
      return {
        text: reason === null ? "Check the monitor's GDAP relationship with this customer and the roles its security group holds there" : cannotSeeReasons[reason].nextStep,
        url: dashboardLink(publicBaseUrl, { customer: tenantId }),
      };
    }
    default:
      return null;
  }
}

/**
 * The step for a finding. Where it is taken in Microsoft's portals, the link goes there; where it
 * is the monitor's own (the requirements a score lost, a source's runs), it goes to the dashboard
 * (`publicBaseUrl`; '' keeps the link relative, for the monitor's own pages), never to the keyed
 * JSON API a browser cannot open.
 */
export function nextStep(finding: Finding, publicBaseUrl: string | null): NextStep {
  const { subject } = finding;
  switch (subject.type) {
    case 'requirement':
      return { text: requirementSteps[finding.kind] ?? 'Open the requirement in Partner Center and follow its steps', url: finding.actionUrl ?? finding.helpUrl ?? null };
    case 'customer': {
      const adminStep = customerAdminStep(finding, subject.id, publicBaseUrl);
      if (adminStep !== null) return adminStep;
      const step = customerSteps[finding.measure] ?? { text: 'Check MFA in this tenant', blade: 'overview' as const };
      return { text: step.text, url: entraUrl(subject.id, step.blade) };
    }
    case 'principal':
      return { text: "Check this user's sign-ins in the partner tenant's sign-in logs and require MFA for them", url: finding.actionUrl ?? entraUrl(null, 'signInLogs') };
    case 'registration':
      return { text: 'Have the users who dropped out register for MFA again; registration campaigns in Entra can prompt them', url: entraUrl(null, 'overview') };
    case 'score':
      return { text: 'See which requirement lost points, and act on its line', url: dashboardLink(publicBaseUrl, { findings: 'open' }) };
    case 'source': {
      const code = finding.detail?.split(':')[0]?.trim() ?? '';
      return { text: sourceFixes[code] ?? 'Fix what the last error names, then run the collector again', url: dashboardLink(publicBaseUrl, { finding: finding.key }) };
    }
  }
}
