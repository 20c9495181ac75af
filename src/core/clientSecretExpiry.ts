/**
 * When the app registration's client secret runs out. Entra refuses an expired secret
 * (AADSTS7000222) and then every collector fails, so its end date, recorded with the copy in
 * Key Vault (`--expires`), is judged ahead of time: 30 days before, a warning in `/api/status`
 * and `npm run doctor`; 7 days before, and once expired, a reason the monitor is unhealthy (so
 * the availability test on /api/health pages someone while there is still time to rotate it).
 */

/** What Key Vault records of the secret's current version: never its value. */
export interface StoredSecretProperties {
  enabled: boolean;
  /** The expiry written with it (`az keyvault secret set --expires`), or null when none was. */
  expiresOn: Date | null;
}

/** Where the secret is, named in every message. */
export interface ClientSecretLocation {
  vaultName: string;
  secretName: string;
}

/** What reading the secret's properties gave: its current version, none stored, or why it could not be read. */
export type ClientSecretRead = { properties: StoredSecretProperties | null } | { unreadable: string };

type ClientSecretState = 'ok' | 'expiring' | 'expired' | 'noExpiry' | 'missing' | 'disabled' | 'unreadable';

interface ClientSecretVerdict {
  state: ClientSecretState;
  expiresOn: string | null;
  /** Whole days left before it expires (0 on its last day, negative once expired); null without an expiry. */
  daysLeft: number | null;
  /** A reason the monitor is unhealthy, with the fix. */
  problem: string | null;
  /** Something to act on before it becomes a problem, with the fix. */
  warning: string | null;
}

/** Days before the expiry from which it is a warning. */
const clientSecretWarningDays = 30;
/** Days before the expiry from which it makes the monitor unhealthy. */
const clientSecretProblemDays = 7;

const dayMs = 86_400_000;

export function judgeClientSecret(read: ClientSecretRead, where: ClientSecretLocation, now: Date): ClientSecretVerdict {
  const secret = `the app registration's client secret (secret ${where.secretName} of vault ${where.vaultName})`;
  const store = `az keyvault secret set --vault-name ${where.vaultName} --name ${where.secretName} --value <the new secret's value> --expires <its end date, e.g. 2027-06-01T00:00:00Z>`;
  const rotate = `add a new client secret to the app registration (Entra admin center > App registrations > Certificates & secrets), then store it: ${store}`;
  const verdict = (state: ClientSecretState, problem: string | null, warning: string | null, expiresOn: Date | null = null): ClientSecretVerdict => ({
    state,
    expiresOn: expiresOn?.toISOString() ?? null,
    daysLeft: expiresOn === null ? null : Math.floor((expiresOn.getTime() - now.getTime()) / dayMs),
    problem,
    warning,
  });
  if ('unreadable' in read) {
    return verdict('unreadable', `${secret} cannot be read from Key Vault (KEY_VAULT_URL; ${read.unreadable}), so its expiry is unknown: give the app's identity Key Vault Secrets User on the vault (\`azd provision\` does) and check KEY_VAULT_URL and the network`, null);
  }
  const { properties } = read;
  if (properties === null) return verdict('missing', `${secret} is not stored: the app cannot sign in; ${rotate}`, null);
  if (!properties.enabled) return verdict('disabled', `the current version of ${secret} is disabled: Key Vault will not give it to the app; enable it, or ${rotate}`, null);
  const { expiresOn } = properties;
  if (expiresOn === null) {
    return verdict('noExpiry', null, `${secret} has no expiry recorded, so nobody is warned before Entra refuses it: record the end date the app registration shows for it: az keyvault secret set-attributes --vault-name ${where.vaultName} --name ${where.secretName} --expires <its end date>`);
  }
  const leftMs = expiresOn.getTime() - now.getTime();
  const on = expiresOn.toISOString();
  if (leftMs <= 0) return verdict('expired', `${secret} expired on ${on}: Entra refuses it and every collector fails; ${rotate}`, null, expiresOn);
  const inDays = leftMs < dayMs ? 'in less than a day' : `in ${Math.floor(leftMs / dayMs)} days`;
  const expiring = `${secret} expires on ${on}, ${inDays}: ${rotate}`;
  if (leftMs <= clientSecretProblemDays * dayMs) return verdict('expiring', expiring, null, expiresOn);
  if (leftMs <= clientSecretWarningDays * dayMs) return verdict('expiring', null, expiring, expiresOn);
  return verdict('ok', null, null, expiresOn);
}
