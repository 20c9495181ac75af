import { randomUUID } from 'node:crypto';
import { defaultAzureRequestTimeoutMs } from '../../src/adapters/attemptTimeout';
import { keyVaultSecretClient } from '../../src/adapters/keyVaultSecret';
import { WebhookPoster } from '../../src/adapters/webhookPoster';
import { resourceTokenCredential } from '../../src/composition';
import { readConfig, type ChannelsConfig } from '../../src/config';
import { channelTestMessage, slackPayload, teamsPayload, webhookPayload } from '../../src/core/channelPayloads';
import { ConfigurationError } from '../../src/core/errors';
import { factsOf, fixFor, type CheckName, type CheckRow, type DoctorContext, type FailureFacts, type Step } from './diagnosis';

type Env = Readonly<Record<string, string | undefined>>;
type Channel = 'teams' | 'slack' | 'webhook';

interface ChannelCheck {
  check: CheckName;
  /** The settings the channel reads, its URL first. */
  settings: readonly string[];
}

const channelChecks: Record<Channel, ChannelCheck> = {
  teams: { check: 'Teams', settings: ['TEAMS_WEBHOOK_URL'] },
  slack: { check: 'Slack', settings: ['SLACK_WEBHOOK_URL'] },
  webhook: { check: 'Signed webhook', settings: ['ALERT_WEBHOOK_URL', 'ALERT_WEBHOOK_SECRET'] },
};

/**
 * One row per channel besides email: its settings' form (each platform's URL shape, https, the
 * signing secret's `whsec_` form), each Key Vault reference among them resolved as the Functions
 * host would, and, when asked, one test message posted through the poster the detector uses.
 * The URLs and the secret are credentials: a row names settings, never their values.
 */
export async function channelRows(env: Env, options: { sendTestMessage: boolean }, context: DoctorContext): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const channel of Object.keys(channelChecks) as Channel[]) rows.push(await channelRow(channel, env, options, context));
  return rows;
}

async function channelRow(channel: Channel, env: Env, options: { sendTestMessage: boolean }, context: DoctorContext): Promise<CheckRow> {
  const { check, settings } = channelChecks[channel];
  const [urlSetting] = settings as [string];
  if ((env[urlSetting] ?? '').trim() === '') return { check, token: 'n/a', read: 'n/a', verdict: 'skip', detail: `not configured: ${urlSetting} is not set` };
  const row = (token: Step, read: Step, verdict: CheckRow['verdict'], detail: string): CheckRow => ({ check, token, read, verdict, detail });

  // Key Vault references first, as the Functions host resolves them before the app reads a setting.
  const values: Record<string, string | undefined> = {};
  let token: Step = 'n/a';
  for (const setting of settings) {
    const value = env[setting]?.trim();
    const reference = value === undefined ? null : keyVaultReference(value);
    if (reference === 'malformed') return row('skipped', 'skipped', 'FAIL', `${setting} is a malformed Key Vault reference: write @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>/) or @Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>).`);
    if (reference === null) {
      values[setting] = value;
      continue;
    }
    const resolved = await resolveReference(reference, env, context, setting);
    if ('failure' in resolved) return row(resolved.token, 'skipped', 'FAIL', resolved.failure);
    values[setting] = resolved.value;
    token = 'yes';
  }

  let config: ChannelsConfig;
  try {
    config = readConfig({ ...values, WEBHOOK_TIMEOUT_SECONDS: env.WEBHOOK_TIMEOUT_SECONDS }, ['channels']).channels;
  } catch (error) {
    if (error instanceof ConfigurationError) return row(token, 'skipped', 'FAIL', `Settings: ${error.problems.join('; ')}.`);
    throw error;
  }
  const url = config[channel] as string;
  const shape = urlShapeProblem(channel, new URL(url));
  if (shape !== null) return row(token, 'skipped', 'FAIL', shape);
  const formed = `${settings.join(' and ')} ${settings.length > 1 ? 'are' : 'is'} well-formed${token === 'yes' ? ' (Key Vault references resolved)' : ''}`;
  if (!options.sendTestMessage) return row(token, 'n/a', 'warn', `${formed}; only a post proves the ${channel === 'webhook' ? 'receiver takes it' : 'webhook exists'}: npm run doctor -- --send-test-message`);

  const deliveryId = `doctor-test-${randomUUID()}`;
  const body =
    channel === 'teams'
      ? teamsPayload(channelTestMessage)
      : channel === 'slack'
        ? slackPayload(channelTestMessage)
        : webhookPayload(channelTestMessage, { messageId: deliveryId, composedAt: new Date().toISOString(), event: 'test', findings: [] });
  try {
    await new WebhookPoster(config).post(channel, body, deliveryId, config.timeoutMs);
  } catch (error) {
    return row(token, 'no', 'FAIL', postFix(channel, factsOf(error)));
  }
  const where = channel === 'teams' ? 'the workflow took it (its run history shows the post); look for it in the channel' : channel === 'slack' ? 'Slack posted it; look for it in the channel' : 'the receiver verified and took it (event type mfaMonitor.test)';
  return row(token, 'yes', 'ok', `${formed}; test message sent: ${where}`);
}

