import { PayloadError } from './errors';
import { PayloadReader } from './payloadReader';

interface GraphPage {
  items: unknown[];
  nextLink: string | null;
}

/** An OData collection page: `value` plus an optional absolute `@odata.nextLink`. */
export function parseGraphPage(body: unknown, path: string): GraphPage {
  const reader = PayloadReader.of(body, path);
  return { items: reader.array('value'), nextLink: reader.optionalString('@odata.nextLink') };
}

export interface PartnerCenterLink {
  uri: string;
  headers: Record<string, string>;
}

interface PartnerCenterPage {
  items: unknown[];
  totalCount: number | null;
  next: PartnerCenterLink | null;
}

/** A Partner Center ResourceCollection: `items`, and `links.next` (absent on the last page) with a uri and headers to send back. */
export function parsePartnerCenterPage(body: unknown, path: string): PartnerCenterPage {
  const reader = PayloadReader.of(body, path);
  const links = reader.child('links');
  const next = links?.child('next') ?? null;
  return {
    items: reader.array('items'),
    totalCount: reader.optionalInteger('totalCount'),
    next: next === null ? null : parseLink(next),
  };
}

function parseLink(link: PayloadReader): PartnerCenterLink {
  const headers: Record<string, string> = {};
  const rawHeaders = link.has('headers') ? link.array('headers') : [];
  rawHeaders.forEach((header, index) => {
    const pair = PayloadReader.of(header, `${link.path}.headers[${index}]`);
    headers[pair.requiredString('key')] = pair.optionalString('value') ?? '';
  });
  const method = link.optionalString('method');
  if (method !== null && method.toUpperCase() !== 'GET') {
    throw new PayloadError(`${link.path}.method: expected GET, got another method`);
  }
  return { uri: link.requiredString('uri'), headers };
}
