import type { Finding } from '../../src/core/findings';
import { ProblemError } from '../../src/api/problem';
import { parseWaiverChanges, parseWaiverDraft } from '../../src/api/waiverDrafts';
import { adminNotRequired, adminWithoutMethod, breakGlass, jane, notVisible } from '../support/customerAdminFindings';
import {
  decideAnnouncement, describeWaiverTarget, documentedRequirementType, unhonouredWaiverProblem, waiverIndex, waiversExpiringWithin, type Waiver,
} from '../../src/core/waivers';

const now = new Date('2026-06-01T12:00:00Z');
const tenant = 'a0000000-0000-4000-8000-000000000001';

function waiver(overrides: Partial<Waiver> = {}): Waiver {
  return {
    id: 'w1',
    scope: 'customer',
    target: tenant,
    reason: 'being off-boarded',
    owner: 'MSP security team',
    expiresAt: '2026-07-01T00:00:00.000Z',
    createdAt: '2026-05-01T00:00:00.000Z',
    createdBy: 'admin key',
    updatedAt: '2026-05-01T00:00:00.000Z',
    updatedBy: 'admin key',
    ...overrides,
  };
}

/** Whether an active waiver silences the finding. */
const covers = (active: Waiver, finding: Pick<Finding, 'key' | 'subject'>): boolean => waiverIndex([active], now)(finding) !== null;

const customerFinding: Pick<Finding, 'key' | 'subject'> = { key: `customer/${tenant}/securityDefaultsStatus`, subject: { type: 'customer', id: tenant } };
const principalFinding = (upn: string | null): Pick<Finding, 'key' | 'subject'> => ({ key: 'principal/o1/2026-05-31T10:00:00Z', subject: { type: 'principal', id: 'o1', ...(upn === null ? {} : { name: upn }) } });

function problemOf(action: () => unknown): { name: string; reason: string }[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    const problem = (error as ProblemError).problem;
    expect(problem.status).toBe(400);
    return problem['invalid-params'] ?? [];
  }
  throw new Error('expected a 400 problem');
}

describe('UPN patterns', () => {
  it.each([
    ['breakglass*@partner.example', 'BreakGlass01@Partner.example', true],
    ['breakglass*@partner.example', 'breakglass@partner.example', true],
    ['breakglass*@partner.example', 'x.breakglass01@partner.example', false],
    ['breakglass*@partner.example', 'breakglass01@partner.example.evil', false],
    ['*@partner.example', 'anyone@partner.example', true],
    ['emergency.admin@partner.example', 'emergencyXadmin@partner.example', false],
    ['a+b@partner.example', 'a+b@partner.example', true],
  ])('when %s is matched against %s, then it is %s (whole UPN, any case, * for any characters, the rest literal)', (pattern, upn, expected) => {
    expect(covers(waiver({ scope: 'partnerUsers', target: pattern }), principalFinding(upn))).toBe(expected);
  });
});