/**
 * The form of each platform's webhook URL, as the platform hands it out:
 * - Teams Workflows ("Post to a channel when a webhook request is received", Microsoft's
 *   "Create incoming webhooks with Workflows for Microsoft Teams"): a workflow trigger,
 *   `.../workflows/<id>/triggers/manual/paths/invoke?...&sig=<signature>`; the retired Office 365
 *   connector URLs (`*.webhook.office.com/webhookb2/...`, `outlook.office.com/webhook/...`) no longer post;
 * - Slack ("Sending messages using incoming webhooks"): `https://hooks.slack.com/services/T.../B.../<secret>`;
 * - the signed webhook: any https URL of your receiver.
 */
export function urlShapeProblem(channel: Channel, url: URL): string | null {
  if (channel === 'teams') {
    if (/(^|\.)webhook\.office\.com$/i.test(url.hostname) || /^\/webhook(b2)?\//i.test(url.pathname)) {
      return 'TEAMS_WEBHOOK_URL is an Office 365 connector URL, which Microsoft retired: in the channel, create a workflow from the template "Post to a channel when a webhook request is received" and use its URL.';
    }
    if (!/\/workflows\/[^/]+\/triggers\/[^/]+\/paths\/invoke$/i.test(url.pathname) || !url.searchParams.get('sig')) {
      return 'TEAMS_WEBHOOK_URL is not a workflow trigger URL (.../workflows/<id>/triggers/manual/paths/invoke?...&sig=...): copy the whole URL the workflow shows, its sig parameter included.';
    }
  }
  if (channel === 'slack' && !/\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+$/.test(url.pathname)) {
    return 'SLACK_WEBHOOK_URL is not an incoming webhook URL (https://hooks.slack.com/services/T.../B.../...): copy it from the app\'s Incoming Webhooks page.';
  }
  return null;
}

/** What the channel's answer to the test message calls for, from its status and the code it answered. */
export function postFix(channel: Channel, facts: FailureFacts): string {
  const { status } = facts;
  const code = facts.serviceCodes[0] ?? null;
  const answered = `${status ?? facts.code ?? 'no answer'}${code === null ? '' : ` ${code}`}`;
  if (status === null) {
    return facts.code === 'ChannelTimeout'
      ? `The ${channelChecks[channel].check} endpoint did not answer in time (${answered}): check the network (proxy, firewall), or raise WEBHOOK_TIMEOUT_SECONDS.`
      : `The ${channelChecks[channel].check} endpoint is unreachable (${answered}): check ${channelChecks[channel].settings[0]} and the network (proxy, firewall, DNS).`;
  }
  if (status === 429 || status >= 500) return `${channelChecks[channel].check} is busy or failing (${answered}): run \`npm run doctor -- --send-test-message\` again in a few minutes.`;
  if (channel === 'slack') return slackFix(code, answered);
  if (channel === 'teams') {
    if (status === 404 || status === 410) return `The workflow behind TEAMS_WEBHOOK_URL no longer exists (${answered}): it was deleted; recreate it from the template "Post to a channel when a webhook request is received" and put its URL in TEAMS_WEBHOOK_URL.`;
    if (status === 401 || status === 403) {
      return `The workflow refused the post (${answered}): copy its URL again, sig parameter included; if the trigger's "Who can trigger the flow" is not "Anyone", set it to Anyone (the monitor signs in to nothing), or turn the workflow back on.`;
    }
    if (status === 413) return `Teams refused the test message as too large (${answered}): report it, as the monitor keeps cards under Teams' limit.`;
    return `Teams refused the test card (${answered}): report it with this answer, as every card is checked with the Adaptive Cards SDK.`;
  }
  if (status === 401 || status === 403) return `The receiver refused the signature (${answered}): ALERT_WEBHOOK_SECRET must be the secret the receiver verifies with (whsec_...).`;
  if (status === 404 || status === 410) return `No receiver at ALERT_WEBHOOK_URL (${answered}): check the URL.`;
  return `The receiver refused the test message (${answered}): it must answer 2xx to a Standard Webhooks post of type mfaMonitor.test.`;
}

