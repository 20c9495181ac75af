import { EmailClient, EmailMessage } from '@azure/communication-email';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { startSimulator, Simulator } from '../../tools/simulator';
import { credentialFor } from './simulatorClient';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 1 });
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const message = (subject: string, to = 'ops@contoso.example'): EmailMessage => ({
  senderAddress: 'DoNotReply@sim.azurecomm.net',
  content: { subject, plainText: `${subject} (text)`, html: `<p>${subject}</p>` },
  recipients: { to: [{ address: to }] },
});

/** A request signed like the SDK does, with knobs to get it wrong. */
async function signedSend(body: unknown, options: { key?: string; date?: Date; headers?: Record<string, string>; tamperBody?: boolean } = {}) {
  const url = new URL(`${sim.url}/emails:send?api-version=2025-09-01`);
  const text = JSON.stringify(body);
  const date = (options.date ?? new Date()).toUTCString();
  const hash = createHash('sha256').update(text).digest('base64');
  const toSign = `POST\n${url.pathname}?${url.searchParams.toString()}\n${date};${url.host};${hash}`;
  const signature = createHmac('sha256', Buffer.from(options.key ?? sim.acsAccessKey, 'base64')).update(toSign).digest('base64');
  const response = await fetch(url, {
    method: 'POST',
    body: options.tamperBody ? `${text} ` : text,
    headers: {
      'content-type': 'application/json',
      'x-ms-date': date,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
      ...options.headers,
    },
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

describe('ACS Email', () => {
  it('when the real EmailClient sends with the connection string, then the email reaches the inbox and the operation succeeds', async () => {
    const client = new EmailClient(sim.acsConnectionString);
    const poller = await client.beginSend(message('Hello from the monitor'), { updateIntervalInMs: 10 });
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');
    const delivered = sim.inbox().find((email) => email.operationId === result.id);
    expect(delivered).toMatchObject({ subject: 'Hello from the monitor', to: ['ops@contoso.example'], html: '<p>Hello from the monitor</p>', from: 'DoNotReply@sim.azurecomm.net' });
    expect(sim.requestLog().find((entry) => entry.service === 'acs')!.headers.authorization).toBe('HMAC-SHA256 [redacted]');
  });

  it('when the signature is wrong, missing, stale or the body changed, then 401', async () => {
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    expect((await signedSend(message('x'), { key: wrongKey })).status).toBe(401);
    expect((await signedSend(message('x'), { date: new Date(Date.now() - 20 * 60 * 1000) })).status).toBe(401);
    expect((await signedSend(message('x'), { tamperBody: true })).status).toBe(401);
    expect((await signedSend(message('x'), { headers: { authorization: '' } })).status).toBe(401);
    expect((await signedSend(message('x'))).status).toBe(202);
  });

  it('when the caller chooses the Operation-Id, then it is the operation id, and sending it again delivers again', async () => {
    const operationId = randomUUID();
    const client = new EmailClient(sim.acsConnectionString);
    const first = await (await client.beginSend(message('Once'), { operationId, updateIntervalInMs: 10 })).pollUntilDone();
    expect(first.id).toBe(operationId);
    const status = await fetch(`${sim.url}/emails/operations/${operationId}?api-version=2025-09-01`);
    expect(status.status).toBe(401);
    const second = await signedSend(message('Once'), { headers: { 'operation-id': operationId } });
    expect(second.status).toBe(202);
    expect(second.headers.get('operation-id')).toBe(operationId);
    expect(second.headers.get('operation-location')).toBe(`${sim.url}/emails/operations/${operationId}?api-version=2025-09-01`);
    await waitForDeliveries(operationId, 2);
    expect(sim.inbox().filter((email) => email.operationId === operationId)).toHaveLength(2);
  });

  it('when an operation id is unknown, then its status is 404', async () => {
    const client = new EmailClient(sim.acsConnectionString);
    const poller = await client.beginSend(message('probe'), { updateIntervalInMs: 10 });
    await poller.pollUntilDone();
    const unknown = randomUUID();
    const response = await signedGet(`/emails/operations/${unknown}?api-version=2025-09-01`);
    expect(response.status).toBe(404);
  });

  it('when a repeatable request is repeated within 5 minutes, then it is answered again but sent once; older than 5 minutes, then 412', async () => {
    const requestId = randomUUID();
    const firstSent = new Date().toUTCString();
    const headers = { 'repeatability-request-id': requestId, 'repeatability-first-sent': firstSent };
    const first = await signedSend(message('Repeatable'), { headers });
    const again = await signedSend(message('Repeatable'), { headers });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers.get('repeatability-result')).toBe('accepted');
    await waitForDeliveries(first.json.id as string, 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sim.inbox().filter((email) => email.subject === 'Repeatable')).toHaveLength(1);
    const old = await signedSend(message('Too old'), { headers: { 'repeatability-request-id': randomUUID(), 'repeatability-first-sent': new Date(Date.now() - 6 * 60 * 1000).toUTCString() } });
    expect(old.status).toBe(412);
  });

  it('when every recipient is on .invalid, then the operation fails and the client sees Failed', async () => {
    const client = new EmailClient(sim.acsConnectionString);
    const poller = await client.beginSend(message('Bounce', 'nobody@example.invalid'), { updateIntervalInMs: 10 });
    await expect(poller.pollUntilDone()).rejects.toThrow();
  });

  it('when the sender domain is not linked, then a send answers 404 DomainNotLinked and nothing is delivered, while status look-ups still answer', async () => {
    sim.injectFault({ kind: 'unlinkEmailDomain' });
    const inbox = sim.inbox().length;
    const refused = await signedSend(message('Not linked'));
    expect(refused).toMatchObject({ status: 404, json: { error: { code: 'DomainNotLinked', message: 'The specified sender domain has not been linked.' } } });
    await expect(new EmailClient(sim.acsConnectionString).beginSend(message('Not linked either'))).rejects.toMatchObject({ statusCode: 404, code: 'DomainNotLinked' });
    expect(sim.inbox()).toHaveLength(inbox);
    expect((await signedGet(`/emails/operations/${randomUUID()}?api-version=2025-09-01`)).status).toBe(404);
  });

  it('when ACS throttles once with retry-after, then the real client retries and the email still goes out', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 1, service: 'acs', path: '/emails:send', times: 1 });
    const client = new EmailClient(sim.acsConnectionString);
    const result = await (await client.beginSend(message('After throttling'), { updateIntervalInMs: 10 })).pollUntilDone();
    expect(result.status).toBe('Succeeded');
    expect(sim.requestLog().filter((entry) => entry.service === 'acs' && entry.status === 429)).not.toHaveLength(0);
  });

  it('when a bearer token for ACS is used (managed identity path), then the send is accepted; a Graph token is not', async () => {
    const credential = credentialFor(sim);
    const client = new EmailClient(sim.acsEndpoint, credential);
    const result = await (await client.beginSend(message('With Entra'), { updateIntervalInMs: 10 })).pollUntilDone();
    expect(result.status).toBe('Succeeded');
    const graphToken = (await credential.getToken(`${sim.graphBaseUrl}/.default`)).token;
    const refused = await fetch(`${sim.url}/emails:send?api-version=2025-09-01`, { method: 'POST', body: JSON.stringify(message('x')), headers: { authorization: `Bearer ${graphToken}`, 'content-type': 'application/json' } });
    expect(refused.status).toBe(401);
  });
});

async function signedGet(pathAndQuery: string) {
  const url = new URL(`${sim.url}${pathAndQuery}`);
  const date = new Date().toUTCString();
  const hash = createHash('sha256').update('').digest('base64');
  const toSign = `GET\n${url.pathname}?${url.searchParams.toString()}\n${date};${url.host};${hash}`;
  const signature = createHmac('sha256', Buffer.from(sim.acsAccessKey, 'base64')).update(toSign).digest('base64');
  return fetch(url, { headers: { 'x-ms-date': date, 'x-ms-content-sha256': hash, authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}` } });
}

async function waitForDeliveries(operationId: string, count: number) {
  for (let i = 0; i < 100 && sim.inbox().filter((email) => email.operationId === operationId).length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