describe('what a waiver covers', () => {
  it('when a waiver names a customer, then it covers that customer\'s findings and no other', () => {
    expect(covers(waiver(), customerFinding)).toBe(true);
    expect(covers(waiver({ target: 'b0000000-0000-4000-8000-000000000002' }), customerFinding)).toBe(false);
    expect(covers(waiver(), { key: 'score/currentScore', subject: { type: 'score', id: 'partnerSecurityScore' } })).toBe(false);
  });

  it('when a waiver names a finding key or a requirement, then it covers exactly that key or that requirement\'s findings', () => {
    expect(covers(waiver({ scope: 'finding', target: customerFinding.key }), customerFinding)).toBe(true);
    expect(covers(waiver({ scope: 'finding', target: `${customerFinding.key}x` }), customerFinding)).toBe(false);
    const requirement = { key: 'requirement/mfaEnforcedForAdmins/complianceStatus', subject: { type: 'requirement' as const, id: 'mfaEnforcedForAdmins' } };
    expect(covers(waiver({ scope: 'requirement', target: 'mfaEnforcedForAdmins' }), requirement)).toBe(true);
    expect(covers(waiver({ scope: 'requirement', target: 'mfaEnforcedForAdminsOfCustomers' }), requirement)).toBe(false);
  });

  it('when a waiver names partner users by pattern, then it covers sign-ins of matching UPNs, and not a sign-in whose UPN is unknown', () => {
    const breakGlass = waiver({ scope: 'partnerUsers', target: 'breakglass*@partner.example' });
    expect(covers(breakGlass, principalFinding('breakglass1@partner.example'))).toBe(true);
    expect(covers(breakGlass, principalFinding('alice@partner.example'))).toBe(false);
    expect(covers(breakGlass, principalFinding(null))).toBe(false);
  });

  it('when a stored pattern is one today\'s rule refuses (written before it), then it silences no one and says why', () => {
    const everyone = waiver({ scope: 'partnerUsers', target: '*@*.com' });
    expect(covers(everyone, principalFinding('alice@partner.com'))).toBe(false);
    expect(unhonouredWaiverProblem(everyone)).toMatch(/must name a domain in full/);
    expect(unhonouredWaiverProblem(waiver({ scope: 'partnerUsers', target: 'breakglass*@partner.example' }))).toBeNull();
    expect(unhonouredWaiverProblem(waiver())).toBeNull();
  });

  it('when a waiver has expired, then it silences nothing; of two active ones, the one that lasts longest is the one shown', () => {
    expect(waiverIndex([waiver({ expiresAt: '2026-06-01T12:00:00.000Z' })], now)(customerFinding)).toBeNull();
    const longer = waiver({ id: 'w2', expiresAt: '2026-08-01T00:00:00.000Z' });
    expect(waiverIndex([waiver(), longer], now)(customerFinding)?.id).toBe('w2');
  });

  it('when the digest asks for waivers expiring within 7 days, then it gets the active ones ending by then, soonest first', () => {
    const soon = waiver({ id: 'soon', expiresAt: '2026-06-03T00:00:00.000Z' });
    const sooner = waiver({ id: 'sooner', expiresAt: '2026-06-02T00:00:00.000Z' });
    const later = waiver({ id: 'later', expiresAt: '2026-06-20T00:00:00.000Z' });
    const expired = waiver({ id: 'expired', expiresAt: '2026-05-31T00:00:00.000Z' });
    expect(waiversExpiringWithin([soon, later, expired, sooner], now, 7).map((item) => item.id)).toEqual(['sooner', 'soon']);
  });

  it('when a waiver is described, then a customer reads by name with the tenant id after, and a pattern as the users it matches', () => {
    expect(describeWaiverTarget(waiver(), new Map([[tenant, 'Contoso Ltd']]))).toBe(`Contoso Ltd (tenant ${tenant})`);
    expect(describeWaiverTarget(waiver(), new Map())).toBe(`customer tenant ${tenant}`);
    expect(describeWaiverTarget(waiver({ scope: 'partnerUsers', target: 'breakglass*@partner.example' }), new Map())).toBe('partner users matching breakglass*@partner.example');
  });

  it('when a requirement waiver is described (the digest lists it when it expires), then the requirement type is in words, as Graph\'s securityRequirementType values are everywhere people read them', () => {
    // Graph, "Partner security enum values" (learn.microsoft.com/graph/api/resources/enums-partner-security): securityRequirementType.
    expect(describeWaiverTarget(waiver({ scope: 'requirement', target: 'mfaEnforcedForAdmins' }), new Map())).toBe('requirement MFA for the partner’s admins');
    expect(describeWaiverTarget(waiver({ scope: 'requirement', target: 'passkeysEnforcedForAdmins' }), new Map())).toBe('requirement “passkeysEnforcedForAdmins”');
  });
});

