import type { Severity } from './core/findings';
import { withoutTrailingSlash, type SettingsReader } from './settingsReader';

/*
 * The tickets part of the configuration (src/config.ts reads it with the others): the PSAs'
 * settings are many, and each PSA's reader stands beside the others here.
 */

/**
 * The PSAs tickets are kept in: each is configured when its first setting is set, and then
 * needs the rest of its credentials. Secrets (the private key, the secret, the client secret)
 * are Key Vault references in Azure.
 */
export function readTickets(reader: SettingsReader) {
  return {
    /** Most tickets one detector run opens per PSA; the rest wait for later runs, counted in the status. */
    ticketsPerRun: reader.integer('PSA_TICKETS_PER_RUN', 1, 1000),
    grouping: reader.oneOf('PSA_TICKET_PER', ['customerAndKind', 'finding']),
    whenBack: reader.oneOf('PSA_WHEN_BACK', ['reopen', 'new']),
    /** One PSA call's budget, retries after 429 and 5xx included. */
    timeoutMs: reader.integer('PSA_TIMEOUT_SECONDS', 1, 300) * 1000,
    connectwise: readConnectWise(reader),
    autotask: readAutotask(reader),
    halopsa: readHaloPsa(reader),
  };
}

function readConnectWise(reader: SettingsReader) {
  const baseUrl = reader.optionalUrl('CONNECTWISE_BASE_URL', { https: true });
  if (baseUrl === null) return null;
  return {
    baseUrl: withoutTrailingSlash(baseUrl),
    companyId: requiredWith(reader, 'CONNECTWISE_COMPANY_ID', 'CONNECTWISE_BASE_URL'),
    publicKey: requiredWith(reader, 'CONNECTWISE_PUBLIC_KEY', 'CONNECTWISE_BASE_URL'),
    privateKey: requiredWith(reader, 'CONNECTWISE_PRIVATE_KEY', 'CONNECTWISE_BASE_URL'),
    clientId: requiredWith(reader, 'CONNECTWISE_CLIENT_ID', 'CONNECTWISE_BASE_URL'),
    board: reader.withDefault('CONNECTWISE_BOARD'),
    statusNew: reader.withDefault('CONNECTWISE_STATUS_NEW'),
    statusClosed: reader.withDefault('CONNECTWISE_STATUS_CLOSED'),
    priorities: severityMap(reader, 'CONNECTWISE_PRIORITIES'),
    type: reader.optional('CONNECTWISE_TYPE'),
    source: reader.optional('CONNECTWISE_SOURCE'),
    fallbackCompanyId: requiredWith(reader, 'CONNECTWISE_FALLBACK_COMPANY_ID', 'CONNECTWISE_BASE_URL'),
    requestsPerMinute: reader.integer('CONNECTWISE_REQUESTS_PER_MINUTE', 1, 6000),
  };
}

function readAutotask(reader: SettingsReader) {
  const userName = reader.optional('AUTOTASK_USERNAME');
  if (userName === null) return null;
  const zoneUrl = reader.optionalUrl('AUTOTASK_ZONE_URL', { https: true });
  return {
    userName,
    secret: requiredWith(reader, 'AUTOTASK_SECRET', 'AUTOTASK_USERNAME'),
    integrationCode: requiredWith(reader, 'AUTOTASK_INTEGRATION_CODE', 'AUTOTASK_USERNAME'),
    /** Set: the zone's REST base (…/ATServicesRest/V1.0); null: looked up at zoneInformation. */
    zoneUrl: zoneUrl === null ? null : withoutTrailingSlash(zoneUrl),
    zoneInformationUrl: withoutTrailingSlash(reader.optionalUrl('AUTOTASK_ZONE_INFORMATION_URL', { https: true }) ?? reader.withDefault('AUTOTASK_ZONE_INFORMATION_URL')),
    queueId: picklistValue(reader, 'AUTOTASK_QUEUE_ID', requiredWith(reader, 'AUTOTASK_QUEUE_ID', 'AUTOTASK_USERNAME')),
    statusNew: picklistValue(reader, 'AUTOTASK_STATUS_NEW', reader.withDefault('AUTOTASK_STATUS_NEW')),
    statusClosed: picklistValue(reader, 'AUTOTASK_STATUS_CLOSED', reader.withDefault('AUTOTASK_STATUS_CLOSED')),
    priorities: severityMap(reader, 'AUTOTASK_PRIORITIES'),
    ticketType: optionalPicklistValue(reader, 'AUTOTASK_TICKET_TYPE'),
    source: optionalPicklistValue(reader, 'AUTOTASK_SOURCE'),
    fallbackCompanyId: picklistValue(reader, 'AUTOTASK_FALLBACK_COMPANY_ID', reader.withDefault('AUTOTASK_FALLBACK_COMPANY_ID')),
    requestsPerMinute: reader.integer('AUTOTASK_REQUESTS_PER_MINUTE', 1, 6000),
  };
}

