/*
 * `/_sim/...`: a small HTTP API to drive the simulator from a browser or a script during
 * `npm start` / `npm run sim`. Loopback only and without authentication, like the rest.
 */
import type { Exchange } from './exchange';
import { tenantProfiles } from './customerTenants';
import { faultProblem } from './faultBook';
import type { SignInPerson } from './signInAuthority';
import type { AlertChannel, Fault, PsaService, ReceivedPost, SentEmail, SimulatedTicket, Simulator } from './types';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function inboxPage(emails: SentEmail[]): string {
  const rows = emails.slice().reverse().map((email) => `
<article>
  <h2>${escapeHtml(email.subject)}</h2>
  <p><b>From</b> ${escapeHtml(email.from)} &middot; <b>To</b> ${escapeHtml(email.to.join(', '))} &middot; ${escapeHtml(email.deliveredAt)}
     &middot; <small>operation ${escapeHtml(email.operationId)}</small></p>
  ${email.html ? `<iframe sandbox="" srcdoc="${escapeHtml(email.html)}"></iframe>` : `<pre>${escapeHtml(email.plainText)}</pre>`}
</article>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulator inbox (${emails.length})</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}article{border-top:1px solid #ccc;padding:1rem 0}
iframe{width:100%;height:24rem;border:1px solid #ddd}h2{margin:0 0 .25rem}</style></head>
<body><h1>Simulator inbox</h1><p>${emails.length} delivered email(s), newest first.</p>${rows || '<p>No email yet.</p>'}</body></html>`;
}

const psaTitles: Record<PsaService, string> = { connectwise: 'ConnectWise PSA', autotask: 'Autotask', halopsa: 'HaloPSA' };

/** A simulated PSA's tickets, newest first: company, board, status and every note, to watch tickets open, change and close. */
function ticketsPage(psa: PsaService, tickets: SimulatedTicket[]): string {
  const rows = tickets.slice().reverse().map((ticket) => `
<article>
  <h2>#${escapeHtml(ticket.id)} ${escapeHtml(ticket.title)}</h2>
  <p><b>Company</b> ${escapeHtml(ticket.companyName)} (${escapeHtml(ticket.companyId)}) &middot; <b>Board</b> ${escapeHtml(ticket.board)}
     &middot; <b>Status</b> ${escapeHtml(ticket.status)}${ticket.closed ? ' (closed)' : ''} &middot; <b>Priority</b> ${escapeHtml(ticket.priority)}
     &middot; updated ${escapeHtml(ticket.updatedAt)}</p>
  <details><summary>Description and ${ticket.notes.length} note(s)</summary><pre>${escapeHtml(ticket.description)}</pre>${ticket.notes.map((note) => `<pre>${escapeHtml(note)}</pre>`).join('')}</details>
</article>`).join('\n');
  const open = tickets.filter((ticket) => !ticket.closed).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated ${psaTitles[psa]} (${open} open)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}article{border-top:1px solid #ccc;padding:1rem 0}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}h2{margin:0 0 .25rem;font-size:1.1rem}</style></head>
<body><h1>Simulated ${psaTitles[psa]}</h1><p>${tickets.length} ticket(s), ${open} open, newest first.</p>${rows || '<p>No ticket yet.</p>'}</body></html>`;
}

const channelTitles: Record<AlertChannel, string> = { teams: 'Teams channel', slack: 'Slack channel', webhook: 'Signed webhook receiver' };

/** What a channel receiver accepted, newest first, as the JSON it got: enough to see each card and message. */
function receivedPage(channel: AlertChannel, posts: ReceivedPost[]): string {
  const rows = posts.slice().reverse().map((post) => `
<article>
  <p><b>Received</b> ${escapeHtml(post.receivedAt)}${post.headers['webhook-id'] ? ` &middot; <small>webhook-id ${escapeHtml(post.headers['webhook-id'])}</small>` : ''}</p>
  <p>${escapeHtml(summary(channel, post.body))}</p>
  <details><summary>JSON</summary><pre>${escapeHtml(JSON.stringify(post.body, null, 2))}</pre></details>
</article>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulator ${channelTitles[channel]} (${posts.length})</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}article{border-top:1px solid #ccc;padding:1rem 0}pre{white-space:pre-wrap}</style></head>
<body><h1>Simulator ${channelTitles[channel]}</h1><p>${posts.length} message(s), newest first.</p>${rows || '<p>Nothing yet.</p>'}</body></html>`;
}

/** The line a person sees first: the card's heading, Slack's fallback text, the webhook's subject. */
function summary(channel: AlertChannel, body: unknown): string {
  const json = body as { text?: string; data?: { subject?: string }; attachments?: { content?: { body?: { text?: string }[] } }[] };
  if (channel === 'teams') return json.attachments?.[0]?.content?.body?.[0]?.text ?? '';
  if (channel === 'slack') return json.text ?? '';
  return json.data?.subject ?? '';
}

/** The person a control request names, or null when it is not one. */
function signInPerson(text: string): Partial<SignInPerson> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const fields = new Map(Object.entries(parsed));
  const person: Partial<SignInPerson> = {};
  for (const name of ['name', 'username', 'objectId'] as const) {
    const value = fields.get(name);
    if (value === undefined) continue;
    if (typeof value !== 'string') return null;
    person[name] = value;
  }
  const roles: unknown = fields.get('roles');
  if (roles !== undefined) {
    if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) return null;
    person.roles = roles;
  }
  return person;
}

interface ControlState {
  state: () => Record<string, unknown>;
}

/**
 * `POST /_sim/customer-tenants/{tenantId}` with `{"profile":"noPremium"}` (one of tenantProfiles)
 * or `{"registerAdmin":"leeg@..."}`: changes how a customer tenant answers from now on.
 */
function customerTenantControl(ex: Exchange, simulator: Simulator): void {
  const tenantId = decodeURIComponent(ex.url.pathname.slice('/_sim/customer-tenants/'.length));
  let change: { profile?: unknown; registerAdmin?: unknown } = {};
  try {
    change = JSON.parse(ex.body.toString('utf8')) as typeof change;
  } catch {
    // Answered below as a body that names nothing to change.
  }
  if (simulator.customerTenants.profile(tenantId) === undefined) return ex.send(404, { error: `${tenantId} is not a simulated customer tenant` });
  const profile = tenantProfiles.find((name) => name === change.profile);
  if (profile !== undefined) simulator.customerTenants.setProfile(tenantId, profile);
  else if (typeof change.registerAdmin === 'string') {
    const upn = change.registerAdmin.toLowerCase();
    if (!simulator.customerTenants.admins(tenantId).some((admin) => admin.userPrincipalName.toLowerCase() === upn)) return ex.send(400, { error: `no admin ${change.registerAdmin} in ${tenantId}` });
    simulator.customerTenants.registerAdmin(tenantId, change.registerAdmin);
  } else return ex.send(400, { error: `the body must be {"profile": one of ${tenantProfiles.join(', ')}} or {"registerAdmin": a UPN}` });
  ex.send(200, { tenantId, profile: simulator.customerTenants.profile(tenantId), admins: simulator.customerTenants.admins(tenantId) });
}

export function handleControl(ex: Exchange, simulator: Simulator, control: ControlState): void {
  const route = `${ex.method} ${ex.url.pathname}`;
  switch (route) {
    case 'GET /_sim/state':
      ex.send(200, control.state());
      return;
    case 'POST /_sim/advance': {
      const days = Number(ex.url.searchParams.get('days') ?? '1');
      if (!Number.isInteger(days)) {
        ex.send(400, { error: 'days must be an integer' });
        return;
      }
      simulator.advanceDays(days);
      ex.send(200, control.state());
      return;
    }
    case 'POST /_sim/faults': {
      let fault: unknown;
      try {
        fault = JSON.parse(ex.body.toString('utf8'));
      } catch {
        ex.send(400, { error: 'the body must be a JSON fault' });
        return;
      }
      const problem = faultProblem(fault);
      if (problem) {
        ex.send(400, { error: problem });
        return;
      }
      simulator.injectFault(fault as Fault);
      ex.send(201, control.state());
      return;
    }
    case 'POST /_sim/sign-in': {
      // Who signs in next, e.g. {"name":"Riley Reader","username":"riley@partner.example","roles":["Monitor.Read"]}.
      const person = signInPerson(ex.body.toString('utf8'));
      if (person === null) {
        ex.send(400, { error: 'the body must be a JSON person: name, username and objectId strings, roles an array of strings (each optional)' });
        return;
      }
      ex.send(200, simulator.signIn.signInAs(person));
      return;
    }
    case 'DELETE /_sim/faults':
      simulator.clearFaults();
      ex.send(200, control.state());
      return;
    case 'GET /_sim/inbox':
      ex.sendRaw(200, inboxPage(simulator.inbox()), { 'content-type': 'text/html; charset=utf-8' });
      return;
    case 'GET /_sim/inbox.json':
      ex.send(200, simulator.inbox());
      return;
    case 'GET /_sim/teams':
    case 'GET /_sim/slack':
    case 'GET /_sim/webhook': {
      const channel = ex.url.pathname.slice('/_sim/'.length) as AlertChannel;
      ex.sendRaw(200, receivedPage(channel, simulator.received(channel)), { 'content-type': 'text/html; charset=utf-8' });
      return;
    }
    case 'GET /_sim/teams.json':
    case 'GET /_sim/slack.json':
    case 'GET /_sim/webhook.json':
      ex.send(200, simulator.received(ex.url.pathname.slice('/_sim/'.length, -'.json'.length) as AlertChannel));
      return;
    default: {
      const psa = /^\/_sim\/psa\/(connectwise|autotask|halopsa)(\.json)?$/.exec(ex.url.pathname);
      if (ex.method === 'GET' && psa !== null) {
        // The pattern admits the three PSAs' names only.
        const name = psa[1] as PsaService;
        const tickets = simulator.psa(name).tickets();
        if (psa[2] === undefined) ex.sendRaw(200, ticketsPage(name, tickets), { 'content-type': 'text/html; charset=utf-8' });
        else ex.send(200, tickets);
        return;
      }
      if (ex.method === 'POST' && ex.url.pathname.startsWith('/_sim/customer-tenants/')) return customerTenantControl(ex, simulator);
      ex.send(404, { error: `no control route ${route}` });
    }
  }
}