describe("a customer's admins by UPN pattern (customerAdmins)", () => {
  // Microsoft Entra, "Manage emergency access accounts in Microsoft Entra ID" (learn.microsoft.com/entra/identity/
  // role-based-access-control/security-emergency-access): each organization keeps two or more emergency access accounts,
  // excluded from Conditional Access; so, in a customer, a break-glass admin no policy requires MFA of is by design.
  const contoso = { scope: 'customerAdmins' as const, target: `${tenant}/breakglass*@contoso.com` };
  const fabrikamTenant = 'b0000000-0000-4000-8000-000000000002';

  it("when a waiver names a customer's admins by pattern, then it covers that customer's admin findings whose UPN matches, in any case, and nothing else", () => {
    const active = waiver(contoso);
    expect(covers(active, adminNotRequired(breakGlass, tenant))).toBe(true);
    expect(covers(active, adminWithoutMethod(breakGlass, tenant))).toBe(true);
    expect(covers(active, adminNotRequired(jane, tenant))).toBe(false);
    expect(covers(active, adminNotRequired(breakGlass, fabrikamTenant))).toBe(false);
    expect(covers(active, adminNotRequired({ ...breakGlass, userPrincipalName: null }, tenant))).toBe(false);
    expect(covers(active, notVisible('appNotConsented', tenant))).toBe(false);
    expect(covers(active, customerFinding)).toBe(false);
    expect(covers(waiver({ target: tenant.toUpperCase() }), adminNotRequired(jane, tenant))).toBe(true);
    expect(covers(waiver({ ...contoso, target: `${tenant.toUpperCase()}/BREAKGLASS*@Contoso.com` }), adminNotRequired(breakGlass, tenant))).toBe(true);
  });

  it('when such a waiver is sent, then the tenant id is stored in lower case and the pattern as written; a wrong one is a 400 that names target', () => {
    const draft = { ...contoso, target: `${tenant.toUpperCase()}/BreakGlass*@contoso.com`, reason: 'emergency access accounts, excluded from Conditional Access by design', owner: 'Contoso IT', expiresAt: '2026-09-01' };
    expect(parseWaiverDraft(draft, now, 180).target).toBe(`${tenant}/BreakGlass*@contoso.com`);
    for (const target of ['breakglass*@contoso.com', `contoso/breakglass*@contoso.com`, `${tenant}/*@*`, `${tenant}/`, `${tenant}/*@*.com`]) {
      expect(problemOf(() => parseWaiverDraft({ ...draft, target }, now, 180))).toEqual([{ name: 'target', reason: expect.stringMatching(/must/) }]);
    }
    expect(problemOf(() => parseWaiverDraft({ ...draft, target: 'breakglass*@contoso.com' }, now, 180))[0]?.reason).toMatch(/tenant id/);
  });

  it('when a stored pattern is one the rule refuses, then it silences no one and says why; a waiver is described with its customer by name', () => {
    const everyone = waiver({ scope: 'customerAdmins', target: `${tenant}/*@*` });
    expect(covers(everyone, adminNotRequired(jane, tenant))).toBe(false);
    expect(unhonouredWaiverProblem(everyone)).toMatch(/must name a domain in full/);
    expect(unhonouredWaiverProblem(waiver(contoso))).toBeNull();
    expect(describeWaiverTarget(waiver(contoso), new Map([[tenant, 'Contoso Ltd']]))).toBe(`admins of Contoso Ltd (tenant ${tenant}) matching breakglass*@contoso.com`);
    expect(describeWaiverTarget(waiver(contoso), new Map())).toBe(`admins of customer tenant ${tenant} matching breakglass*@contoso.com`);
  });
});

