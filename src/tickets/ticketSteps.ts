import { randomBytes } from 'node:crypto';
import { errorCode, MonitorError, toError } from '../core/errors';
import type { Finding, StoredFinding } from '../core/findings';
import { linesOf, type TicketGroup, type TicketStep } from '../core/ticketPlan';
import { noteText, ticketDescription, ticketReference, ticketTitle, type LeftReason, type TicketWriting } from '../core/ticketText';
import { psaLabels, type CompanyMatch, type PendingTicketStep, type TicketRecord } from '../core/tickets';
import type { Clock, Logger } from '../ports';
import type { PsaTickets, ResolveCompany, TicketStore } from '../ports/psa';

/**
 * One planned step on one PSA's ticket, recorded before it is sent (see syncTickets for the
 * protocol). A failure is written on the record (lastError, lastErrorCode) and thrown as a
 * StepFailed, which carries since when the step has waited.
 */

/** What a step needs: one PSA, its records, and the run's findings and writing. */
export interface PsaStepContext {
  psa: PsaTickets;
  store: TicketStore;
  resolveCompany: ResolveCompany;
  /** Every finding by key (open or resolved): what notes describe. */
  findings: ReadonlyMap<string, StoredFinding>;
  waived: (finding: Finding) => boolean;
  writing: TicketWriting;
  clock: Clock;
  log: Logger;
}

/** A PSA call failed; the record says so. `waitingSince` is when the step was first recorded. */
export class StepFailed extends Error {
  constructor(
    readonly failure: unknown,
    readonly groupKey: string,
    readonly waitingSince: string,
  ) {
    super(toError(failure).message, { cause: failure });
    this.name = 'StepFailed';
  }
}

/** The code a record keeps: a refusal is what makes the invocation fail at once, so it is recorded as such. */
const recordedCode = (thrown: unknown): string => (errorCode(thrown) === 'PsaRefused' ? 'AlertUndeliverable' : errorCode(thrown));

const matchWords: Record<CompanyMatch['matchedBy'], string> = {
  mapping: 'company mapped',
  domain: 'company found by domain',
  name: 'company found by name',
  fallback: 'no company found: the fallback company',
  partner: "the partner's own findings: the fallback company",
};

/** Takes one step; resolves once it is recorded done, or when another run moved the record first. */
export async function takeStep(context: PsaStepContext, step: TicketStep): Promise<void> {
  switch (step.step) {
    case 'open':
      return open(context, step.group, step.record);
    case 'settle':
      return settle(context, step.record);
    case 'begin': {
      // Recorded before anything is sent: a run stopped mid-send finishes it (and finds a note before adding it again).
      const begun = await context.store.update({ ...step.record, pending: step.pending, attempts: 1, updatedAt: now(context), lastError: null, lastErrorCode: null });
      return begun === null ? undefined : finish(context, begun, false);
    }
    case 'finish': {
      const claimed = await context.store.update({ ...step.record, attempts: step.record.attempts + 1 });
      return claimed === null ? undefined : finish(context, claimed, step.record.attempts > 0);
    }
  }
}

const now = ({ clock }: PsaStepContext) => clock.now().toISOString();

/**
 * A new ticket: the record is written `creating` before the PSA is called, so a run that never
 * heard the create's answer looks the ticket up by its reference instead of creating another.
 */
async function open(context: PsaStepContext, group: TicketGroup, record: TicketRecord | null): Promise<void> {
  const { psa, store } = context;
  const at = now(context);
  const first = group.findings[0];
  if (first === undefined) return;
  const lines = linesOf(group);
  const fresh = { ticketId: null, state: 'creating' as const, company: null, lines, pending: null, notes: 0, openedAt: at, closedAt: null, updatedAt: at, attempts: 1, lastError: null, lastErrorCode: null };
  const newReference = () => ticketReference(randomBytes(4).toString('hex'));
  let claimed: TicketRecord | null;
  if (record === null) {
    claimed = await store.create({ psa: psa.psa, groupKey: group.key, tenantId: group.tenantId, kind: first.kind, severity: first.severity, reference: newReference(), ...fresh });
  } else if (record.state === 'closed') {
    // Back after its ticket was closed, opened anew (PSA_WHEN_BACK=new, or a ticket never created): a new reference, so the lookup never finds the old ticket.
    claimed = await store.update({ ...record, severity: first.severity, reference: newReference(), ...fresh });
  } else {
    claimed = await store.update({ ...record, lines, attempts: record.attempts + 1 });
  }
  if (claimed === null) return;
  const lookFirst = record !== null && record.state === 'creating' && record.attempts > 0;
  let company = claimed.company;
  try {
    company ??= await context.resolveCompany(psa.psa, group.tenantId);
    const found = lookFirst ? await psa.findTicket(claimed.reference) : null;
    const { writing } = context;
    const ticketId =
      found?.ticketId ??
      (await psa.createTicket({
        reference: claimed.reference,
        title: ticketTitle(claimed.reference, group, writing.customerNames),
        description: ticketDescription(claimed.reference, group, company, writing),
        companyId: company.companyId,
        severity: first.severity,
      }));
    await store.update({ ...claimed, company, ticketId, state: 'open', attempts: 0, updatedAt: now(context), lastError: null, lastErrorCode: null });
    context.log.info(`detectRegressions: ${psaLabels[psa.psa]} ticket ${ticketId} ${found === null ? 'opened' : 'found again (its create was not confirmed) and recorded'} for ${group.key} (${matchWords[company.matchedBy]})`);
  } catch (thrown) {
    throw await failed(context, { ...claimed, company }, thrown, claimed.openedAt);
  }
}

