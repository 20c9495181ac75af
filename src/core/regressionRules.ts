import type { Finding, MeasureValue, ShareOfWhole } from './findings';
import { isCompliant } from './model';

/*
 * The rules a finding moves by: when a measure regressed from one snapshot to the next, and when
 * it is back at its baseline. Unknown (null) on either side is never a regression and never a
 * recovery: a failed run or a missing field must not open or close anything.
 */

/** A measure's value, and for a count read with its share, the whole and the share. */
export interface Reading {
  value: MeasureValue;
  ofWhole?: ShareOfWhole | null;
}

interface Rule {
  regressed(before: Reading, after: Reading): boolean;
  recovered(baseline: Reading, after: Reading): boolean;
}

/** A measure as read twice, before and now, with what a finding about it would say. */
export interface Observation extends Pick<Finding, 'key' | 'kind' | 'severity' | 'subject' | 'measure' | 'detail' | 'actionUrl' | 'helpUrl' | 'admin'> {
  before: MeasureValue;
  after: MeasureValue;
  beforeOfWhole?: ShareOfWhole;
  afterOfWhole?: ShareOfWhole;
  rule: Rule;
  event?: boolean;
}

/** A rule on the value alone. */
function onValue(regressed: (before: MeasureValue, after: MeasureValue) => boolean, recovered: (baseline: MeasureValue, after: MeasureValue) => boolean): Rule {
  return { regressed: (before, after) => regressed(before.value, after.value), recovered: (baseline, after) => recovered(baseline.value, after.value) };
}

function whenNumbers(test: (before: number, after: number) => boolean): (before: MeasureValue, after: MeasureValue) => boolean {
  return (before, after) => typeof before === 'number' && typeof after === 'number' && test(before, after);
}

export const falls: Rule = onValue(
  whenNumbers((before, after) => after < before),
  whenNumbers((baseline, after) => after >= baseline),
);

export const rises: Rule = onValue(
  whenNumbers((before, after) => after > before),
  whenNumbers((baseline, after) => after <= baseline),
);

/** A share in percentage points; tiny float noise is not a change. */
export function fallsByMoreThan(points: number): Rule {
  return onValue(
    whenNumbers((before, after) => before - after > points + 1e-9),
    whenNumbers((baseline, after) => baseline - after <= points + 1e-9),
  );
}

const lower = whenNumbers((before, after) => after < before);
const shareOf = (reading: Reading): MeasureValue => reading.ofWhole?.share ?? null;
/** Back at a baseline: one unknown is not waited for; a value unknown now is not back. */
const backAt = (baseline: MeasureValue, now: MeasureValue) => typeof baseline !== 'number' || (typeof now === 'number' && now >= baseline);

/**
 * A count and its share of a whole, read as one measure: "compliant customer tenants: 20 of 79
 * (25.3%) -> 18 of 79 (22.8%)" is one event and one line. It regresses when the count falls
 * (compliant tenants or registered users lost, whatever the total did) or when the share falls
 * (the total grew and the count did not keep up: new customers or users without MFA). Each was a
 * regression of its own before the two became one finding, and still is: nothing that used to
 * alert goes quiet. It resolves only when both are back at their baseline, because "back where it
 * was" is the pair: a count regained while the share stays down (or the reverse) is not fixed. A
 * side unknown at the baseline is not waited for (a finding carried over from the two-finding form
 * may lack one); a side unknown now is never a recovery.
 */
export const countOrShareFalls: Rule = {
  regressed: (before, after) => lower(before.value, after.value) || lower(shareOf(before), shareOf(after)),
  recovered: (baseline, after) => after.value !== null && backAt(baseline.value, after.value) && backAt(shareOf(baseline), shareOf(after)),
};


/** Anything other than `compliant` is not compliant, new enum values included. */
export const complianceLost: Rule = onValue(
  (before, after) => before === 'compliant' && typeof after === 'string' && !isCompliant(after),
  (_baseline, after) => after === 'compliant',
);

/** Only `enabled` -> `disabled` counts: `unknownFutureValue` says nothing either way. */
export const policyDisabled: Rule = onValue(
  (before, after) => before === 'enabled' && after === 'disabled',
  (_baseline, after) => after === 'enabled',
);

/** A condition the observation tests itself (a sighting, a new customer, failed runs): 0 = absent, >= 1 = present. */
export const presentWhileTrue: Rule = onValue(
  whenNumbers((before, after) => before === 0 && after >= 1),
  (_baseline, after) => after === 0,
);
