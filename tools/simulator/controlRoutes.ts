/*
 * `/_sim/...`: a small HTTP API to drive the simulator from a browser or a script during
 * `npm start` / `npm run sim`. Loopback only and without authentication, like the rest.
 */
import type { Exchange } from './exchange';
import { faultProblem } from './faultBook';
import type { Fault, SentEmail, Simulator } from './types';

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

interface ControlState {
  state: () => Record<string, unknown>;
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
    default:
      ex.send(404, { error: `no control route ${route}` });
  }
}
