import { EmailClient } from '@azure/communication-email';
import { startSimulator, Simulator } from '../../tools/simulator';
import { parseOptions } from '../../tools/simulator/main';
import { get, tokenFor } from './simulatorClient';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 4 });
});
afterAll(() => sim.close());

describe('control API', () => {
  it('when a script advances the day over HTTP, then the state and served data follow', async () => {
    expect((await get(`${sim.url}/_sim/state`)).json).toMatchObject({ day: 0, date: '2026-01-01', customers: 4 });
    const advanced = await fetch(`${sim.url}/_sim/advance?days=3`, { method: 'POST' });
    expect(await advanced.json()).toMatchObject({ day: 3, date: '2026-01-04' });
    expect(sim.day).toBe(3);
    sim.setDay(0);
  });

  it('when a fault is posted and then deleted, then Graph fails and recovers; a bad fault is a 400', async () => {
    const token = await tokenFor(sim, sim.graphBaseUrl);
    const url = `${sim.graphBaseUrl}/beta/security/partner/securityScore`;
    const posted = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'status', status: 503, service: 'graph' }) });
    expect(posted.status).toBe(201);
    expect((await get(url, token)).status).toBe(503);
    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
    expect((await get(url, token)).status).toBe(200);
    const bad = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'nonsense' }) });
    expect(bad.status).toBe(400);
  });

  it('when an email is delivered, then the inbox page lists it with its HTML escaped into a sandbox, and inbox.json has it', async () => {
    const client = new EmailClient(sim.acsConnectionString);
    await (await client.beginSend({
      senderAddress: 'alerts@sim.azurecomm.net',
      content: { subject: 'Regression <3 customers>', html: '<script>alert(1)</script><p>body</p>' },
      recipients: { to: [{ address: 'ops@contoso.example' }] },
    }, { updateIntervalInMs: 10 })).pollUntilDone();
    const page = await fetch(`${sim.url}/_sim/inbox`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('Regression &lt;3 customers&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<iframe sandbox=""');
    expect((await get(`${sim.url}/_sim/inbox.json`)).json).toEqual([expect.objectContaining({ subject: 'Regression <3 customers>' })]);
  });
});

describe('npm run sim options', () => {
  it('when options come from argv and env, then argv wins and values are typed', () => {
    expect(parseOptions(['--customers', '10000', '--quirks=false'], { SIM_CUSTOMERS: '5', SIM_SEED: '9', SIM_DAY_LENGTH_MS: '20000' })).toEqual({
      port: 7443, customers: 10000, quirks: false, seed: 9, dayLengthMs: 20000,
    });
    expect(() => parseOptions(['--customers', 'many'], {})).toThrow(/whole number/);
    expect(() => parseOptions(['--colour', 'blue'], {})).toThrow(/--colour/);
  });

  it('when the Partner Center link form is given, then it is passed on, and a form the simulator does not know is refused at start', async () => {
    expect(parseOptions(['--partner-center-next-link', 'absolute'], {})).toMatchObject({ partnerCenterNextLink: 'absolute' });
    expect(parseOptions([], { SIM_PARTNER_CENTER_NEXT_LINK: 'versioned' })).toMatchObject({ partnerCenterNextLink: 'versioned' });
    await expect(startSimulator({ partnerCenterNextLink: 'relative' as 'versioned' })).rejects.toThrow(/partnerCenterNextLink must be versionless, versioned or absolute/);
  });
});
