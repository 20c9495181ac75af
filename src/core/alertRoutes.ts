import { createHash } from 'node:crypto';
import { findingKinds, severities, type Finding, type FindingKind, type Severity } from './findings';
import { isOneOf } from './text';

/**
 * Which findings go where: ALERT_ROUTES, a list of routes read top to bottom, the first whose
 * selector matches a finding deciding where it is announced (its regression and its recovery
 * alike, since a finding's severity and kind never change):
 *
 *   critical -> email, teams; nonMfaSignIn -> slack, email(secops@partner.example); * -> digest
 *
 * A selector is `*`, a severity, a finding kind, or a severity and a kind (`warning
 * customerPolicyDisabled`). A target is a channel (`email` to ALERT_TO, `teams`, `slack`,
 * `webhook`), `email(...)` to other recipients, `digest` (the weekly digest, which reads the
 * findings routed to it itself: nothing is sent for it when a finding changes), or `psa` (a
 * ticket in every configured PSA, kept in step with the findings by the detector itself).
 */

export type ChannelName = 'email' | 'teams' | 'slack' | 'webhook';

/** Where one delivery goes: a channel, and for email the recipients when they are not ALERT_TO's. */
export interface DeliveryTarget {
  /** Stable id, part of the delivery's row key; names no recipient (addresses are hashed). */
  id: string;
  channel: ChannelName;
  /** Email recipients other than ALERT_TO; null for ALERT_TO and for the webhook channels. */
  recipients: readonly string[] | null;
}

export interface AlertRoute {
  /** 1-based position in ALERT_ROUTES, to name it in errors. */
  position: number;
  severity: Severity | null;
  kind: FindingKind | null;
  targets: readonly DeliveryTarget[];
  /** The weekly digest lists what this route's findings are. */
  digest: boolean;
  /** Every configured PSA keeps a ticket for this route's findings. */
  tickets: boolean;
}

const channels: readonly ChannelName[] = ['email', 'teams', 'slack', 'webhook'];
const emailAddress = /^[^\s@<>,;"()]+@[^\s@<>,;"()]+\.[^\s@<>,;"()]+$/;

/** What the routes are read with: the channels whose settings are present. */
interface RouteContext {
  configuredChannels: ReadonlySet<ChannelName>;
  /** Whether any PSA is configured: `psa` may be routed to, and is by default. */
  psaConfigured: boolean;
}

type ParsedRoutes = { routes: AlertRoute[]; problems: [] } | { routes: null; problems: string[] };

/** Without ALERT_ROUTES: every finding to every configured channel and PSA — email alone unless a webhook or a PSA is set. */
export function defaultRoutes(context: RouteContext): AlertRoute[] {
  const targets = channels.filter((channel) => context.configuredChannels.has(channel)).map((channel) => channelTarget(channel));
  return [{ position: 1, severity: null, kind: null, targets, digest: false, tickets: context.psaConfigured }];
}

/**
 * Parses ALERT_ROUTES. Problems name the route by position and selector, never its recipients
 * (configuration errors reach the logs).
 */
export function parseRoutes(text: string, context: RouteContext): ParsedRoutes {
  const problems: string[] = [];
  const routes: AlertRoute[] = [];
  // Routes are numbered as written, blank ones (a trailing `;`, an empty line) aside.
  const parts = text.split(/[;\n]/).map((part) => part.trim()).filter((part) => part !== '');
  parts.forEach((part, index) => {
    const position = index + 1;
    const arrow = part.indexOf('->');
    const selectorText = (arrow < 0 ? part : part.slice(0, arrow)).trim();
    const named = `ALERT_ROUTES route ${position} (${selectorText === '' ? 'empty' : selectorText.slice(0, 60)})`;
    if (arrow < 0) {
      problems.push(`${named}: expected "<selector> -> <targets>", e.g. "critical -> email, teams"`);
      return;
    }
    const selector = parseSelector(selectorText);
    if (typeof selector === 'string') problems.push(`${named}: ${selector}`);
    const targets = parseTargets(part.slice(arrow + 2), context);
    if (typeof targets === 'string') problems.push(`${named}: ${targets}`);
    if (typeof selector !== 'string' && typeof targets !== 'string') routes.push({ position, ...selector, ...targets });
  });
  if (problems.length === 0 && routes.length === 0) problems.push('ALERT_ROUTES has no route: leave it unset for the default, or end with a "* -> ..." route');
  const last = routes[routes.length - 1];
  if (problems.length === 0 && last !== undefined && (last.severity !== null || last.kind !== null)) {
    problems.push(`ALERT_ROUTES must end with a catch-all route ("* -> ..."), so that no finding goes unannounced; route ${last.position} is the last`);
  }
  return problems.length > 0 ? { routes: null, problems } : { routes, problems: [] };
}

function parseSelector(text: string): { severity: Severity | null; kind: FindingKind | null } | string {
  if (text === '*') return { severity: null, kind: null };
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return 'the selector is empty: use *, a severity (critical, warning), a finding kind, or a severity and a kind';
  let severity: Severity | null = null;
  let kind: FindingKind | null = null;
  for (const word of words) {
    if (isOneOf(severities, word) && severity === null) severity = word;
    else if (isOneOf(findingKinds, word) && kind === null) kind = word;
    else return `"${word.slice(0, 40)}" is not a severity (${severities.join(', ')}) or a finding kind (${findingKinds.join(', ')})`;
  }
  return { severity, kind };
}

function parseTargets(text: string, context: RouteContext): { targets: DeliveryTarget[]; digest: boolean; tickets: boolean } | string {
  const targets: DeliveryTarget[] = [];
  let digest = false;
  let tickets = false;
  // `email(a@x, b@y)` holds commas of its own: take the parentheses first.
  const pattern = /\s*(email\s*\(([^)]*)\)|[A-Za-z]+)\s*(,|$)/y;
  const rest = text.trim();
  if (rest === '') return 'no target after "->": name at least one of email, email(...), teams, slack, webhook, psa, digest';
  while (pattern.lastIndex < rest.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(rest);
    if (match === null) return `cannot read the targets from position ${start + 1}: separate them with commas, e.g. "email, teams, email(secops@partner.example)"`;
    const name = (match[1] ?? '').trim();
    if (match[2] !== undefined) {
      const recipients = match[2].split(/[\s,]+/).filter((address) => address !== '');
      if (recipients.length === 0) return 'email(...) names no recipient';
      const bad = recipients.findIndex((address) => !emailAddress.test(address));
      if (bad >= 0) return `email(...) entry ${bad + 1} of ${recipients.length} is not an email address`;
      if (!context.configuredChannels.has('email')) return 'email is routed to, but ACS is not configured (ACS_CONNECTION_STRING or ACS_ENDPOINT, ALERT_FROM)';
      targets.push(recipientsTarget(recipients));
    } else if (name === 'digest') {
      digest = true;
    } else if (name === 'psa') {
      if (!context.psaConfigured) return 'psa is routed to, but no PSA is configured (CONNECTWISE_BASE_URL, AUTOTASK_USERNAME or HALOPSA_BASE_URL)';
      tickets = true;
    } else if (isOneOf(channels, name)) {
      const channel = name;
      if (!context.configuredChannels.has(channel)) return `${channel} is routed to, but ${channelSetting[channel]} is not set`;
      targets.push(channelTarget(channel));
    } else {
      return `unknown target "${name.slice(0, 40)}": use email, email(...), teams, slack, webhook, psa or digest`;
    }
    if (match[3] === '') break;
  }
  // A target named twice is sent to once: routedTargets takes each once.
  return { targets, digest, tickets };
}

