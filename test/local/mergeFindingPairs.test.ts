import type { StoredFinding } from '../../src/core/findings';
import { mergeFindingPairs } from '../../tools/migrate/findingPairs';

/** Findings as the two-finding form stored them: a count and its share, each with its own key. */
function legacy(measure: 'compliantTenantCount' | 'compliantTenantShare', overrides: Partial<StoredFinding> = {}): StoredFinding {
  const count = measure === 'compliantTenantCount';
  return {
    key: `requirement/mfaEnforcedForAdminsOfCustomers/${measure}`,
    kind: (count ? 'compliantTenantCountFell' : 'compliantTenantShareFell') as StoredFinding['kind'],
    severity: 'warning',
    subject: { type: 'requirement', id: 'mfaEnforcedForAdminsOfCustomers' },
    measure,
    state: 'open',
    baseline: count ? 20 : 25.32,
    current: count ? 18 : 22.78,
    openedAt: '2026-01-10T05:45:00.000Z',
    resolvedAt: null,
    event: false,
    pendingChange: null,
    announcedIn: '000001767000000000-aaaa',
    announcedChange: 'opened',
    ...overrides,
  };
}

const upgrade = (...findings: StoredFinding[]) => {
  const merges = mergeFindingPairs(new Map(findings.map((finding) => [finding.key, finding])));
  return { upgraded: merges.flatMap(({ merged }) => (merged === null ? [] : [merged])), retired: merges.flatMap(({ retired }) => retired) };
};
const merged = 'requirement/mfaEnforcedForAdminsOfCustomers/compliantTenants';

describe('npm run migrate, migration 1: a count and its share are one finding', () => {
  it('when an announced open pair is stored, then it becomes one open finding with both baselines, nothing to announce, and the old keys retire', () => {
    const { upgraded, retired } = upgrade(legacy('compliantTenantCount'), legacy('compliantTenantShare'));
    expect(retired.sort()).toEqual(['requirement/mfaEnforcedForAdminsOfCustomers/compliantTenantCount', 'requirement/mfaEnforcedForAdminsOfCustomers/compliantTenantShare']);
    expect(upgraded).toEqual([
      expect.objectContaining({
        key: merged,
        kind: 'compliantTenantsFell',
        measure: 'compliantTenantCount',
        state: 'open',
        baseline: 20,
        current: 18,
        baselineOfWhole: { total: 79, share: 25.32 },
        currentOfWhole: { total: 79, share: 22.78 },
        openedAt: '2026-01-10T05:45:00.000Z',
        pendingChange: null,
        announcedIn: '000001767000000000-aaaa',
        announcedChange: 'opened',
      }),
    ]);
  });

  it('when a pair opened while an email was waiting (both pending), then the one finding is pending once', () => {
    const { upgraded } = upgrade(legacy('compliantTenantCount', { pendingChange: 'opened', announcedIn: null, announcedChange: null }), legacy('compliantTenantShare', { pendingChange: 'opened', announcedIn: null, announcedChange: null }));
    expect(upgraded[0]).toMatchObject({ state: 'open', pendingChange: 'opened', announcedIn: null });
  });

  it('when the pair is claimed by an email not yet sent, then the one finding is claimed by it, so that email still carries it as one line', () => {
    const claim = { pendingChange: null, announcedIn: '000001767100000000-bbbb', announcedChange: 'opened' as const };
    expect(upgrade(legacy('compliantTenantCount', claim), legacy('compliantTenantShare', claim)).upgraded[0]).toMatchObject({ announcedIn: '000001767100000000-bbbb', announcedChange: 'opened', pendingChange: null });
  });

  it('when one part was announced and the other opened later, then nothing new is announced: the one finding was already news', () => {
    const { upgraded } = upgrade(legacy('compliantTenantCount'), legacy('compliantTenantShare', { pendingChange: 'opened', announcedIn: null, announcedChange: null }));
    expect(upgraded[0]).toMatchObject({ state: 'open', pendingChange: null });
  });

  it('when only the share part is open (the count recovered), then the finding waits for the share alone', () => {
    const { upgraded } = upgrade(legacy('compliantTenantCount', { state: 'resolved', current: 20, resolvedAt: '2026-01-11T05:45:00.000Z', pendingChange: 'resolved' }), legacy('compliantTenantShare'));
    expect(upgraded[0]).toMatchObject({ state: 'open', baseline: null, current: null, baselineOfWhole: { total: null, share: 25.32 }, pendingChange: null });
  });

  it('when both parts resolved and one recovery is still to announce, then the one finding announces its recovery once', () => {
    const resolved = { state: 'resolved' as const, resolvedAt: '2026-01-12T05:45:00.000Z' };
    const { upgraded } = upgrade(legacy('compliantTenantCount', { ...resolved, pendingChange: 'resolved' }), legacy('compliantTenantShare', { ...resolved, announcedIn: '000001767200000000-cccc', announcedChange: 'resolved' }));
    expect(upgraded[0]).toMatchObject({ state: 'resolved', resolvedAt: '2026-01-12T05:45:00.000Z', pendingChange: 'resolved', announcedIn: '000001767200000000-cccc', announcedChange: 'resolved' });
  });

  it('when registration counts have the old pair, then they merge under registration/mfaRegisteredUsers', () => {
    const count: StoredFinding = { ...legacy('compliantTenantCount'), key: 'registration/mfaRegisteredUserCount', kind: 'mfaRegisteredUsersFell', subject: { type: 'registration', id: 'credentialUserRegistrationCount' }, measure: 'mfaRegisteredUserCount', baseline: 50, current: 45 };
    const share: StoredFinding = { ...count, key: 'registration/mfaRegisteredShare', kind: 'mfaRegisteredShareFell' as StoredFinding['kind'], measure: 'mfaRegisteredShare', baseline: 50, current: 45 };
    const { upgraded, retired } = upgrade(count, share);
    expect(retired.sort()).toEqual(['registration/mfaRegisteredShare', 'registration/mfaRegisteredUserCount']);
    expect(upgraded[0]).toMatchObject({ key: 'registration/mfaRegisteredUsers', kind: 'mfaRegisteredUsersFell', subject: { type: 'registration', id: 'credentialUserRegistrationCount' }, baselineOfWhole: { total: 100, share: 50 } });
  });

  it('when the merged finding was already written (a crash before the old rows were deleted), then it stands and the old keys only retire', () => {
    const done = upgrade(legacy('compliantTenantCount'), legacy('compliantTenantShare')).upgraded[0] as StoredFinding;
    const again = upgrade(legacy('compliantTenantCount'), legacy('compliantTenantShare'), { ...done, current: 17 });
    expect(again.upgraded).toEqual([]);
    expect(again.retired).toHaveLength(2);
  });

  it('when only current findings are stored, then nothing changes', () => {
    const current = upgrade(legacy('compliantTenantCount')).upgraded[0] as StoredFinding;
    expect(upgrade(current)).toEqual({ upgraded: [], retired: [] });
  });
});
