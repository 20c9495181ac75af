import { defaultRoutes, isRoutedTo, isTicketed, parseRoutes, routeOf, routedTargets, type ChannelName } from '../../src/core/alertRoutes';

const all = { configuredChannels: new Set<ChannelName>(['email', 'teams', 'slack', 'webhook']), psaConfigured: true };
const emailOnly = { configuredChannels: new Set<ChannelName>(['email']), psaConfigured: false };

function routes(text: string, context = all) {
  const parsed = parseRoutes(text, context);
  if (parsed.routes === null) throw new Error(parsed.problems.join('\n'));
  return parsed.routes;
}

function problems(text: string, context = all): string[] {
  return parseRoutes(text, context).problems;
}

describe('alert routes', () => {
  it('when ALERT_ROUTES is unset and only email is configured, then every finding goes to email alone, as before channels existed', () => {
    const fallback = defaultRoutes(emailOnly);
    expect(routedTargets(fallback).map((target) => target.id)).toEqual(['email']);
    expect(isRoutedTo(fallback, { severity: 'warning', kind: 'scoreFell' }, 'email')).toBe(true);
  });

  it('when ALERT_ROUTES is unset and webhooks are configured, then every finding goes to every configured channel', () => {
    expect(routedTargets(defaultRoutes(all)).map((target) => target.id)).toEqual(['email', 'teams', 'slack', 'webhook']);
  });

  it('when critical goes to Teams and email and the rest to the digest, then the first matching route decides, and warnings reach no channel', () => {
    const parsed = routes('critical -> teams, email; * -> digest');
    expect(isRoutedTo(parsed, { severity: 'critical', kind: 'nonMfaSignIn' }, 'teams')).toBe(true);
    expect(isRoutedTo(parsed, { severity: 'critical', kind: 'nonMfaSignIn' }, 'email')).toBe(true);
    expect(isRoutedTo(parsed, { severity: 'warning', kind: 'scoreFell' }, 'email')).toBe(false);
    expect(routeOf(parsed, { severity: 'warning', kind: 'scoreFell' })).toMatchObject({ position: 2, targets: [], digest: true });
  });

  it('when a route names a severity and a kind, then only findings with both match it, before later routes', () => {
    const parsed = routes('warning customerPolicyDisabled -> slack\n nonMfaSignIn -> webhook;\n* -> email');
    expect(routeOf(parsed, { severity: 'warning', kind: 'customerPolicyDisabled' })?.position).toBe(1);
    expect(routeOf(parsed, { severity: 'critical', kind: 'customerPolicyDisabled' })?.position).toBe(3);
    expect(routeOf(parsed, { severity: 'critical', kind: 'nonMfaSignIn' })?.position).toBe(2);
  });

  it('when a route emails other recipients, then they are one target whose id names no one, the same whatever their order or case', () => {
    const parsed = routes('nonMfaSignIn -> email(SecOps@partner.example, noc@partner.example), email; * -> email( noc@partner.example secops@partner.example )');
    const [first, second] = [parsed[0]!.targets[0]!, parsed[1]!.targets[0]!];
    expect(first).toEqual(second);
    expect(first.id).toMatch(/^email-[0-9a-f]{12}$/);
    expect(first.recipients).toEqual(['noc@partner.example', 'secops@partner.example']);
    expect(routedTargets(parsed).map((target) => target.id)).toEqual([first.id, 'email']);
  });

  it.each([
    ['critical -> teamz; * -> email', 'ALERT_ROUTES route 1 (critical): unknown target "teamz"'],
    ['critical -> teams; * -> email', 'ALERT_ROUTES route 1 (critical): teams is routed to, but TEAMS_WEBHOOK_URL is not set'],
    ['severe -> email; * -> email', 'ALERT_ROUTES route 1 (severe): "severe" is not a severity'],
    ['critical email; * -> email', 'ALERT_ROUTES route 1 (critical email): expected "<selector> -> <targets>"'],
    ['* -> email; critical ->', 'ALERT_ROUTES route 2 (critical): no target after "->"'],
    ['* -> email(secops@partner.example, not-an-address)', 'ALERT_ROUTES route 1 (*): email(...) entry 2 of 2 is not an email address'],
    ['critical -> email', 'ALERT_ROUTES must end with a catch-all route ("* -> ..."), so that no finding goes unannounced; route 1 is the last'],
    ['critical -> email,, teams; * -> email', 'ALERT_ROUTES route 1 (critical): cannot read the targets'],
  ])('when ALERT_ROUTES is %j, then it is refused naming the route', (text, problem) => {
    expect(problems(text, emailOnly)).toEqual([expect.stringContaining(problem)]);
  });

  it('when a route names an address that is wrong, then the problem gives its position and never the address', () => {
    const [problem] = problems('* -> email(alice@partner.example, bob)');
    expect(problem).not.toContain('bob');
    expect(problem).not.toContain('alice');
  });

  it('when a PSA is configured, then `psa` keeps tickets for the findings of its routes only, and without ALERT_ROUTES for every finding', () => {
    const parsed = routes('critical -> psa, email; * -> digest');
    expect(isTicketed(parsed, { severity: 'critical', kind: 'adminWithoutMfaMethod' })).toBe(true);
    expect(isTicketed(parsed, { severity: 'warning', kind: 'adminMfaNotRequired' })).toBe(false);
    expect(isTicketed(defaultRoutes(all), { severity: 'warning', kind: 'scoreFell' })).toBe(true);
    expect(isTicketed(defaultRoutes(emailOnly), { severity: 'warning', kind: 'scoreFell' })).toBe(false);
    expect(problems('* -> psa', emailOnly)).toEqual(['ALERT_ROUTES route 1 (*): psa is routed to, but no PSA is configured (CONNECTWISE_BASE_URL, AUTOTASK_USERNAME or HALOPSA_BASE_URL)']);
  });
});