const channelSetting: Record<ChannelName, string> = {
  email: 'ACS_CONNECTION_STRING or ACS_ENDPOINT',
  teams: 'TEAMS_WEBHOOK_URL',
  slack: 'SLACK_WEBHOOK_URL',
  webhook: 'ALERT_WEBHOOK_URL',
};

function channelTarget(channel: ChannelName): DeliveryTarget {
  return { id: channel, channel, recipients: null };
}

function recipientsTarget(addresses: readonly string[]): DeliveryTarget {
  const recipients = [...new Set(addresses.map((address) => address.toLowerCase()))].sort();
  // Row keys and the status show this id: a hash tells lists apart without naming anyone.
  const digest = createHash('sha256').update(recipients.join(',')).digest('hex').slice(0, 12);
  return { id: `email-${digest}`, channel: 'email', recipients };
}

/** The route that decides a finding: the first that matches. Routes end with a catch-all, so there is always one. */
export function routeOf(routes: readonly AlertRoute[], finding: Pick<Finding, 'severity' | 'kind'>): AlertRoute | null {
  return routes.find((route) => (route.severity === null || route.severity === finding.severity) && (route.kind === null || route.kind === finding.kind)) ?? null;
}

/** Every delivery target some route names, each once. */
export function routedTargets(routes: readonly AlertRoute[]): DeliveryTarget[] {
  return [...new Map(routes.flatMap((route) => route.targets).map((target) => [target.id, target])).values()];
}

/** Whether this target receives this finding. */
export function isRoutedTo(routes: readonly AlertRoute[], finding: Pick<Finding, 'severity' | 'kind'>, targetId: string): boolean {
  return routeOf(routes, finding)?.targets.some((target) => target.id === targetId) ?? false;
}

/** Whether the PSAs keep a ticket for this finding. */
export function isTicketed(routes: readonly AlertRoute[], finding: Pick<Finding, 'severity' | 'kind'>): boolean {
  return routeOf(routes, finding)?.tickets ?? false;
}

/** A target's name for people and logs: the channel, and for other recipients how many. */
export function targetLabel(target: DeliveryTarget): string {
  if (target.recipients === null) return deliveryTargetLabel(target.id);
  return `email to ${target.recipients.length} routed recipient${target.recipients.length === 1 ? '' : 's'}`;
}

/** A stored delivery's target, named from its id alone (the status has no routes to look it up in). */
export function deliveryTargetLabel(targetId: string): string {
  const labels: Record<string, string> = { email: 'email', teams: 'Teams', slack: 'Slack', webhook: 'signed webhook' };
  return labels[targetId] ?? (targetId.startsWith('email-') ? 'email to routed recipients' : targetId);
}

/** The webhook channels the weekly digest goes to: every one some route names, in a fixed order. */
export function digestChannels(routes: readonly AlertRoute[]): Exclude<ChannelName, 'email'>[] {
  const routed = new Set(routedTargets(routes).map((target) => target.channel));
  return (['teams', 'slack', 'webhook'] as const).filter((channel) => routed.has(channel));
}
