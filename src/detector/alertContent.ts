import { composeAlert } from '../core/alertMessage';
import type { Message } from '../core/message';
import { isRoutedTo, type DeliveryTarget } from '../core/alertRoutes';
import { slackPayload, teamsPayload, webhookPayload } from '../core/channelPayloads';
import type { StoredFinding } from '../core/findings';
import type { OutboxMessage, WebhookChannelName } from '../ports';
import type { DetectorSettings, RunContext } from './detectorDependencies';

export function findingsOf(run: RunContext, message: OutboxMessage): { announced: StoredFinding[]; stillOpen: StoredFinding[] } {
  const all = [...run.findings.values()];
  const announced = all.filter((finding) => finding.announcedIn === message.messageId);
  const inThisMessage = new Set(announced.filter((finding) => finding.announcedChange !== 'resolved').map((finding) => finding.key));
  // Waived findings are not listed as still open: that is what the waiver is for.
  const stillOpen = all.filter((finding) => finding.state === 'open' && !finding.event && !inThisMessage.has(finding.key) && !run.waived(finding));
  return { announced, stillOpen };
}

/**
 * What a message says to one target (or, with none, to everyone: its subject): rendered from the
 * findings it claimed that the routes send there. Customer names are the directory's current
 * ones: a message claimed before a rename, and rendered (or re-rendered for a retry) after it,
 * shows the new name — the name is for reading, the tenant id beside it identifies.
 */
export async function composeAlertFor(run: RunContext, message: OutboxMessage, settings: DetectorSettings, target: DeliveryTarget | null): Promise<Message> {
  const routed = (finding: StoredFinding) => target === null || isRoutedTo(settings.routes, finding, target.id);
  const { announced, stillOpen } = findingsOf(run, message);
  const mine = announced.filter(routed);
  return composeAlert({
    opened: mine.filter((finding) => finding.announcedChange === 'opened' || finding.announcedChange === 'reopened'),
    resolved: mine.filter((finding) => finding.announcedChange === 'resolved'),
    stillOpen: stillOpen.filter(routed),
    reminder: message.reminder,
    publicBaseUrl: settings.publicBaseUrl,
    customerNames: await run.customerNames(),
    maxLinesPerSection: settings.alertMaxLines,
  });
}

/** A delivery's body for a webhook channel: the same alert, in the channel's format. */
export function channelBody(channel: WebhookChannelName, alert: Message, message: OutboxMessage, run: RunContext, target: DeliveryTarget, routes: DetectorSettings['routes']): unknown {
  if (channel === 'teams') return teamsPayload(alert);
  if (channel === 'slack') return slackPayload(alert);
  const findings = findingsOf(run, message)
    .announced.filter((finding) => isRoutedTo(routes, finding, target.id))
    .map((finding) => ({ key: finding.key, kind: finding.kind, severity: finding.severity, change: finding.announcedChange ?? 'opened' }));
  return webhookPayload(alert, { messageId: message.messageId, composedAt: message.createdAt, event: message.reminder ? 'reminder' : 'alert', findings });
}