describe('whether a transition is announced', () => {
  const quiet = { pendingChange: null, silencedChange: null } as const;

  it('when no waiver covers a finding, then its latest transition is announced as before', () => {
    expect(decideAnnouncement({ ...quiet, state: 'open', transition: 'opened', waived: false })).toEqual({ pendingChange: 'opened', silencedChange: null });
    expect(decideAnnouncement({ pendingChange: 'opened', silencedChange: null, state: 'resolved', transition: 'resolved', waived: false })).toEqual({ pendingChange: 'resolved', silencedChange: null });
  });

  it('when a waived finding opens, then nothing is announced and the opening is remembered', () => {
    expect(decideAnnouncement({ ...quiet, state: 'open', transition: 'opened', waived: true })).toEqual({ pendingChange: null, silencedChange: 'opened' });
  });

  it('when the waiver ends while the finding is still open, then the silenced opening is announced once', () => {
    const woken = decideAnnouncement({ pendingChange: null, silencedChange: 'opened', state: 'open', transition: null, waived: false });
    expect(woken).toEqual({ pendingChange: 'opened', silencedChange: null });
    expect(decideAnnouncement({ ...woken, pendingChange: null, state: 'open', transition: null, waived: false })).toEqual(quiet);
  });

  it('when a waived finding resolves, then nothing is sent, now or when the waiver ends', () => {
    const resolved = decideAnnouncement({ pendingChange: null, silencedChange: 'opened', state: 'resolved', transition: 'resolved', waived: true });
    expect(resolved).toEqual(quiet);
    expect(decideAnnouncement({ ...resolved, state: 'resolved', transition: null, waived: false })).toEqual(quiet);
    // Announced open before the waiver, resolved under it: no recovery email either.
    expect(decideAnnouncement({ ...quiet, state: 'resolved', transition: 'resolved', waived: true })).toEqual(quiet);
  });

  it('when the waiver is gone and a silenced finding resolves in the same run, then nothing is sent (admins never heard it open)', () => {
    expect(decideAnnouncement({ pendingChange: null, silencedChange: 'opened', state: 'resolved', transition: 'resolved', waived: false })).toEqual(quiet);
  });

  it('when a waiver comes to cover a finding whose opening waits unsent, then it is withdrawn and kept for when the waiver ends', () => {
    expect(decideAnnouncement({ pendingChange: 'reopened', silencedChange: null, state: 'open', transition: null, waived: true })).toEqual({ pendingChange: null, silencedChange: 'reopened' });
    expect(decideAnnouncement({ pendingChange: 'resolved', silencedChange: null, state: 'resolved', transition: null, waived: true })).toEqual(quiet);
  });

  it('when a sighting silenced by a waiver leaves the window, then nothing is kept to announce', () => {
    expect(decideAnnouncement({ pendingChange: null, silencedChange: 'opened', state: 'resolved', transition: null, waived: false })).toEqual(quiet);
  });
});

