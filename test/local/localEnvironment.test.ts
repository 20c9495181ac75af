import { TableServiceClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { RegisteredFunction } from '../../tools/functionsCore';
import { fillMissingSchedules, startLocalEnvironment } from '../../tools/localEnvironment';
import type { Simulator, SimulatorOptions } from '../../tools/simulator';

const timer = (name: string, schedule: string): RegisteredFunction => ({ name, trigger: { type: 'timer', schedule, runOnStartup: false }, handler: () => undefined });

describe('startLocalEnvironment', () => {
  test('when no table storage and a real Graph are configured, then Azurite starts in memory and TABLES_CONNECTION_STRING points at it', async () => {
    const env: NodeJS.ProcessEnv = { GRAPH_BASE_URL: 'https://graph.microsoft.com' };
    const lines: string[] = [];
    const environment = await startLocalEnvironment({ env, log: (line) => lines.push(line), startSimulator: () => Promise.reject(new Error('must not start')) });
    try {
      expect(environment.simulated).toBe(false);
      expect(environment.inbox).toBeNull();
      const service = TableServiceClient.fromConnectionString(env.TABLES_CONNECTION_STRING ?? '', { allowInsecureConnection: true });
      await service.createTable('probe');
      expect(lines.join('\n')).toMatch(/Tables: Azurite in this process at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1, in memory/);
    } finally {
      await environment.close();
    }
  });

  test('when no scan queue is configured, then ADMIN_SCAN_QUEUE points at the same Azurite, whose scan queue exists (the deployment creates it in Azure), and its name is set for the host to resolve', async () => {
    const env: NodeJS.ProcessEnv = { GRAPH_BASE_URL: 'https://graph.microsoft.com' };
    const lines: string[] = [];
    const environment = await startLocalEnvironment({ env, log: (line) => lines.push(line) });
    try {
      expect(env.ADMIN_SCAN_QUEUE).toMatch(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;/);
      expect(env.ADMIN_SCAN_QUEUE_NAME).toBe('admin-scans');
      const properties = await new QueueClient(env.ADMIN_SCAN_QUEUE ?? '', 'admin-scans').getProperties();
      expect(properties.approximateMessagesCount).toBe(0);
      expect(lines).toContain('Queue: admin-scans in the same Azurite (ADMIN_SCAN_QUEUE)');
    } finally {
      await environment.close();
    }
  });

  test('when nothing is configured, then the simulator starts with a demo population and the app settings point at it', async () => {
    const env: NodeJS.ProcessEnv = { TABLES_ENDPOINT: 'https://account.table.core.windows.net', ALERT_TO: 'me@partner.example', SLACK_WEBHOOK_URL: 'https://hooks.slack.example/mine' };
    const started: SimulatorOptions[] = [];
    let closed = false;
    const simulatedPsa: Simulator['psa'] = (name) => ({ tickets: () => [], companies: () => [], settings: () => ({ [`${name.toUpperCase()}_SIMULATED`]: `https://127.0.0.1:9443/${name}` }) });
    const simulator = {
      url: 'https://127.0.0.1:9443',
      graphBaseUrl: 'https://127.0.0.1:9443/graph',
      partnerCenterBaseUrl: 'https://127.0.0.1:9443/partnercenter',
      authorityHost: 'https://127.0.0.1:9443/login',
      tenantId: 'tenant',
      clientId: 'client',
      clientSecret: 'secret',
      acsConnectionString: 'endpoint=https://127.0.0.1:9443/acs/;accesskey=a2V5',
      channelUrls: { teams: 'https://127.0.0.1:9443/teams/w', slack: 'https://127.0.0.1:9443/slack/s', webhook: 'https://127.0.0.1:9443/webhook/receive', webhookSecret: 'whsec_a2V5' },
      psa: simulatedPsa,
      close: async () => {
        closed = true;
      },
    } as Simulator;
    const lines: string[] = [];

    const environment = await startLocalEnvironment({ env, log: (line) => lines.push(line), startSimulator: async (options) => (started.push(options), simulator) });
    await environment.close();

    expect(environment.simulated).toBe(true);
    expect(environment.inbox).toBe('https://127.0.0.1:9443/_sim/inbox');
    expect(started).toEqual([{ customers: 200, dayLengthMs: 20_000 }]);
    expect(env).toEqual({
      TABLES_ENDPOINT: 'https://account.table.core.windows.net',
      GRAPH_BASE_URL: 'https://127.0.0.1:9443/graph',
      PARTNER_CENTER_BASE_URL: 'https://127.0.0.1:9443/partnercenter',
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9443/login',
      AZURE_TENANT_ID: 'tenant',
      AZURE_CLIENT_ID: 'client',
      AZURE_CLIENT_SECRET: 'secret',
      ACS_CONNECTION_STRING: 'endpoint=https://127.0.0.1:9443/acs/;accesskey=a2V5',
      ALERT_FROM: 'DoNotReply@monitor.local',
      ALERT_TO: 'me@partner.example',
      // Every channel goes to the simulator's receivers, except one the settings already name.
      TEAMS_WEBHOOK_URL: 'https://127.0.0.1:9443/teams/w',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.example/mine',
      ALERT_WEBHOOK_URL: 'https://127.0.0.1:9443/webhook/receive',
      ALERT_WEBHOOK_SECRET: 'whsec_a2V5',
      // The simulated customers consented to the simulated app: their admins are scanned app-only.
      CUSTOMER_TENANT_AUTH: 'app',
      // Read by the host to resolve the queue functions' `%ADMIN_SCAN_QUEUE_NAME%`; no queue connection without a local Azurite.
      ADMIN_SCAN_QUEUE_NAME: 'admin-scans',
      // Tickets in the three simulated PSAs, as each gives its settings.
      CONNECTWISE_SIMULATED: 'https://127.0.0.1:9443/connectwise',
      AUTOTASK_SIMULATED: 'https://127.0.0.1:9443/autotask',
      HALOPSA_SIMULATED: 'https://127.0.0.1:9443/halopsa',
    });
    expect(lines).toContain('  Alert e-mails from DoNotReply@monitor.local to me@partner.example: https://127.0.0.1:9443/_sim/inbox');
    expect(lines).toContain('  Alerts in Teams https://127.0.0.1:9443/_sim/teams, Slack https://127.0.0.1:9443/_sim/slack and the signed webhook receiver https://127.0.0.1:9443/_sim/webhook');
    expect(lines).toContain('  Tickets in ConnectWise PSA https://127.0.0.1:9443/_sim/psa/connectwise, Autotask https://127.0.0.1:9443/_sim/psa/autotask and HaloPSA https://127.0.0.1:9443/_sim/psa/halopsa');
    expect(closed).toBe(true);
  });

  test('when the simulator fails to start, then the Azurite already started is closed and the error surfaces', async () => {
    const env: NodeJS.ProcessEnv = {};
    await expect(startLocalEnvironment({ env, log: () => undefined, startSimulator: () => Promise.reject(new Error('port in use')) })).rejects.toThrow('port in use');
    expect(env.TABLES_CONNECTION_STRING).toMatch(/TableEndpoint=http:/);
    await expect(fetch(`${/TableEndpoint=([^;]+)/.exec(env.TABLES_CONNECTION_STRING ?? '')?.[1]}/Tables`)).rejects.toThrow();
  });
});

describe('fillMissingSchedules', () => {
  const functions = [timer('collectPartnerSecurity', '%SCHEDULE_PARTNER_SECURITY%'), timer('pruneSnapshots', '%SCHEDULE_PRUNE_SNAPSHOTS%'), timer('fixed', '0 0 1 * * *')];

  test('when simulated, then unset schedule settings get fast demo schedules and set ones are kept', () => {
    const env: NodeJS.ProcessEnv = { SCHEDULE_PRUNE_SNAPSHOTS: '0 0 3 * * *' };
    expect(fillMissingSchedules(functions, env, true)).toEqual({ SCHEDULE_PARTNER_SECURITY: '0,30 * * * * *' });
    expect(env.SCHEDULE_PRUNE_SNAPSHOTS).toBe('0 0 3 * * *');
    expect(fillMissingSchedules([timer('other', '%SCHEDULE_OTHER%')], env, true)).toEqual({ SCHEDULE_OTHER: '50 * * * * *' });
  });

  test('when real endpoints are used, then only documented defaults are filled in', () => {
    const env: NodeJS.ProcessEnv = {};
    const undocumented = [timer('collectPartnerSecurity', '%SCHEDULE_PARTNER_SECURITY%'), timer('other', '%SCHEDULE_UNDOCUMENTED%'), timer('fixed', '0 0 1 * * *')];
    expect(fillMissingSchedules(undocumented, env, false)).toEqual({ SCHEDULE_PARTNER_SECURITY: '0 15 5 * * *' });
    expect(env.SCHEDULE_UNDOCUMENTED).toBeUndefined();
  });
});
