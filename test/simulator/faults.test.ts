import { startSimulator, Simulator } from '../../tools/simulator';
import { get, tokenFor } from './simulatorClient';

let sim: Simulator;
let graphToken: string;
let pcToken: string;
beforeAll(async () => {
  sim = await startSimulator({ customers: 120, graphPageSize: 50, partnerCenterPageSize: 10 });
  graphToken = await tokenFor(sim, sim.graphBaseUrl);
  pcToken = await tokenFor(sim, sim.partnerCenterBaseUrl);
});
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const insights = () => `${sim.graphBaseUrl}/beta/security/partner/securityScore/customerInsights`;
const requirements = () => `${sim.graphBaseUrl}/beta/security/partner/securityScore/requirements`;
const principals = () => `${sim.partnerCenterBaseUrl}/v1/nonMfaCompliantPartnerPrincipals`;

describe('status faults', () => {
  it('when Graph is throttled, then 429 with Retry-After in seconds and a Graph error body, until the fault runs out', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 2, service: 'graph', path: '/customerInsights', times: 2 });
    for (let i = 0; i < 2; i++) {
      const throttled = await get(insights(), graphToken);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('2');
      expect(throttled.json.error).toMatchObject({ code: 'TooManyRequests', message: expect.any(String) });
    }
    expect((await get(requirements(), graphToken)).status).toBe(200);
    expect((await get(insights(), graphToken)).status).toBe(200);
  });

  it('when Partner Center fails with an HTTP-date Retry-After, then its own error style is used', async () => {
    const date = new Date(Date.now() + 3000).toUTCString();
    sim.injectFault({ kind: 'status', status: 503, retryAfter: date, service: 'partnerCenter' });
    const failed = await get(principals(), pcToken);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe(date);
    expect(failed.json).toMatchObject({ code: expect.any(Number), description: expect.any(String) });
  });

  it('when only page 1 fails once, then page 0 works, page 1 fails, and its retry with the same link works', async () => {
    sim.injectFault({ kind: 'status', status: 500, service: 'graph', path: '/customerInsights', page: 1, times: 1 });
    const first = await get(insights(), graphToken);
    expect(first.status).toBe(200);
    const next = first.json['@odata.nextLink'] as string;
    expect((await get(next, graphToken)).status).toBe(500);
    const retried = await get(next, graphToken);
    expect(retried.status).toBe(200);
    expect(retried.json.value).toHaveLength(50);
  });

  it('when the Partner Center page 2 fails, then the continuation token of page 1 still gets it afterwards', async () => {
    sim.injectFault({ kind: 'status', status: 502, service: 'partnerCenter', page: 2, times: 1 });
    const page0 = await get(principals(), pcToken);
    const page1 = await get(principals(), pcToken, { 'MS-ContinuationToken': page0.json.links.next.headers[0].value });
    const continuation = { 'MS-ContinuationToken': page1.json.links.next.headers[0].value };
    expect((await get(principals(), pcToken, continuation)).status).toBe(502);
    expect((await get(principals(), pcToken, continuation)).status).toBe(200);
  });
});