describe('waiver input', () => {
  const valid = { scope: 'partnerUsers', target: 'breakglass*@partner.example', reason: 'break-glass accounts sign in without MFA by design', owner: 'Security team', expiresAt: '2026-09-01' };

  it('when a waiver is valid, then it is read with a bare date meaning the end of that day, and a tenant id in lower case', () => {
    expect(parseWaiverDraft(valid, now, 180)).toEqual({ ...valid, expiresAt: '2026-09-01T23:59:59.999Z' });
    expect(parseWaiverDraft({ ...valid, scope: 'customer', target: tenant.toUpperCase() }, now, 180).target).toBe(tenant);
  });

  it('when fields are missing or wrong, then one 400 names every one of them', () => {
    expect(problemOf(() => parseWaiverDraft({ scope: 'everything' }, now, 180)).map((field) => field.name).sort()).toEqual(['expiresAt', 'owner', 'reason', 'scope', 'target']);
    expect(problemOf(() => parseWaiverDraft({ ...valid, reason: '   ' }, now, 180))).toEqual([{ name: 'reason', reason: expect.stringContaining('1 to 500') }]);
    expect(problemOf(() => parseWaiverDraft({ ...valid, scope: 'customer', target: 'contoso' }, now, 180))).toEqual([{ name: 'target', reason: expect.stringContaining('GUID') }]);
    expect(problemOf(() => parseWaiverDraft({ ...valid, color: 'red' }, now, 180))).toEqual([{ name: 'color', reason: expect.any(String) }]);
    expect(problemOf(() => parseWaiverDraft([valid], now, 180))).toEqual([{ name: 'body', reason: 'must be a JSON object' }]);
  });

  it('when a pattern would match every partner user, then it is refused', () => {
    for (const target of ['*@*', '*@*.*', 'no-at-sign']) expect(problemOf(() => parseWaiverDraft({ ...valid, target }, now, 180)).map((field) => field.name)).toEqual(['target']);
  });

  // A pattern names a domain in full or a user by three letters or digits in a row. Domain labels as
  // RFC 1035 section 2.3.1 defines them (letters, digits, hyphens, at most 63, no hyphen at either
  // end; RFC 1123 section 2.1 allows a leading digit); a local part of at most 64 characters
  // (RFC 5321 section 4.5.3.1.1).
  it.each(['*@*.com', '*@*.example', '*@*e*', '*@partner.*', '*@*.partner.example', 'ab*@*', '*a*b*c*@*', '*@com', '*@partner..example', '*@-partner.example', 'a@b@partner.example', `${'a'.repeat(65)}@partner.example`])(
    'when the UPN pattern is %s, then it is refused: it names neither a domain in full nor a user',
    (target) => {
      expect(problemOf(() => parseWaiverDraft({ ...valid, target }, now, 180))).toEqual([{ name: 'target', reason: expect.stringMatching(/must (name a domain in full|have a domain name|be a UPN pattern)/) }]);
    },
  );

  it.each(['*@partner.example', '*@Partner-1.Example', 'breakglass*@*', 'breakglass*@*.partner.example', '*adm*@*', 'BreakGlass01@partner.example', '*@a.co'])('when the UPN pattern is %s, then it is accepted', (target) => {
    expect(parseWaiverDraft({ ...valid, target }, now, 180).target).toBe(target);
  });

  it('when a requirement type is not letters and digits, then it is refused before anything is read', () => {
    expect(problemOf(() => parseWaiverDraft({ ...valid, scope: 'requirement', target: "x' or 1 eq 1" }, now, 180))).toEqual([{ name: 'target', reason: expect.stringContaining('requirement type') }]);
  });

  it('when a requirement type is one Graph documents, then it is known in any case and spelled as Graph spells it', () => {
    // "Partner security enum values" (learn.microsoft.com/graph/api/resources/enums-partner-security):
    // securityRequirementType; mfaEnforcedSecurityRequirement's securityRequirementType for the older two.
    expect(documentedRequirementType('MFAENFORCEDFORADMINS')).toBe('mfaEnforcedForAdmins');
    expect(documentedRequirementType('mfaEnforcedForAuthenticationOfAllUsers')).toBe('mfaEnforcedForAuthenticationOfAllUsers');
    expect(documentedRequirementType('unknownFutureValue')).toBeNull();
    expect(documentedRequirementType('notARequirement')).toBeNull();
  });

  it('when the expiry is past, malformed or beyond the maximum days, then the 400 names expiresAt and says why', () => {
    expect(problemOf(() => parseWaiverDraft({ ...valid, expiresAt: '2026-05-01T00:00:00Z' }, now, 180))).toEqual([{ name: 'expiresAt', reason: 'must be in the future' }]);
    expect(problemOf(() => parseWaiverDraft({ ...valid, expiresAt: 'next month' }, now, 180))[0]!.reason).toContain('ISO 8601');
    expect(problemOf(() => parseWaiverDraft({ ...valid, expiresAt: '2026-11-28T12:00:01Z' }, now, 180))[0]!.reason).toContain('at most 180 days');
    expect(parseWaiverDraft({ ...valid, expiresAt: '2026-11-28T12:00:00Z' }, now, 180).expiresAt).toBe('2026-11-28T12:00:00.000Z');
  });

  // RFC 3339 section 5.7: the day is at most what its month has, hours 00-23, minutes and seconds 00-59.
  it.each([
    ['2027-02-30', 'date that exists'],
    ['2026-06-31', 'date that exists'],
    ['2027-02-29', 'date that exists'],
    ['2026-13-01', 'month'],
    ['2027-02-28T25:00Z', 'time that exists'],
    ['2026-06-30T24:00:00Z', 'time that exists'],
    ['2026-06-30T12:60:00Z', 'time that exists'],
    ['2026-06-30T12:00:60Z', 'time that exists'],
    ['2026-06-30T12:00:00+24:00', 'time that exists'],
  ])('when the expiry is %s, which no calendar has, then the 400 names expiresAt instead of rolling it over', (expiresAt, why) => {
    expect(problemOf(() => parseWaiverDraft({ ...valid, expiresAt }, now, 1_000))).toEqual([{ name: 'expiresAt', reason: expect.stringContaining(why) }]);
  });

  it('when the expiry is a leap day or uses the lower-case t and z RFC 3339 allows, then it is read as written', () => {
    expect(parseWaiverDraft({ ...valid, expiresAt: '2028-02-29' }, now, 1_000).expiresAt).toBe('2028-02-29T23:59:59.999Z');
    expect(parseWaiverDraft({ ...valid, expiresAt: '2026-06-30t12:00:00z' }, now, 180).expiresAt).toBe('2026-06-30T12:00:00.000Z');
  });

  it('when the expiry is not text, then the 400 names expiresAt and says the form', () => {
    expect(problemOf(() => parseWaiverDraft({ ...valid, expiresAt: 20260630 }, now, 180))).toEqual([{ name: 'expiresAt', reason: expect.stringContaining('ISO 8601') }]);
  });

  it('when a waiver is changed, then reason, owner and expiry may change, what it silences may not, and an empty change is a 400', () => {
    expect(parseWaiverChanges({ expiresAt: '2026-07-01T00:00:00Z' }, now, 180)).toEqual({ expiresAt: '2026-07-01T00:00:00.000Z' });
    expect(problemOf(() => parseWaiverChanges({ target: 'x@partner.example' }, now, 180))).toEqual([{ name: 'target', reason: expect.stringContaining('cannot change') }]);
    expect(problemOf(() => parseWaiverChanges({}, now, 180))).toEqual([{ name: 'body', reason: expect.stringContaining('at least one') }]);
  });
});

