import { snapshotSources, type SnapshotSource } from '../core/model';
import type { QueryReader, RunRange, RunRow } from '../ports/queryReader';
import { collectedAt, type QueryDependencies, type QueryResult } from './queries';

/** Rows of complete runs only, oldest first, each with when it was collected. */
async function completeSeries<T extends object>(reader: QueryReader, source: SnapshotSource, range: RunRange, rows: Promise<RunRow<T>[]>): Promise<QueryResult> {
  const [complete, found] = await Promise.all([reader.listRuns(source, { status: 'complete', ...range }), rows]);
  const completeIds = new Set(complete.map((run) => run.runId));
  const items = found.filter((row) => completeIds.has(row.runId)).reverse().map(({ runId, value }) => ({ runId, collectedAt: collectedAt(runId), ...value }));
  return { body: { items }, rows: items };
}

export function scoreSeries({ reader }: QueryDependencies, range: RunRange): Promise<QueryResult> {
  const scores = reader.scores(range).then((rows) => rows.map(({ runId, value }) => ({ runId, value: { currentScore: value.currentScore, maxScore: value.maxScore } })));
  return completeSeries(reader, 'partnerSecurity', range, scores);
}

export function requirementSeries({ reader }: QueryDependencies, range: RunRange, requirementType: string | undefined): Promise<QueryResult> {
  return completeSeries(reader, 'partnerSecurity', range, reader.requirements(range, requirementType));
}

export function registrationSeries({ reader }: QueryDependencies, range: RunRange): Promise<QueryResult> {
  return completeSeries(reader, 'registrationCounts', range, reader.registrations(range));
}

export async function runLedger({ reader }: QueryDependencies, source: SnapshotSource | undefined, top: number): Promise<QueryResult> {
  const perSource = await Promise.all((source === undefined ? snapshotSources : [source]).map((one) => reader.listRuns(one, { top })));
  // Run ids sort newest first whatever the source.
  const items = perSource.flat().sort((left, right) => left.runId.localeCompare(right.runId)).slice(0, top);
  return { body: { items }, rows: items };
}
