import { odata, TableClient } from '@azure/data-tables';
import { regressionDetector } from '../../src/composition';
import { toTableKey } from '../../src/adapters/tableKey';
import { composeAlert } from '../../src/core/alertMessage';
import { renderEmail } from '../../src/core/messageEmail';
import { defaultThresholds, detectRegressions } from '../../src/core/detectRegressions';
import type { Finding } from '../../src/core/findings';
import { runDetector } from '../../src/detector/runDetector';
import { announcedLines, servedNames, servedSnapshot } from '../support/alertOracle';
import { detectionInput, type SnapshotWithCustomers } from '../support/customerChanges';
import { startCloud, type Cloud } from '../support/cloud';
import { readConfig } from '../../src/config';
import { runMigrations } from '../../tools/migrate/migrations';

const noCredential = () => {
  throw new Error('a connection string needs no credential');
};

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ customers: 60, nonMfaSignInsPerDay: 2 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

function detect(settings: Record<string, string>): Promise<string[]> {
  return cloud.run('detectRegressions', settings);
}

function inboxSince(count: number) {
  return cloud.sim.inbox().slice(count);
}

async function outbox(settings: Record<string, string>) {
  const table = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Outbox`, { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  for await (const row of table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${'outbox'}` } })) rows.push(row);
  return rows;
}

/** The oracle: the pure rules and renderer applied day by day to the served data. */
function expectedEmails(days: number[], publicBaseUrl: string) {
  const findings = new Map<string, Finding>();
  const emails: { subject: string; plainText: string }[] = [];
  let previous: SnapshotWithCustomers = {};
  for (const day of days) {
    const current = servedSnapshot(cloud.sim.expected(day));
    const result = detectRegressions({ ...detectionInput(previous, current), findings, consecutiveFailures: { partnerSecurity: 0, nonMfaPrincipals: 0, registrationCounts: 0 }, thresholds: defaultThresholds, now: new Date().toISOString() });
    for (const finding of result.changed) findings.set(finding.key, finding);
    if (result.transitions.length > 0) {
      const opened = result.transitions.filter((transition) => transition.change !== 'resolved').map((transition) => transition.finding);
      const resolved = result.transitions.filter((transition) => transition.change === 'resolved').map((transition) => transition.finding);
      const announced = new Set(opened.map((finding) => finding.key));
      const stillOpen = [...findings.values()].filter((finding) => finding.state === 'open' && !finding.event && !announced.has(finding.key));
      const { subject, plainText } = renderEmail(composeAlert({ opened, resolved, stillOpen, reminder: false, publicBaseUrl, customerNames: servedNames(cloud.sim, day), maxLinesPerSection: 50 }));
      emails.push({ subject, plainText });
    }
    previous = current;
  }
  return emails;
}

