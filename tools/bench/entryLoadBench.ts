/*
 * Loading the app's entry (every file package.json `main` matches).
 * Method: seven fresh `node` processes (entryLoadProcess) with an empty environment, each
 * timing require('@azure/functions') plus every dist/src/functions/*.js; the figure is the
 * median. Each process also reports which Azure client libraries ended up in require.cache.
 */
import type { BenchRow } from './benchRow';
import { median, milliseconds } from './benchFormat';
import type { EntryLoadMeasurement } from './entryLoadProcess';
import { runChild } from './runChild';

const processes = 7;
const loadTargetMs = 300;

export async function benchEntryLoad(): Promise<BenchRow[]> {
  const runs: EntryLoadMeasurement[] = [];
  for (let run = 0; run < processes; run += 1) runs.push(await runChild<EntryLoadMeasurement>('entryLoadProcess', [], { bareEnv: {} }));
  const loadMs = median(runs.map((run) => run.loadMs));
  const clients = [...new Set(runs.flatMap((run) => run.clientModules))];
  const files = runs[0]?.functionFiles ?? 0;
  return [
    {
      measure: `load entry: @azure/functions + ${files} function files (median of ${processes} fresh processes)`,
      value: `${milliseconds(loadMs)} (range ${milliseconds(Math.min(...runs.map((run) => run.loadMs)))} - ${milliseconds(Math.max(...runs.map((run) => run.loadMs)))})`,
      target: `< ${loadTargetMs} ms`,
      met: loadMs < loadTargetMs,
    },
    {
      measure: 'client libraries in require.cache after loading the entry',
      value: clients.length === 0 ? 'none' : clients.join(', '),
      target: 'none of data-tables, identity, communication-email',
      met: clients.length === 0 && files > 0,
    },
  ];
}