/** A create that may have been sent for a problem that went away: found (closed by the next run, with a note) or forgotten. */
async function settle(context: PsaStepContext, record: TicketRecord): Promise<void> {
  const { psa, store } = context;
  try {
    const found = record.attempts > 0 ? await psa.findTicket(record.reference) : null;
    const at = now(context);
    if (found === null) {
      await store.update({ ...record, state: 'closed', closedAt: at, updatedAt: at, attempts: 0, lastError: null, lastErrorCode: null });
      context.log.info(`detectRegressions: ${psaLabels[psa.psa]} has no ticket for ${group(record)}, whose problem went away before its create was confirmed: none is kept`);
    } else {
      await store.update({ ...record, state: 'open', ticketId: found.ticketId, updatedAt: at, attempts: 0, lastError: null, lastErrorCode: null });
      context.log.info(`detectRegressions: ${psaLabels[psa.psa]} ticket ${found.ticketId} found for ${group(record)}, whose problem went away: it is closed next run`);
    }
  } catch (thrown) {
    throw await failed(context, record, thrown, record.openedAt);
  }
}

const group = (record: TicketRecord) => record.groupKey;

/**
 * A recorded note, close or reopen, sent. A step with an attempt before may have reached the
 * PSA: its note is looked up by its reference before it is added. Status changes repeat harmlessly.
 */
async function finish(context: PsaStepContext, record: TicketRecord, triedBefore: boolean): Promise<void> {
  const { psa, store } = context;
  const pending = record.pending;
  if (pending === null) return;
  const ticketId = record.ticketId;
  if (ticketId === null) {
    // Only a ticket with an id gets notes: a record without one (edited by hand) is opened afresh by the plan once closed.
    await store.update({ ...record, pending: null, state: 'closed', closedAt: now(context), attempts: 0 });
    return;
  }
  try {
    const note = () => addNoteOnce(context, record, pending, ticketId, triedBefore);
    if (pending.step === 'reopen') {
      await psa.setStatus(ticketId, 'open');
      await note();
    } else {
      await note();
      if (pending.step === 'close') await psa.setStatus(ticketId, 'closed');
    }
    const at = now(context);
    const state = pending.step === 'close' ? 'closed' : 'open';
    await store.update({ ...record, state, closedAt: state === 'closed' ? at : null, pending: null, lines: pending.lines, notes: record.notes + 1, attempts: 0, updatedAt: at, lastError: null, lastErrorCode: null });
    const done = { note: 'noted', close: 'closed', reopen: 'reopened' }[pending.step];
    context.log.info(`detectRegressions: ${psaLabels[psa.psa]} ticket ${ticketId} ${done} for ${record.groupKey} (${pending.lines.length} open lines)`);
  } catch (thrown) {
    throw await failed(context, record, thrown, record.updatedAt);
  }
}

async function addNoteOnce(context: PsaStepContext, record: TicketRecord, pending: PendingTicketStep, ticketId: string, triedBefore: boolean): Promise<void> {
  if (triedBefore && (await context.psa.hasNote(ticketId, pending.noteReference))) return;
  const leftReason = (finding: Finding): LeftReason => (finding.state !== 'open' ? 'fixed' : context.waived(finding) ? 'waived' : 'notTicketed');
  await context.psa.addNote(ticketId, { reference: pending.noteReference, text: noteText(record, pending, context.findings, leftReason, context.writing) });
}

/**
 * Writes the failure on the record (as it was last stored: a stale one means another run moved
 * it, and its word stands) and turns it into a StepFailed. A storage failure is thrown as it is.
 */
async function failed(context: PsaStepContext, record: TicketRecord, thrown: unknown, waitingSince: string): Promise<StepFailed> {
  if (!(thrown instanceof MonitorError) || !thrown.code.startsWith('Psa')) throw thrown;
  await context.store.update({ ...record, lastError: thrown.message.slice(0, 500), lastErrorCode: recordedCode(thrown) });
  return new StepFailed(thrown, record.groupKey, waitingSince);
}