describe('text a person sends', () => {
  const valid = { scope: 'customer', target: tenant, reason: 'being off-boarded', owner: 'Security team', expiresAt: '2026-09-01' };
  const draftWith = (fields: Record<string, unknown>) => parseWaiverDraft({ ...valid, ...fields }, now, 180);

  // Unicode: Default_Ignorable_Code_Point (UAX #44) for what shows nothing; the newline guidelines
  // (The Unicode Standard, section 5.8) for CR LF, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
  it.each([
    ['owner', 'only zero-width characters', '\u200B\u200C\u200D\u2060\uFEFF', 'visible'],
    ['reason', 'spaces, a zero-width space and a BOM', ' \u200B \uFEFF ', 'visible'],
    ['reason', 'text with BEL', 'rings\u0007', 'control'],
    ['owner', 'text with NUL', 'Security\u0000team', 'control'],
    ['owner', 'text with ESC', '\u001B[31mSecurity team', 'control'],
    ['reason', 'text with a C1 control (CSI)', 'csi \u009B here', 'control'],
    ['reason', 'text with a lone surrogate', 'half \uD800 a character', 'surrogate'],
    ['owner', 'two lines split by LINE SEPARATOR', 'Security\u2028team', 'one line'],
    ['owner', 'two lines', 'Security\nteam', 'one line'],
    ['target', 'a tenant id with NUL', 'a0000000-0000-4000-8000-00000000000\u0000', 'control'],
  ])('when %s is %s, then the 400 names the field and says why', (name, _what, value, why) => {
    expect(problemOf(() => draftWith({ [name]: value }))).toEqual([{ name, reason: expect.stringContaining(why) }]);
  });

  it('when text holds line breaks of any kind, decomposed accents or invisible ends, then it is stored in NFC with LF line breaks, trimmed', () => {
    expect(draftWith({ reason: 'line one\u2028line two\u2029line three\r\nfour\rfive\u0085six\vseven' }).reason).toBe('line one\nline two\nline three\nfour\nfive\nsix\nseven');
    expect(draftWith({ owner: '\u200B Se\u0301curite\u0301\tteam \uFEFF' }).owner).toBe('S\u00e9curit\u00e9\tteam');
    expect(draftWith({ reason: '\u{1F600}'.repeat(500) }).reason).toHaveLength(1000);
    expect(problemOf(() => draftWith({ reason: '\u{1F600}'.repeat(501) }))).toEqual([{ name: 'reason', reason: expect.stringContaining('1 to 500') }]);
  });

  it('when a change carries such text, then it is read by the same rule', () => {
    expect(parseWaiverChanges({ reason: 'a\u2029b' }, now, 180)).toEqual({ reason: 'a\nb' });
    expect(problemOf(() => parseWaiverChanges({ owner: '\u2060' }, now, 180))).toEqual([{ name: 'owner', reason: expect.stringContaining('visible') }]);
  });
});