function readHaloPsa(reader: SettingsReader) {
  const baseUrl = reader.optionalUrl('HALOPSA_BASE_URL', { https: true });
  if (baseUrl === null) return null;
  return {
    baseUrl: withoutTrailingSlash(baseUrl),
    /** Hosted instances name their tenant in the token request (`?tenant=`); null for on-premises. */
    tenant: reader.optional('HALOPSA_TENANT'),
    clientId: requiredWith(reader, 'HALOPSA_CLIENT_ID', 'HALOPSA_BASE_URL'),
    clientSecret: requiredWith(reader, 'HALOPSA_CLIENT_SECRET', 'HALOPSA_BASE_URL'),
    ticketTypeId: optionalPicklistValue(reader, 'HALOPSA_TICKET_TYPE_ID'),
    team: reader.optional('HALOPSA_TEAM'),
    statusNew: picklistValue(reader, 'HALOPSA_STATUS_NEW', reader.withDefault('HALOPSA_STATUS_NEW')),
    statusClosed: picklistValue(reader, 'HALOPSA_STATUS_CLOSED', reader.withDefault('HALOPSA_STATUS_CLOSED')),
    priorities: severityMap(reader, 'HALOPSA_PRIORITIES'),
    fallbackClientId: picklistValue(reader, 'HALOPSA_FALLBACK_CLIENT_ID', requiredWith(reader, 'HALOPSA_FALLBACK_CLIENT_ID', 'HALOPSA_BASE_URL')),
    requestsPerMinute: reader.integer('HALOPSA_REQUESTS_PER_MINUTE', 1, 6000),
  };
}

function requiredWith(reader: SettingsReader, name: string, requiredWith: string): string {
  const value = reader.optional(name);
  if (value === null) reader.problem(`${name} is required with ${requiredWith}`);
  return value ?? '';
}

/** An id from the PSA's picklists or records: a whole number, kept as text as the PSA's ids are. */
function picklistValue(reader: SettingsReader, name: string, value: string): string {
  if (value !== '' && !/^\d{1,12}$/.test(value)) reader.problem(`${name} must be a whole number (an id as the PSA lists it)`);
  return value;
}

function optionalPicklistValue(reader: SettingsReader, name: string): string | null {
  const value = reader.optional(name);
  return value === null ? null : picklistValue(reader, name, value);
}

/** `critical=<value>;warning=<value>`: what each severity is in the PSA (a priority's name or id). */
function severityMap(reader: SettingsReader, name: string): Record<Severity, string> {
  const entries = new Map(
    reader
      .withDefault(name)
      .split(';')
      .map((part) => part.split('=').map((side) => side.trim()))
      .filter((pair): pair is [string, string] => pair.length === 2 && pair[0] !== '' && pair[1] !== ''),
  );
  const map = { critical: entries.get('critical') ?? '', warning: entries.get('warning') ?? '' };
  if (map.critical === '' || map.warning === '' || entries.size !== 2) reader.problem(`${name} must be critical=<priority>;warning=<priority>`);
  return map;
}

