/*
 * The local cloud the bench measures against: the simulator in the bench's own process (it
 * only serves) and Azurite in a process of its own; the code under test runs in child
 * processes, so each of the three has its own event loop.
 */
import { appSettingsFor, startSimulator, type Simulator, type SimulatorOptions } from '../simulator';
import { startAzuriteProcess } from './azuriteProcess';

export interface BenchCloud {
  sim: Simulator;
  /** App settings pointing at this cloud, with the given table prefix. */
  settings(tablePrefix: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startBenchCloud(options: SimulatorOptions): Promise<BenchCloud> {
  const [sim, azurite] = await Promise.all([startSimulator(options), startAzuriteProcess()]);
  return {
    sim,
    settings: (tablePrefix) => ({
      TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
      TABLE_PREFIX: tablePrefix,
      ...appSettingsFor(sim),
      ALERT_FROM: 'DoNotReply@monitor.example',
      ALERT_TO: 'admins@partner.example',
    }),
    close: async () => {
      await Promise.all([sim.close(), azurite.close()]);
    },
  };
}