describe('timing faults', () => {
  it('when a delay is injected, then the answer comes that much later', async () => {
    sim.injectFault({ kind: 'delay', ms: 300, service: 'graph', path: '/requirements', times: 1 });
    const started = Date.now();
    expect((await get(requirements(), graphToken)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('when a request hangs, then it is listed in flight while the client waits, the client times out, the log shows no answer, and close() still finishes', async () => {
    const own = await startSimulator({ customers: 3 });
    const ownToken = await tokenFor(own, own.graphBaseUrl);
    own.injectFault({ kind: 'hang', service: 'graph' });
    const waiting = fetch(`${own.graphBaseUrl}/beta/security/partner/securityScore`, { headers: { authorization: `Bearer ${ownToken}` }, signal: AbortSignal.timeout(300) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(own.requestsInFlight()).toEqual([expect.objectContaining({ service: 'graph', path: '/graph/beta/security/partner/securityScore', status: 0 })]);
    expect(own.requestLog().filter((entry) => entry.service === 'graph')).toEqual([]);
    await expect(waiting).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(own.requestsInFlight()).toEqual([]);
    expect(own.requestLog().filter((entry) => entry.service === 'graph')).toEqual([expect.objectContaining({ status: 0 })]);
    // A second hung request still open at close time.
    void fetch(`${own.graphBaseUrl}/beta/security/partner/securityScore`, { headers: { authorization: `Bearer ${ownToken}` } }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = Date.now();
    await own.close();
    expect(Date.now() - closing).toBeLessThan(1000);
  });
});

describe('answers held back', () => {
  it('when an answer is held, then the request is carried out and stays in flight, unanswered, until the client closes the connection', async () => {
    const body = { text: 'MFA regressions', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '• held' } }] };
    const before = sim.received('slack').length;
    sim.injectFault({ kind: 'holdAnswer', service: 'slack', times: 1 });
    const client = new AbortController();
    const waiting = fetch(sim.channelUrls.slack, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: client.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sim.received('slack').slice(before).map((received) => received.body)).toEqual([body]);
    expect(sim.requestsInFlight()).toEqual([expect.objectContaining({ service: 'slack', method: 'POST', status: 0 })]);
    client.abort();
    await expect(waiting).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.requestsInFlight()).toEqual([]);
  });
});

describe('body faults', () => {
  it('when malformed, then a 200 whose body is not valid JSON', async () => {
    sim.injectFault({ kind: 'malformed', service: 'partnerCenter', times: 1 });
    const response = await get(principals(), pcToken);
    expect(response.status).toBe(200);
    expect(() => JSON.parse(response.text)).toThrow();
    expect(response.text.startsWith('{"totalCount"')).toBe(true);
  });

  it('when drift adds fields, then items carry unknown properties, nested ones too', async () => {
    sim.injectFault({ kind: 'drift', mode: 'extraFields', service: 'graph', path: '/customerInsights', times: 1 });
    const item = (await get(insights(), graphToken)).json.value[0];
    expect(item.futureFlag).toBe(true);
    expect(item.mfa.futureDetails).toEqual(expect.any(Object));
    expect(item.tenantId).toBe(sim.expected().customerInsights[0]!.tenantId);
  });

  it('when drift brings unknown enum values, then enum fields hold unknownFutureValue or a brand new member and an unknown subtype appears', async () => {
    sim.injectFault({ kind: 'drift', mode: 'unknownFutureValue', service: 'graph', path: '/requirements', times: 1 });
    const served = (await get(requirements(), graphToken)).json.value as Record<string, unknown>[];
    expect(new Set(served.map((r) => r.complianceStatus))).toEqual(new Set(['unknownFutureValue', 'partiallyEnforced']));
    expect(served.at(-1)!['@odata.type']).toBe('#microsoft.graph.partner.security.passwordlessEnforcedSecurityRequirement');
    sim.injectFault({ kind: 'drift', mode: 'unknownFutureValue', field: 'securityDefaultsStatus', service: 'graph', path: '/customerInsights', times: 1 });
    const insight = (await get(insights(), graphToken)).json.value[0];
    expect(insight.mfa.securityDefaultsStatus).toBe('unknownFutureValue');
    expect(['enabled', 'disabled']).toContain(insight.mfa.mfaConditionalAccessPolicyStatus);
  });

  it('when drift removes a field, then that field is gone from every item', async () => {
    sim.injectFault({ kind: 'drift', mode: 'missingField', field: 'upn', service: 'partnerCenter', times: 1 });
    const items = (await get(principals(), pcToken)).json.items as Record<string, unknown>[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => !('upn' in item) && typeof item.objectId === 'string')).toBe(true);
    sim.injectFault({ kind: 'drift', mode: 'missingField', service: 'graph', path: '/requirements', times: 1 });
    const requirementItems = (await get(requirements(), graphToken)).json.value as Record<string, unknown>[];
    expect(requirementItems.every((r) => !('complianceStatus' in r))).toBe(true);
  });
});

describe('verbatim answers', () => {
  it('when a verbatim answer is injected, then the matching request gets exactly those bytes, and later requests the simulated data again', async () => {
    const body = '{"totalCount":1,"items":[],\n  "attributes":{"objectType":"Collection"} }';
    sim.injectFault({ kind: 'verbatim', status: 200, body, service: 'partnerCenter', path: '/v1/nonMfaCompliantPartnerPrincipals', times: 1 });
    const served = await get(principals(), pcToken);
    expect(served.text).toBe(body);
    expect(served.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(served.headers.get('ms-requestid')).toEqual(expect.any(String));
    expect((await get(principals(), pcToken)).json.items).toHaveLength(10);
  });

  it('when a verbatim answer is for a path, then a longer path under it is not answered with it', async () => {
    sim.injectFault({ kind: 'verbatim', status: 200, body: '{"value":{}}', service: 'graph', path: '/beta/security/partner/securityScore', times: 1 });
    expect((await get(requirements(), graphToken)).json.value.length).toBeGreaterThan(0);
    expect((await get(`${sim.graphBaseUrl}/beta/security/partner/securityScore`, graphToken)).text).toBe('{"value":{}}');
  });

  it('when several match, then the earliest injected answers first (one per page), whatever paging headers the request carries', async () => {
    sim.injectFault({ kind: 'verbatim', status: 200, body: '{"value":[1]}', service: 'graph', path: '/beta/security/partner/securityScore/requirements', times: 1 });
    sim.injectFault({ kind: 'verbatim', status: 200, body: '{"value":[2]}', service: 'graph', path: '/beta/security/partner/securityScore/requirements', times: 1 });
    expect((await get(requirements(), graphToken)).text).toBe('{"value":[1]}');
    const second = await get(`${requirements()}?$skiptoken=not-one-of-ours`, graphToken);
    expect(second.text).toBe('{"value":[2]}');
    expect(second.headers.get('content-type')).toMatch(/^application\/json;odata\.metadata=minimal/);
  });

  it('when a verbatim answer names a status and content type, then both are served, and only to an authenticated caller', async () => {
    sim.injectFault({ kind: 'verbatim', status: 404, body: 'gone', contentType: 'text/plain', service: 'graph', path: '/beta/security/partner/securityScore/customerInsights' });
    expect((await get(insights())).status).toBe(401);
    const served = await get(insights(), graphToken);
    expect([served.status, served.text, served.headers.get('content-type')]).toEqual([404, 'gone', 'text/plain']);
  });

  it('when posted through the control API, then it is served the same', async () => {
    const posted = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'verbatim', status: 200, body: '{"value":[]}', service: 'graph', path: '/beta/security/partner/securityScore/history', times: 1 }) });
    expect(posted.status).toBe(201);
    expect((await get(`${sim.graphBaseUrl}/beta/security/partner/securityScore/history`, graphToken)).text).toBe('{"value":[]}');
  });
});

describe('fault validation', () => {
  it('when a verbatim answer is malformed, then injectFault names the problem', () => {
    const path = '/beta/security/partner/securityScore';
    expect(() => sim.injectFault({ kind: 'verbatim', status: 200, body: '{}', service: 'acs', path })).toThrow(/service/);
    expect(() => sim.injectFault({ kind: 'verbatim', status: 200, body: '{}', service: 'graph' })).toThrow(/path/);
    expect(() => sim.injectFault({ kind: 'verbatim', status: 200, body: '{}', service: 'graph', path, page: 1 })).toThrow(/page/);
    expect(() => sim.injectFault({ kind: 'verbatim', status: 200, body: {} as string, service: 'graph', path })).toThrow(/body/);
    expect(() => sim.injectFault({ kind: 'verbatim', status: 99, body: '{}', service: 'graph', path })).toThrow(/status/);
  });

  it('when a fault is malformed, then injectFault throws and names the problem', () => {
    expect(() => sim.injectFault({ kind: 'status', status: 418 as 400, service: 'graph' })).toThrow(/status/);
    expect(() => sim.injectFault({ kind: 'delay', ms: 5 })).toThrow(/service/);
  });
});
