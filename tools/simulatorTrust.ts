import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Which commands talk to the simulator, and so must trust its self-signed certificate:
 * - `always`: tests, the simulator itself, the bench;
 * - `host`: `npm start`, which starts the simulator unless GRAPH_BASE_URL names a cloud;
 * - `settings`: commands that run against whatever the settings name (`npm run invoke`,
 *   `npm run doctor`): only when one of the Microsoft endpoints they name is on loopback.
 */
export type TrustMode = 'always' | 'host' | 'settings';
export const trustModes: readonly TrustMode[] = ['always', 'host', 'settings'];

/** Settings that name an HTTPS endpoint the app calls with a token (the simulator serves them all). */
const endpointSettings = ['GRAPH_BASE_URL', 'PARTNER_CENTER_BASE_URL', 'AZURE_AUTHORITY_HOST', 'ACS_ENDPOINT', 'KEY_VAULT_URL', 'TABLES_ENDPOINT'];

function isLoopbackUrl(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '') return false;
  try {
    const { hostname } = new URL(value.trim());
    return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

/** `endpoint=https://...;accesskey=...`: only the endpoint matters here (the key is never looked at). */
function acsConnectionEndpoint(connectionString: string | undefined): string | undefined {
  return connectionString?.split(';').find((part) => part.trim().toLowerCase().startsWith('endpoint='))?.trim().slice('endpoint='.length);
}

export function simulatorInUse(mode: TrustMode, settings: Readonly<Record<string, string | undefined>>): boolean {
  if (mode === 'always') return true;
  const graph = settings.GRAPH_BASE_URL;
  if (mode === 'host' && (graph === undefined || graph.trim() === '')) return true;
  return [...endpointSettings.map((name) => settings[name]), acsConnectionEndpoint(settings.ACS_CONNECTION_STRING)].some(isLoopbackUrl);
}

interface TrustBundle {
  /** What NODE_EXTRA_CA_CERTS should name for the command. */
  path: string;
  /** Set when the caller's own bundle could not be read (it is then left out, and Node would have ignored it too). */
  warning: string | null;
}

/**
 * NODE_EXTRA_CA_CERTS names one file, and the caller may already use it (a corporate CA behind a
 * TLS-inspecting proxy, or the system bundle): the simulator's certificate is added to a copy of
 * that file, never put in its place. The copy is named by its content, so concurrent commands with
 * different callers' bundles never overwrite each other's, and it is written whole before use.
 */
export function combinedTrustBundle(simulatorCertPath: string, callerBundlePath: string | undefined, folder: string): TrustBundle {
  const simulatorCert = fs.readFileSync(simulatorCertPath, 'utf8');
  let callerBundle = '';
  let warning: string | null = null;
  if (callerBundlePath !== undefined && callerBundlePath.trim() !== '') {
    try {
      callerBundle = fs.readFileSync(callerBundlePath, 'utf8');
    } catch (error) {
      warning = `NODE_EXTRA_CA_CERTS names ${callerBundlePath}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); only the simulator's certificate is added`;
    }
  }
  if (callerBundle === '') return { path: simulatorCertPath, warning };
  const content = `${callerBundle.replace(/\s*$/, '\n')}${simulatorCert}`;
  const digest = createHash('sha256').update(content).digest('hex').slice(0, 16);
  const bundlePath = path.join(folder, `trust-${digest}.pem`);
  if (!fs.existsSync(bundlePath)) {
    fs.mkdirSync(folder, { recursive: true });
    const partial = `${bundlePath}.${process.pid}.tmp`;
    fs.writeFileSync(partial, content);
    fs.renameSync(partial, bundlePath);
  }
  return { path: bundlePath, warning };
}
