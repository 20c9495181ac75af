import { readConfig } from '../src/config';
import { ConfigurationError } from '../src/core/errors';

describe('readConfig', () => {
  it('when nothing is set, then storage fails naming the missing setting', () => {
    expect(() => readConfig({}, ['storage'])).toThrow(/TABLES_CONNECTION_STRING or TABLES_ENDPOINT is required/);
  });

  it('when several settings are wrong, then one error names every problem', () => {
    let caught: unknown;
    try {
      readConfig(
        { TABLES_ENDPOINT: 'http://plain', TABLE_PREFIX: '9bad', GRAPH_BASE_URL: 'not a url', HTTP_MAX_RETRIES: '99', AZURE_CLIENT_SECRET: 's3cret-value' },
        ['storage', 'identity', 'http', 'graph'],
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    const problems = (caught as ConfigurationError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('TABLES_ENDPOINT must be an https:// URL'),
        expect.stringContaining('TABLE_PREFIX'),
        expect.stringContaining('GRAPH_BASE_URL is not a valid URL'),
        expect.stringContaining('HTTP_MAX_RETRIES'),
        expect.stringContaining('AZURE_TENANT_ID is required with AZURE_CLIENT_SECRET'),
        expect.stringContaining('AZURE_CLIENT_ID is required with AZURE_CLIENT_SECRET'),
      ]),
    );
    expect((caught as Error).message).not.toContain('s3cret-value');
  });

  it('when only defaults apply, then the documented defaults are used and scopes follow the base URLs', () => {
    const config = readConfig({ TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' }, ['storage', 'graph', 'partnerCenter', 'http']);
    expect(config.storage.tablePrefix).toBe('mfa');
    expect(config.graph).toEqual({ baseUrl: 'https://graph.microsoft.com', scope: 'https://graph.microsoft.com/.default' });
    expect(config.partnerCenter.scope).toBe('https://api.partnercenter.microsoft.com/.default');
    expect(config.http).toEqual({ timeoutMs: 30000, maxRetries: 5, maxConcurrency: 4, maxRetryAfterMs: 120000 });
  });

  it('when a part is not asked for, then its problems do not fail the function', () => {
    expect(() => readConfig({ TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', GRAPH_BASE_URL: 'nope' }, ['storage'])).not.toThrow();
  });
});

describe('readConfig: email and detection', () => {
  const valid = { ACS_CONNECTION_STRING: 'endpoint=https://acs.example/;accesskey=a2V5', ALERT_FROM: 'DoNotReply@monitor.example', ALERT_TO: 'a@partner.example, b@partner.example' };

  it('when the email settings are valid, then recipients are split and trimmed and thresholds default', () => {
    const config = readConfig(valid, ['email', 'detection']);
    expect(config.email.to).toEqual(['a@partner.example', 'b@partner.example']);
    expect(config.detection).toEqual({ reminderDays: 7, alertMaxLines: 50, nonAdminShareDropPoints: 5, sourceFailuresBeforeAlert: 3, undeliveredAlertLimitMs: 7_200_000 });
  });

  it.each(['0', '1001', 'ten'])('when ALERT_MAX_LINES is %s, then it is a configuration error naming the range', (lines) => {
    expect(() => readConfig({ ...valid, ALERT_MAX_LINES: lines }, ['detection'])).toThrow('ALERT_MAX_LINES must be a whole number from 1 to 1000');
  });

  it('when an ALERT_TO address is invalid, then it is a configuration error naming its position, not a silent drop', () => {
    expect(() => readConfig({ ...valid, ALERT_TO: 'a@partner.example,not-an-address' }, ['email'])).toThrow('ALERT_TO entry 2 of 2 is not an email address');
  });

  it('when no ACS setting, sender or recipient is set, then every one is named', () => {
    expect(() => readConfig({}, ['email'])).toThrow(/ACS_CONNECTION_STRING or ACS_ENDPOINT is required[\s\S]*ALERT_FROM is required[\s\S]*ALERT_TO is required/);
  });
});

describe('readConfig: limits', () => {
  it('when nothing is set, then Azure requests time out after 20 s and the deadline comes from host.json', () => {
    expect(readConfig({}, ['limits']).limits).toEqual({ azureRequestTimeoutMs: 20_000, invocationDeadlineSeconds: null });
  });

  it('when the limits are set, then they are read; out of range, then each is named with its range', () => {
    expect(readConfig({ AZURE_REQUEST_TIMEOUT_SECONDS: '5', INVOCATION_DEADLINE_SECONDS: '300' }, ['limits']).limits).toEqual({ azureRequestTimeoutMs: 5_000, invocationDeadlineSeconds: 300 });
    expect(() => readConfig({ AZURE_REQUEST_TIMEOUT_SECONDS: '0', INVOCATION_DEADLINE_SECONDS: '4' }, ['limits'])).toThrow(
      /AZURE_REQUEST_TIMEOUT_SECONDS must be a whole number from 1 to 300[\s\S]*INVOCATION_DEADLINE_SECONDS must be a whole number from 5 to 86400/,
    );
  });

  it('when ALERT_UNDELIVERED_HOURS is outside 1-168, then the query API and the detector both refuse it', () => {
    for (const part of ['queryApi', 'detection'] as const) expect(() => readConfig({ ALERT_UNDELIVERED_HOURS: '0' }, [part])).toThrow('ALERT_UNDELIVERED_HOURS must be a whole number from 1 to 168');
  });
});

describe('alert channel settings', () => {
  const base = { ACS_CONNECTION_STRING: 'endpoint=https://acs.example/;accesskey=a2V5', ALERT_FROM: 'DoNotReply@monitor.example', ALERT_TO: 'admins@partner.example' };

  it('when ALERT_WEBHOOK_URL is set without a secret, or with one that is not whsec_ and 24-64 bytes, then the detector settings fail saying so without echoing either', () => {
    expect(() => readConfig({ ...base, ALERT_WEBHOOK_URL: 'https://hooks.partner.example/mfa?token=s3cret-url' }, ['channels'])).toThrow('ALERT_WEBHOOK_SECRET is required with ALERT_WEBHOOK_URL');
    let caught: unknown;
    try {
      readConfig({ ...base, ALERT_WEBHOOK_URL: 'https://hooks.partner.example/mfa?token=s3cret-url', ALERT_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }, ['channels']);
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toContain('ALERT_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes');
    expect((caught as Error).message).not.toMatch(/s3cret-url|c2hvcnQ/);
  });

  it('when a webhook URL is plain http, then it is refused like every other credential-bearing URL, without the URL', () => {
    expect(() => readConfig({ ...base, TEAMS_WEBHOOK_URL: 'http://prod.logic.example/workflows/1?sig=abc' }, ['channels'])).toThrow('TEAMS_WEBHOOK_URL must be an https:// URL');
  });

  it('when Slack is configured and ALERT_ROUTES is unset, then every finding goes to email and Slack, and the post budget defaults to 30 s', () => {
    const { channels } = readConfig({ ...base, SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T1/B1/abc' }, ['channels']);
    expect(channels.routes.flatMap((route) => route.targets.map((target) => target.id))).toEqual(['email', 'slack']);
    expect(channels.timeoutMs).toBe(30_000);
  });

  it('when ALERT_ROUTES is invalid, then the error names the route among the other problems', () => {
    expect(() => readConfig({ ...base, ALERT_ROUTES: 'critical -> pager; * -> email' }, ['channels'])).toThrow('ALERT_ROUTES route 1 (critical): unknown target "pager"');
  });
});
