import { ClientSecretCredential } from '@azure/identity';
import type { Simulator } from '../../tools/simulator';

if (!process.env.NODE_EXTRA_CA_CERTS) {
  throw new Error('Run the simulator tests through the trust wrapper: node dist/tools/withSimulatorTrust.js npx jest test/simulator');
}

export function credentialFor(sim: Simulator, secret = sim.clientSecret, tenantId = sim.tenantId, clientId = sim.clientId) {
  return new ClientSecretCredential(tenantId, clientId, secret, { authorityHost: sim.authorityHost, disableInstanceDiscovery: true });
}

export async function tokenFor(sim: Simulator, baseUrl: string): Promise<string> {
  return (await credentialFor(sim).getToken(`${baseUrl}/.default`)).token;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function get(url: string, token?: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
  return answerOf(await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }));
}

/** POSTs JSON with a bearer token. */
export async function postJson(url: string, body: unknown, token: string): Promise<JsonResponse> {
  return answerOf(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }));
}

/** The answer as text, and as JSON when it is JSON. */
async function answerOf(response: Response): Promise<JsonResponse> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Follows @odata.nextLink to the end, returning every item and the number of pages. */
export async function readGraphCollection(url: string, token: string): Promise<{ items: unknown[]; pages: number }> {
  const items: unknown[] = [];
  let pages = 0;
  let next: string | undefined = url;
  while (next) {
    const page = await get(next, token);
    if (page.status !== 200) throw new Error(`${next}: ${page.status} ${page.text}`);
    items.push(...page.json.value);
    next = page.json['@odata.nextLink'];
    pages++;
  }
  return { items, pages };
}

/**
 * Follows Partner Center `links.next` (MS-ContinuationToken header) to the end. A relative uri
 * is rooted at the version root (`/nonMfaCompliantPartnerPrincipals?...` means `/v1/...`).
 */
export async function readPartnerCenterCollection(sim: Simulator, token: string): Promise<{ items: Record<string, string>[]; pages: number }> {
  const items: Record<string, string>[] = [];
  let pages = 0;
  let url: string | undefined = `${sim.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`;
  let headers: Record<string, string> = {};
  while (url) {
    const page = await get(url, token, headers);
    if (page.status !== 200) throw new Error(`${url}: ${page.status} ${page.text}`);
    items.push(...page.json.items);
    pages++;
    const next = page.json.links?.next as { uri: string; headers: { key: string; value: string }[] } | undefined;
    url = next === undefined ? undefined : partnerCenterLinkUrl(sim, next.uri);
    headers = Object.fromEntries((next?.headers ?? []).map((header) => [header.key, header.value]));
  }
  return { items, pages };
}

export function partnerCenterLinkUrl(sim: Simulator, uri: string): string {
  if (/^https:/.test(uri)) return uri;
  return `${sim.partnerCenterBaseUrl}${uri.startsWith('/v1/') ? '' : '/v1'}${uri}`;
}
