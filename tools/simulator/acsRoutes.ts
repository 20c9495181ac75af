/*
 * Azure Communication Services Email at the root of the server: send (202 + operation)
 * and operation status, with HMAC-SHA256 request signing or a bearer token.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { authorize } from './bearerAuth';
import type { SimulatorContext } from './context';
import { acsError } from './errorBodies';
import type { Exchange } from './exchange';
import { REPEATABILITY_WINDOW_MS } from './mailroom';
import { applyRequestFaults } from './requestFaults';

/** Signed requests older (or newer) than this are refused as replays. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPERATION = /^\/emails\/operations\/([^/]+)$/;

/** Why the HMAC signature is refused, or undefined when it verifies. */
function hmacProblem(ex: Exchange, accessKey: string): string | undefined {
  const match = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/.exec(ex.header('authorization') ?? '');
  if (!match) return 'The Authorization header is not an HMAC-SHA256 signature.';
  const signedHeaders = match[1]!.toLowerCase().split(';');
  for (const required of ['x-ms-date', 'host', 'x-ms-content-sha256']) {
    if (!signedHeaders.includes(required)) return `SignedHeaders must include ${required}.`;
  }
  const date = Date.parse(ex.header('x-ms-date') ?? '');
  if (Number.isNaN(date)) return 'The x-ms-date header is missing or invalid.';
  if (Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS) return 'The request is stale: x-ms-date is more than 15 minutes away from the server time.';
  const contentHash = createHash('sha256').update(ex.body).digest('base64');
  if (ex.header('x-ms-content-sha256') !== contentHash) return 'x-ms-content-sha256 does not match the request body.';
  const query = ex.url.searchParams.toString();
  const pathAndQuery = query ? `${ex.url.pathname}?${query}` : ex.url.pathname;
  const values = signedHeaders.map((name) => ex.header(name) ?? '');
  const stringToSign = `${ex.method}\n${pathAndQuery}\n${values.join(';')}`;
  const expected = Buffer.from(createHmac('sha256', Buffer.from(accessKey, 'base64')).update(stringToSign).digest('base64'));
  const given = Buffer.from(match[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? undefined : 'The request signature does not match.';
}

function authenticate(ex: Exchange, ctx: SimulatorContext): boolean {
  if (/^Bearer\s/i.test(ex.header('authorization') ?? '')) return authorize(ex, ctx, 'acs');
  const problem = hmacProblem(ex, ctx.acsAccessKey);
  if (problem === undefined) return true;
  ex.send(401, acsError(401, problem, 'Denied'));
  return false;
}

export async function handleAcs(ex: Exchange, ctx: SimulatorContext): Promise<void> {
  const path = ex.url.pathname;
  const isSend = path === '/emails:send' && ex.method === 'POST';
  const operation = OPERATION.exec(path);
  if (!isSend && !(operation && ex.method === 'GET')) {
    ex.send(404, acsError(404, `No resource at ${ex.method} ${path}.`, 'NotFound'));
    return;
  }
  if (!authenticate(ex, ctx)) return;
  const apiVersion = ex.url.searchParams.get('api-version');
  if (!apiVersion) {
    ex.send(400, acsError(400, "The 'api-version' query parameter is required.", 'MissingApiVersionParameter'));
    return;
  }
  if (!(await applyRequestFaults(ex, ctx.faults, 0))) return;
  if (operation) {
    const found = ctx.mailroom.operation(decodeURIComponent(operation[1]!));
    if (found) ex.send(200, found);
    else ex.send(404, acsError(404, `Operation '${operation[1]}' was not found.`, 'NotFound'));
    return;
  }
  send(ex, ctx, apiVersion);
}

interface EmailAddress { address?: unknown }

function addresses(list: unknown): string[] | undefined {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return undefined;
  const out = (list as EmailAddress[]).map((entry) => entry?.address);
  return out.every((address): address is string => typeof address === 'string' && /^[^@\s]+@[^@\s]+$/.test(address)) ? out : undefined;
}

function send(ex: Exchange, ctx: SimulatorContext, apiVersion: string): void {
  const requestId = ex.header('repeatability-request-id');
  const firstSent = ex.header('repeatability-first-sent');
  let firstSentMs = 0;
  if ((requestId === undefined) !== (firstSent === undefined)) {
    ex.send(400, acsError(400, 'Repeatability-Request-Id and Repeatability-First-Sent must be sent together.'));
    return;
  }
  if (requestId !== undefined) {
    firstSentMs = Date.parse(firstSent ?? '');
    if (Number.isNaN(firstSentMs)) {
      ex.send(400, acsError(400, 'Repeatability-First-Sent is not an HTTP date.'));
      return;
    }
    if (Date.now() - firstSentMs > REPEATABILITY_WINDOW_MS) {
      ex.send(412, acsError(412, 'Repeatability-First-Sent is older than the 5-minute repeatability window.', 'PreconditionFailed'));
      return;
    }
    const previous = ctx.mailroom.recall(requestId);
    if (previous) {
      ex.send(previous.status, previous.body, { ...previous.headers, 'repeatability-result': 'accepted' });
      return;
    }
  }

  let message: Record<string, unknown>;
  try {
    message = JSON.parse(ex.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    ex.send(400, acsError(400, 'The request body is not valid JSON.'));
    return;
  }
  const content = (message.content ?? {}) as Record<string, unknown>;
  const recipients = (message.recipients ?? {}) as Record<string, unknown>;
  const to = addresses(recipients.to);
  const cc = addresses(recipients.cc);
  const bcc = addresses(recipients.bcc);
  const problem =
    typeof message.senderAddress !== 'string' || !message.senderAddress.includes('@') ? 'senderAddress is required and must be an email address.'
      : typeof content.subject !== 'string' || content.subject === '' ? 'content.subject is required.'
        : typeof content.plainText !== 'string' && typeof content.html !== 'string' ? 'content.plainText or content.html is required.'
          : !to || !cc || !bcc ? 'Every recipient needs a valid address.'
            : to.length + cc.length + bcc.length === 0 ? 'At least one recipient is required.'
              : undefined;
  if (problem) {
    ex.send(400, acsError(400, problem, 'InvalidRequest'));
    return;
  }
  const given = ex.header('operation-id');
  if (given !== undefined && !UUID.test(given)) {
    ex.send(400, acsError(400, 'Operation-Id must be a UUID.', 'InvalidRequest'));
    return;
  }
  if (ctx.emailDomainUnlinked) {
    ex.send(404, acsError(404, 'The specified sender domain has not been linked.', 'DomainNotLinked'));
    return;
  }
  const operationId = given ?? randomUUID();
  const everyone = [...to!, ...cc!, ...bcc!];
  // Addresses on the reserved `.invalid` TLD fail delivery, so callers can exercise the Failed status.
  const failure = everyone.every((address) => address.endsWith('.invalid'))
    ? { code: 'EmailDroppedAllRecipientsSuppressed', message: 'Message was not delivered: every recipient is suppressed.' }
    : undefined;
  ctx.mailroom.accept(operationId, {
    from: message.senderAddress as string,
    to: to!,
    subject: content.subject as string,
    html: typeof content.html === 'string' ? content.html : '',
    plainText: typeof content.plainText === 'string' ? content.plainText : '',
  }, failure);
  const response = {
    status: 202,
    headers: {
      'operation-location': `${ctx.url}/emails/operations/${operationId}?api-version=${encodeURIComponent(apiVersion)}`,
      'operation-id': operationId,
    },
    body: { id: operationId, status: 'Running' },
  };
  if (requestId !== undefined) ctx.mailroom.remember(requestId, firstSentMs, response);
  ex.send(response.status, response.body, requestId === undefined ? response.headers : { ...response.headers, 'repeatability-result': 'accepted' });
}