describe('detectRegressions end to end (collectors, Azurite, the simulator and its ACS)', () => {
  it('when the population evolves for a week, then exactly the emails the rules decide are sent, one per day with changes, each finding once', async () => {
    const settings = cloud.settings();
    const days = [0, 1, 2, 3, 4, 5, 6, 7];
    const before = cloud.sim.inbox().length;
    const detectorLogs: string[] = [];
    for (const day of days) {
      cloud.sim.setDay(day);
      await cloud.collectAll(settings);
      detectorLogs.push(...(await detect(settings)));
    }
    const sent = inboxSince(before);
    const expected = expectedEmails(days, settings.PUBLIC_BASE_URL!);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(sent.map((email) => ({ subject: email.subject, plainText: email.plainText }))).toEqual(expected);
    expect(sent.every((email) => email.to.join() === 'admins@partner.example' && email.from === 'DoNotReply@monitor.example')).toBe(true);
    expect(new Set(sent.map((email) => email.operationId)).size).toBe(sent.length);
    // Not vacuous: the simulator really turned some customer's policy off on one of these days.
    const turnedOff = days.slice(1).some((day) => {
      const yesterday = new Map(cloud.sim.expected(day - 1).customerInsights.map((insight) => [insight.tenantId, insight.mfa]));
      return cloud.sim.expected(day).customerInsights.some((insight) => yesterday.get(insight.tenantId)?.securityDefaultsStatus === 'enabled' && insight.mfa.securityDefaultsStatus === 'disabled');
    });
    expect(turnedOff).toBe(true);
    expect(sent.some((email) => /^- (CRITICAL: )?Security defaults was turned off/m.test(email.plainText))).toBe(true);
    // Customers by name first, id after; partner users by UPN; and none of it in the logs.
    const named = [...servedNames(cloud.sim, 7)].filter(([tenantId, name]) => sent.some((email) => email.plainText.includes(`${name} (tenant ${tenantId})`)));
    expect(named.length).toBeGreaterThan(0);
    const upns = days.flatMap((day) => cloud.sim.expected(day).nonMfaPrincipals.map((principal) => principal.upn));
    expect(sent.some((email) => upns.some((upn) => email.plainText.includes(`${upn} (object id `)))).toBe(true);
    const logText = detectorLogs.join('\n');
    expect(logText.length).toBeGreaterThan(0);
    expect([...servedNames(cloud.sim, 7).values(), ...upns].filter((personal) => logText.includes(personal))).toEqual([]);
  });

  it('when two detector runs start at once, then one email is sent', async () => {
    const settings = cloud.settings();
    cloud.sim.setDay(10);
    await cloud.collectAll(settings);
    await detect(settings);
    cloud.sim.setDay(14);
    await cloud.collectAll(settings);
    const before = cloud.sim.inbox().length;
    const logs = await Promise.all([detect(settings), detect(settings)]);
    expect(inboxSince(before)).toHaveLength(1);
    expect(logs.flat().some((line) => line.includes('another run holds the lease'))).toBe(true);
    await detect(settings);
    expect(inboxSince(before)).toHaveLength(1);
  });

  it('when ACS answers 500, then 429, then times out, and then recovers, then every finding is delivered exactly once, later regressions included', async () => {
    const settings = cloud.settings({ EMAIL_TIMEOUT_SECONDS: '3' });
    cloud.sim.setDay(20);
    await cloud.collectAll(settings);
    await detect(settings);
    const before = cloud.sim.inbox().length;
    cloud.sim.setDay(24);
    await cloud.collectAll(settings);
    for (const fault of [
      { kind: 'status', status: 500, service: 'acs', path: 'emails:send' },
      { kind: 'status', status: 429, retryAfter: 1, service: 'acs', path: 'emails:send' },
      { kind: 'hang', service: 'acs', path: 'emails:send' },
    ] as const) {
      cloud.sim.clearFaults();
      cloud.sim.injectFault(fault);
      const logs = await detect(settings);
      expect(logs.some((line) => line.includes('will be retried'))).toBe(true);
      expect(inboxSince(before)).toHaveLength(0);
    }
    // While mail is down, more regressions arrive: nothing may be lost.
    cloud.sim.setDay(27);
    await cloud.collectAll(settings);
    await detect(settings);
    expect(inboxSince(before)).toHaveLength(0);
    cloud.sim.clearFaults();
    await detect(settings);
    await detect(settings);
    await detect(settings);
    const delivered = inboxSince(before);
    expect(delivered).toHaveLength(2);
    const expected = expectedEmails([20, 24, 27], settings.PUBLIC_BASE_URL!);
    // Each line after its heading: lines about two customers can read alike.
    const lines = (texts: string[]) => texts.flatMap((text) => Object.values(announcedLines(text)).flat()).sort();
    const expectedLines = new Set(lines(expected.map((email) => email.plainText)));
    const deliveredLines = lines(delivered.map((email) => email.plainText));
    // Each regression or recovery line of the oracle appears in exactly one delivered email.
    for (const line of expectedLines) expect(deliveredLines.filter((candidate) => candidate === line).length).toBeLessThanOrEqual(1);
    expect(deliveredLines.length).toBeGreaterThan(0);
    const rows = await outbox(settings);
    expect(rows.map((row) => row.status).sort()).toEqual(['sent', 'sent']);
  });

  it.each([
    ['after ACS accepted the email but before it was recorded', true],
    ['after the message was claimed but before ACS was called', false],
  ])('when the detector crashes %s, then the next run delivers it exactly once', async (_when, reachedAcs) => {
    const settings = cloud.settings();
    cloud.sim.setDay(30);
    await cloud.collectAll(settings);
    await detect(settings);
    cloud.sim.setDay(34);
    await cloud.collectAll(settings);
    const before = cloud.sim.inbox().length;
    const dependencies = await regressionDetector({ info: () => {}, warn: () => {}, error: () => {} }, settings);
    const realSender = dependencies.sender;
    const crashing = {
      status: (operationId: string) => realSender.status(operationId),
      send: async (email: Parameters<typeof realSender.send>[0], operationId: string) => {
        if (reachedAcs) await realSender.send(email, operationId);
        throw new Error('process killed');
      },
    };
    await runDetector({ ...dependencies, sender: crashing });
    expect(inboxSince(before)).toHaveLength(reachedAcs ? 1 : 0);
    await detect(settings);
    await detect(settings);
    expect(inboxSince(before)).toHaveLength(1);
    const rows = await outbox(settings);
    expect(rows.find((row) => row.status === 'sent')).toBeDefined();
  });

  it('when a source fails three runs in a row, then "monitor cannot see" is sent once, and its recovery once data flows again', async () => {
    const settings = cloud.settings();
    cloud.sim.setDay(40);
    await cloud.collectAll(settings);
    await detect(settings);
    const before = cloud.sim.inbox().length;
    cloud.sim.injectFault({ kind: 'status', status: 500, service: 'partnerCenter' });
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await expect(cloud.run('collectNonMfaPrincipals', settings)).rejects.toMatchObject({ code: 'ServiceUnavailable' });
      await detect(settings);
      expect(inboxSince(before)).toHaveLength(attempt < 3 ? 0 : 1);
    }
    expect(inboxSince(before)[0]?.subject).toBe('[MFA monitor] monitor cannot read 1 source');
    expect(inboxSince(before)[0]?.plainText).toContain('The monitor cannot see non-MFA partner sign-ins (Partner Center): 3 runs in a row failed (last error: ServiceUnavailable: Partner Center GET /partnercenter/v1/nonMfaCompliantPartnerPrincipals answered 500');
    cloud.sim.clearFaults();
    await cloud.run('collectNonMfaPrincipals', settings);
    await detect(settings);
    const recovery = inboxSince(before)[1];
    expect(recovery?.plainText).toContain('The monitor can see non-MFA partner sign-ins (Partner Center) again');
  });

  it('when findings stay open past the reminder period, then one reminder lists them, and none is sent before', async () => {
    const settings = cloud.settings({ ALERT_REMINDER_DAYS: '7' });
    cloud.sim.setDay(50);
    await cloud.collectAll(settings);
    await detect(settings);
    cloud.sim.setDay(55);
    await cloud.collectAll(settings);
    await detect(settings);
    const before = cloud.sim.inbox().length;
    await detect(settings);
    expect(inboxSince(before)).toHaveLength(0);
    const { store } = await regressionDetector({ info: () => {}, warn: () => {}, error: () => {} }, settings);
    const open = (await store.readFindings()).filter((finding) => finding.state === 'open' && !finding.event);
    expect(open.length).toBeGreaterThan(0);
    const state = await store.readState();
    await store.writeState({ ...state, lastEmailAt: new Date(Date.now() - 8 * 86_400_000).toISOString() });
    await detect(settings);
    const reminder = inboxSince(before);
    expect(reminder).toHaveLength(1);
    expect(reminder[0]?.subject).toMatch(/^\[MFA monitor\] Reminder, still open: /);
    expect(reminder[0]?.plainText).toContain(`Still open (${open.length})`);
    await detect(settings);
    expect(inboxSince(before)).toHaveLength(1);
  });

  it('when customer names cannot be read, then the email still goes out, naming customers by tenant id, and the log says why without a name', async () => {
    const settings = cloud.settings();
    cloud.sim.setDay(90);
    await cloud.collectAll(settings);
    await detect(settings);
    cloud.sim.setDay(94);
    await cloud.collectAll(settings);
    const before = cloud.sim.inbox().length;
    const warnings: string[] = [];
    const dependencies = await regressionDetector({ info: () => {}, warn: (line) => warnings.push(line), error: () => {} }, settings);
    const unreadable = { customerNames: () => Promise.reject(Object.assign(new Error('table unavailable'), { code: 'StorageUnavailable' })) };
    await runDetector({ ...dependencies, directory: unreadable });
    const [email] = inboxSince(before);
    expect(email?.plainText).toContain('Customer tenant ');
    expect(email?.plainText).not.toMatch(/ \(tenant [0-9a-f-]{36}\)/);
    expect(warnings).toEqual(['detectRegressions: customer names unavailable (StorageUnavailable); emails show tenant ids']);
  });

  it('when findings are stored in the older two-finding shape (count and share apart), then the detector refuses them naming npm run migrate; migrated, an open pair becomes one open finding without an email, and its recovery is announced once', async () => {
    const settings = cloud.settings();
    const tenantsOf = (day: number) => {
      const requirement = servedSnapshot(cloud.sim.expected(day)).requirements.find((item) => item.kind === 'customersMfaEnforcedSecurityRequirement');
      const count = requirement?.compliantTenantCount ?? null;
      const total = requirement?.totalTenantCount ?? null;
      return { count, share: count === null || !total ? null : Math.round((count / total) * 10_000) / 100 };
    };
    // Two days on which compliant tenants rise in count and share: an old pair with the later day as its baseline recovers then.
    const days = Array.from({ length: 60 }, (_, index) => 60 + index);
    const day = days.find((candidate) => {
      const [today, tomorrow] = [tenantsOf(candidate), tenantsOf(candidate + 1)];
      return today.count !== null && tomorrow.count !== null && today.share !== null && tomorrow.share !== null && tomorrow.count > today.count && tomorrow.share > today.share;
    });
    expect(day).toBeDefined();
    const [today, tomorrow] = [tenantsOf(day!), tenantsOf(day! + 1)];
    cloud.sim.setDay(day!);
    await cloud.collectAll(settings);
    await detect(settings);
    // What the older detector stored for a pair it opened and announced, row for row.
    const findingsTable = TableClient.fromConnectionString(settings.TABLES_CONNECTION_STRING!, `${settings.TABLE_PREFIX}Findings`, { allowInsecureConnection: true });
    const oldRow = (measure: string, kind: string, baseline: number, current: number) => ({
      partitionKey: 'finding',
      rowKey: toTableKey(`requirement/mfaEnforcedForAdminsOfCustomers/${measure}`),
      kind, severity: 'warning', subjectType: 'requirement', subjectId: 'mfaEnforcedForAdminsOfCustomers', measure, state: 'open',
      baseline: JSON.stringify(baseline), current: JSON.stringify(current), openedAt: new Date(Date.now() - 86_400_000).toISOString(), event: false,
      announcedIn: '000001700000000000-0a0b0c0d', announcedChange: 'opened',
    });
    await findingsTable.upsertEntity(oldRow('compliantTenantCount', 'compliantTenantCountFell', tomorrow.count!, today.count!), 'Replace');
    await findingsTable.upsertEntity(oldRow('compliantTenantShare', 'compliantTenantShareFell', tomorrow.share!, today.share!), 'Replace');
    const { store } = await regressionDetector({ info: () => {}, warn: () => {}, error: () => {} }, settings);
    // The pair was announced by an email of its own: no reminder is due.
    await store.writeState({ ...(await store.readState()), lastEmailAt: new Date().toISOString() });

    const before = cloud.sim.inbox().length;
    // The detector reads the current shape only: it refuses the rows and names the migration, never misreads them.
    await expect(detect(settings)).rejects.toThrow(/findings table cannot be read: field "kind" is not one of .*`npm run migrate` brings it to the current shape/);
    await runMigrations({ storage: readConfig(settings, ['storage']).storage, credential: noCredential, dryRun: false, dropOld: false, log: () => undefined });
    await detect(settings);
    expect(inboxSince(before)).toHaveLength(0);
    const upgraded = (await store.readFindings()).filter((finding) => finding.subject.id === 'mfaEnforcedForAdminsOfCustomers');
    expect(upgraded).toEqual([
      expect.objectContaining({ key: 'requirement/mfaEnforcedForAdminsOfCustomers/compliantTenants', kind: 'compliantTenantsFell', state: 'open', baseline: tomorrow.count, pendingChange: null }),
    ]);
    const rowKeys: string[] = [];
    for await (const row of findingsTable.listEntities()) rowKeys.push(String(row.rowKey));
    expect(rowKeys.filter((key) => key.includes('compliantTenant'))).toEqual([toTableKey('requirement/mfaEnforcedForAdminsOfCustomers/compliantTenants')]);

    cloud.sim.setDay(day! + 1);
    await cloud.collectAll(settings);
    await detect(settings);
    await detect(settings);
    const after = inboxSince(before);
    expect(after).toHaveLength(1);
    const recoveries = after.flatMap((email) => email.plainText.split('\n')).filter((line) => line.startsWith('- compliant customer tenants'));
    expect(recoveries).toEqual([expect.stringMatching(/^- compliant customer tenants: back to \d+ of \d+ \(\d+\.\d%\) \(was \d+ of \d+ \(\d+\.\d%\) before the regression\)$/)]);
    expect((await store.readFindings()).find((finding) => finding.key === 'requirement/mfaEnforcedForAdminsOfCustomers/compliantTenants')).toMatchObject({ state: 'resolved', pendingChange: null });
  });

  it('when ALERT_TO holds an invalid address, then the detector fails with a configuration error and sends nothing', async () => {
    const settings = cloud.settings({ ALERT_TO: 'admins@partner.example,nobody' });
    const before = cloud.sim.inbox().length;
    await expect(detect(settings)).rejects.toThrow('ALERT_TO entry 2 of 2 is not an email address');
    expect(inboxSince(before)).toHaveLength(0);
  });
});