/** Slack's incoming-webhook errors, as "Sending messages using incoming webhooks" (Handling errors) lists them. */
function slackFix(code: string | null, answered: string): string {
  const recreate = 'add an incoming webhook to the channel again and put its URL in SLACK_WEBHOOK_URL';
  switch (code) {
    case 'no_service':
    case 'no_service_id':
    case 'invalid_token':
    case 'no_team':
      return `Slack knows no webhook at SLACK_WEBHOOK_URL (${answered}): it was removed, or the URL is cut; ${recreate}.`;
    case 'team_disabled':
      return `The Slack workspace of SLACK_WEBHOOK_URL is disabled (${answered}): ${recreate} in an active workspace.`;
    case 'channel_not_found':
      return `The webhook's channel no longer exists (${answered}): ${recreate}.`;
    case 'channel_is_archived':
      return `The webhook's channel is archived (${answered}): unarchive it, or ${recreate.replace('the channel', 'another channel')}.`;
    case 'action_prohibited':
      return `A workspace admin restricted posting in the webhook's channel (${answered}): ask them to allow the app, or ${recreate.replace('the channel', 'another channel')}.`;
    case 'posting_to_general_channel_denied':
      return `Only admins may post in the webhook's channel (${answered}): ${recreate.replace('the channel', 'another channel')}.`;
    case 'user_not_found':
      return `The user who added the webhook was deactivated (${answered}): ${recreate}.`;
    default:
      return `Slack refused the test message (${answered}): report it with this answer, as every message is checked against Block Kit's limits.`;
  }
}

type Reference = { vaultUrl: string; name: string; version: string | undefined };

/**
 * `@Microsoft.KeyVault(SecretUri=...)` or `@Microsoft.KeyVault(VaultName=...;SecretName=...[;SecretVersion=...])`,
 * the two forms of Microsoft's "Use Key Vault references as app settings in Azure App Service and
 * Azure Functions"; null for a plain value.
 */
export function keyVaultReference(value: string): Reference | 'malformed' | null {
  const match = /^@Microsoft\.KeyVault\((.*)\)$/is.exec(value);
  if (match === null) return null;
  const parts = new Map((match[1] as string).split(';').map((part) => part.split('=')).map(([key, ...rest]) => [(key ?? '').trim().toLowerCase(), rest.join('=').trim()]));
  const uri = parts.get('secreturi');
  if (uri !== undefined) {
    const secret = /^(https:\/\/[^/]+)\/secrets\/([0-9A-Za-z-]+)(?:\/([0-9A-Za-z]*))?\/?$/.exec(uri);
    return secret === null ? 'malformed' : { vaultUrl: secret[1] as string, name: secret[2] as string, version: secret[3] || undefined };
  }
  const vault = parts.get('vaultname');
  const name = parts.get('secretname');
  if (!vault || !name || !/^[0-9A-Za-z-]+$/.test(vault)) return 'malformed';
  // The public cloud's vault domain: a sovereign cloud's app is better served by the SecretUri form.
  return { vaultUrl: `https://${vault}.vault.azure.net`, name, version: parts.get('secretversion') || undefined };
}

async function resolveReference(reference: Reference, env: Env, context: DoctorContext, setting: string): Promise<{ value: string } | { failure: string; token: Step }> {
  const vaultHost = new URL(reference.vaultUrl).host;
  const where = `secret ${reference.name} of vault ${vaultHost}`;
  const keyVault = { ...context, keyVaultHost: vaultHost };
  let client: ReturnType<typeof keyVaultSecretClient>;
  try {
    const credential = await resourceTokenCredential(env);
    await credential.getToken('https://vault.azure.net/.default');
    client = keyVaultSecretClient(reference.vaultUrl, credential, defaultAzureRequestTimeoutMs);
  } catch (error) {
    return { token: 'no', failure: `${setting}: ${fixFor('Key Vault', 'token', factsOf(error), keyVault)}` };
  }
  try {
    const secret = await client.getSecret(reference.name, { version: reference.version });
    if (secret.value === undefined || secret.value.trim() === '') return { token: 'yes', failure: `${setting} refers to ${where}, which is empty: store the value again (\`azd provision\` stores it from the azd environment).` };
    return { value: secret.value };
  } catch (error) {
    const facts = factsOf(error);
    if (facts.status === 404) {
      return { token: 'yes', failure: `${setting} refers to ${where}, which does not exist (404${facts.serviceCodes[0] ? ` ${facts.serviceCodes[0]}` : ''}): set it in the azd environment (\`azd env set ${setting} ...\`) and run \`azd provision\`, which stores it.` };
    }
    return { token: 'yes', failure: `${setting}: ${fixFor('Key Vault', 'read', facts, keyVault)}` };
  }
}
