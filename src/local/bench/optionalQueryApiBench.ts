/*
 * The query API's rows come from queryApiBench.ts, written separately; until it exists (or if
 * it exports no benchQueryApi) the bench runs without them. Loaded by path at run time, so the
 * build never depends on it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow } from './benchRow';

type QueryApiBench = { benchQueryApi?: unknown };

export async function optionalQueryApiRows(): Promise<{ rows: BenchRow[]; note: string }> {
  const modulePath = join(__dirname, 'queryApiBench.js');
  if (!existsSync(modulePath)) return { rows: [], note: 'query API: no queryApiBench module, skipped' };
  const loaded = (await import(modulePath)) as QueryApiBench;
  if (typeof loaded.benchQueryApi !== 'function') return { rows: [], note: 'query API: queryApiBench exports no benchQueryApi, skipped' };
  return { rows: (await (loaded.benchQueryApi as () => Promise<BenchRow[]>)()), note: 'query API: rows from queryApiBench' };
}
