import { composeChanges, customersBefore, customersDiffering, insightChanged } from '../../src/core/customerChanges';
import type { CustomerMfaInsight } from '../../src/core/model';

const state = (tenantId: string, compliantAdminsCount: number | null): CustomerMfaInsight => ({
  tenantId, compliantAdminsCount, compliantNonAdminsCount: 1, totalUsersCount: 2, securityDefaultsStatus: 'enabled', mfaConditionalAccessPolicyStatus: null, legacyPerUserMfaStatus: null,
});
// Run ids sort newest first: r3 is the newest.
const [r1, r2, r3] = ['0003-aaaaaa', '0002-aaaaaa', '0001-aaaaaa'];
const runs = [
  { runId: r2, changes: [{ tenantId: 'a', before: state('a', 1), beforeRunId: r1, beforeVersion: 1, after: state('a', 2) }, { tenantId: 'b', before: state('b', 1), beforeRunId: r1, beforeVersion: 1, after: null }] },
  { runId: r3, changes: [{ tenantId: 'a', before: state('a', 2), beforeRunId: r2, beforeVersion: 1, after: state('a', 3) }, { tenantId: 'c', before: null, beforeRunId: null, beforeVersion: 1, after: state('c', 1) }] },
];

describe('customer change points', () => {
  it('when two states differ in any measure or in being listed, then the insight changed; when only nothing differs, it did not', () => {
    expect(insightChanged(state('a', 1), state('a', 1))).toBe(false);
    expect(insightChanged(state('a', 1), state('a', null))).toBe(true);
    expect(insightChanged(null, state('a', 1))).toBe(true);
    expect(insightChanged(state('a', 1), null)).toBe(true);
    expect(insightChanged(null, null)).toBe(false);
  });

  it('when a state was recorded under a measure table that did not know a measure yet, then a value of that measure is no change, and a listed or gone customer still is', () => {
    // Version 0 knew none of today's measures (each has since 1).
    expect(insightChanged(state('a', 1), state('a', 2), 0)).toBe(false);
    expect(insightChanged(state('a', 1), null, 0)).toBe(true);
    expect(insightChanged(null, state('a', 1), 0)).toBe(true);
    const recordedUnder0 = { runId: r2, changes: [{ tenantId: 'a', before: state('a', 1), beforeRunId: r1, beforeVersion: 0, after: state('a', 2) }] };
    expect(composeChanges([recordedUnder0])).toEqual([]);
  });

  it('when an earlier run is asked of the state the newest run left, then each changed customer is as before its oldest later change', () => {
    expect(customersDiffering(r3, r1, runs)).toEqual(new Map([['a', state('a', 1)], ['c', null], ['b', state('b', 1)]]));
    expect(customersDiffering(r3, r2, runs)).toEqual(new Map([['a', state('a', 2)], ['c', null]]));
  });

  it('when a newer run is asked of an older state, then each changed customer takes its newest change up to that run', () => {
    expect(customersDiffering(r1, r3, runs)).toEqual(new Map([['a', state('a', 3)], ['b', null], ['c', state('c', 1)]]));
    expect(customersDiffering(null, r2, runs.slice(0, 1))).toEqual(new Map([['a', state('a', 2)], ['b', null]]));
    expect(customersDiffering(r2, r2, runs)).toEqual(new Map());
  });

  it('when the change records of consecutive runs are composed, then each customer goes from its state before the oldest to its state after the newest, and one changed back is no change', () => {
    const back = { runId: '0000-aaaaaa', changes: [{ tenantId: 'c', before: state('c', 1), beforeRunId: r3, beforeVersion: 1, after: null }, { tenantId: 'b', before: null, beforeRunId: r2, beforeVersion: 1, after: state('b', 1) }] };
    const composed = composeChanges([back, ...runs]);
    expect(composed).toEqual([{ tenantId: 'a', before: state('a', 1), beforeRunId: r1, beforeVersion: 1, after: state('a', 3) }]);
    expect(composeChanges(runs.slice(1))).toEqual(runs[1]!.changes);
  });

  it('when the week\'s changes are undone on the customers now, then the customers are as they were: the changed as before, the new absent, the gone back', () => {
    const now = [state('a', 3), state('c', 1), state('d', 1)];
    const changes = composeChanges(runs);
    expect(customersBefore(now, changes).sort((left, right) => left.tenantId.localeCompare(right.tenantId))).toEqual([state('a', 1), state('b', 1), state('d', 1)]);
  });
});

