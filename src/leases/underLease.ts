import { errorCode, MonitorError } from '../core/errors';
import type { Clock, Lease, LeaseName, Logger } from '../ports';

/**
 * Short, and renewed while the run works: a crashed run blocks the next for at most this long,
 * and a run that can no longer renew it stops before it writes what another run may be writing.
 */
const leaseMs = 2 * 60_000;
const leaseRenewalMs = 30_000;

/** The lease as the work holds it: `confirm` renews it at once and throws LeaseLost when it is gone. */
export interface HeldLease {
  confirm(before: string): Promise<void>;
}

/**
 * Runs `work` as the only run of its kind: under the lease `name`, held as `owner` (the run's
 * id), renewed while it works and released at the end. When another run holds the lease, the skip
 * is recorded with the holder (shown by /api/status) and the answer is null: that run does the work.
 */
export async function underLease<T>(
  { lease, clock, log }: { lease: Lease; clock: Clock; log: Logger },
  name: LeaseName,
  owner: string,
  work: (held: HeldLease) => Promise<T>,
): Promise<T | null> {
  const startedAt = clock.now();
  if (!(await lease.acquire(owner, startedAt, new Date(startedAt.getTime() + leaseMs)))) {
    log.warn(`${name}: another run holds the lease; this one does nothing`);
    await lease.recordSkipped(startedAt).catch((thrown: unknown) => log.warn(`${name}: could not record the skipped run (${errorCode(thrown)})`));
    return null;
  }
  let lost = false;
  const renew = async (): Promise<boolean> => (lost ||= !(await lease.renew(owner, new Date(clock.now().getTime() + leaseMs))));
  const timer = setInterval(() => {
    renew().catch((thrown: unknown) => log.warn(`${name}: could not renew the lease (${errorCode(thrown)}); trying again`));
  }, leaseRenewalMs);
  timer.unref();
  const held: HeldLease = {
    async confirm(before) {
      // It expired while the run stalled and another run took it: going on would race that run.
      if (await renew()) throw new MonitorError('LeaseLost', `${name} lost its lease to another run while working; it stopped before ${before}`);
    },
  };
  try {
    return await work(held);
  } finally {
    clearInterval(timer);
    await lease.release(owner);
  }
}
