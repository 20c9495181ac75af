import { psaRows, setupRow } from '../../../tools/doctor/psaTickets';
import { startSimulator, type Simulator } from '../../../tools/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ customers: 10 });
});
afterAll(async () => {
  await sim?.close();
});

describe("the doctor's PSA rows", () => {
  it('when no PSA is configured, then each PSA has a skipped row naming the setting that turns it on', async () => {
    expect(await psaRows({})).toEqual([
      { check: 'ConnectWise PSA', token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'not configured: CONNECTWISE_BASE_URL is not set' },
      { check: 'Autotask', token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'not configured: AUTOTASK_USERNAME is not set' },
      { check: 'HaloPSA', token: 'n/a', read: 'n/a', verdict: 'skip', detail: 'not configured: HALOPSA_BASE_URL is not set' },
    ]);
  });

  it('when a PSA is configured with settings missing or wrong, then its row fails naming each setting, never a value, and the others stay skipped', async () => {
    const rows = await psaRows({ HALOPSA_BASE_URL: 'https://partner.halopsa.example', HALOPSA_CLIENT_SECRET: 'halo-secret-value-123', HALOPSA_STATUS_CLOSED: 'Closed please' });
    const halo = rows.find((row) => row.check === 'HaloPSA');
    expect(halo).toMatchObject({ token: 'skipped', read: 'skipped', verdict: 'FAIL' });
    expect(halo?.detail).toMatch(/^Settings: /);
    for (const setting of ['HALOPSA_CLIENT_ID', 'HALOPSA_FALLBACK_CLIENT_ID', 'HALOPSA_STATUS_CLOSED']) expect(halo?.detail).toContain(setting);
    expect(halo?.detail).not.toContain('halo-secret-value-123');
    expect(rows.filter((row) => row.check !== 'HaloPSA').map((row) => row.verdict)).toEqual(['skip', 'skip']);
  });

  it('when a PSA base URL is not https, then its row fails naming the setting', async () => {
    const [connectwise] = await psaRows({ CONNECTWISE_BASE_URL: 'http://api-na.myconnectwise.net/v4_6_release/apis/3.0' });
    expect(connectwise).toMatchObject({ check: 'ConnectWise PSA', verdict: 'FAIL', detail: expect.stringContaining('CONNECTWISE_BASE_URL') });
  });

  it("when a PSA's steps all pass, then the row is ok and lists each step; a failing step comes first with its fix, the passed ones named after", () => {
    const steps = [
      { step: 'sign in', ok: true, detail: 'as API member mfa-monitor' },
      { step: 'board Help Desk', ok: true, detail: 'id 1' },
      { step: 'status >Closed', ok: false, detail: 'the board has no status ">Closed": set CONNECTWISE_STATUS_CLOSED to one of New, Completed' },
      { step: 'fallback company 250', ok: true, detail: 'Simulated Partner (own company)' },
    ];
    expect(setupRow('ConnectWise PSA', steps.map((step) => ({ ...step, ok: true })))).toEqual({
      check: 'ConnectWise PSA', token: 'yes', read: 'yes', verdict: 'ok',
      detail: 'sign in: as API member mfa-monitor; board Help Desk: id 1; status >Closed: the board has no status ">Closed": set CONNECTWISE_STATUS_CLOSED to one of New, Completed; fallback company 250: Simulated Partner (own company)',
    });
    expect(setupRow('ConnectWise PSA', steps)).toEqual({
      check: 'ConnectWise PSA', token: 'yes', read: 'no', verdict: 'FAIL',
      detail: 'status >Closed: the board has no status ">Closed": set CONNECTWISE_STATUS_CLOSED to one of New, Completed (passed: sign in, board Help Desk, fallback company 250)',
    });
  });

  it('when signing in fails, then the token column says no and the reads are skipped', () => {
    expect(setupRow('Autotask', [{ step: 'sign in', ok: false, detail: '401: check AUTOTASK_USERNAME and AUTOTASK_SECRET' }])).toEqual({
      check: 'Autotask', token: 'no', read: 'skipped', verdict: 'FAIL', detail: 'sign in: 401: check AUTOTASK_USERNAME and AUTOTASK_SECRET',
    });
  });

  it('when the three simulated PSAs are configured, then each row signs in and passes every step of its client\'s check', async () => {
    const env = { ...sim.psa('connectwise').settings(), ...sim.psa('autotask').settings(), ...sim.psa('halopsa').settings() };
    const rows = await psaRows(env);
    expect(rows.map((row) => [row.check, row.token, row.read, row.verdict])).toEqual([
      ['ConnectWise PSA', 'yes', 'yes', 'ok'],
      ['Autotask', 'yes', 'yes', 'ok'],
      ['HaloPSA', 'yes', 'yes', 'ok'],
    ]);
    for (const row of rows) expect(row.detail).toMatch(/fallback/i);
  });

  it('when a simulated PSA refuses the credentials or lacks the fallback company, then its row fails naming the setting to fix, never the secret', async () => {
    const connectwise = { ...sim.psa('connectwise').settings(), CONNECTWISE_PRIVATE_KEY: 'wrong-private-key-0042' };
    const [refused] = await psaRows(connectwise);
    expect(refused).toMatchObject({ check: 'ConnectWise PSA', token: 'no', read: 'skipped', verdict: 'FAIL' });
    expect(refused!.detail).toMatch(/CONNECTWISE_(PUBLIC|PRIVATE)_KEY/);
    expect(refused!.detail).not.toContain('wrong-private-key-0042');
    const halo = (await psaRows({ ...sim.psa('halopsa').settings(), HALOPSA_FALLBACK_CLIENT_ID: '987654' })).find((row) => row.check === 'HaloPSA');
    expect(halo).toMatchObject({ token: 'yes', read: 'no', verdict: 'FAIL', detail: expect.stringContaining('HALOPSA_FALLBACK_CLIENT_ID') });
  });
});
