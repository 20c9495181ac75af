/*
 * The local cloud the bench measures against: the simulator in the bench's own process (it
 * only serves) and Azurite in a process of its own; the code under test runs in child
 * processes, so each of the three has its own event loop.
 */
import { appSettingsFor, startSimulator, type Simulator, type SimulatorOptions } from '../simulator';
import { startAzuriteProcess } from '../azuriteProcess';

export interface BenchCloud {
  sim: Simulator;
  /** App settings pointing at this cloud, with the given table prefix (also the scan queue's name). */
  settings(tablePrefix: string): Record<string, string>;
  /** CPU time used so far by Azurite (null where unreadable) and by this process, where the simulator serves. */
  cpuMs(): { azurite: number | null; simulator: number };
  close(): Promise<void>;
}

export async function startBenchCloud(options: SimulatorOptions): Promise<BenchCloud> {
  const [sim, azurite] = await Promise.all([startSimulator(options), startAzuriteProcess()]);
  return {
    sim,
    settings: (tablePrefix) => ({
      TABLES_CONNECTION_STRING: azurite.tablesConnectionString,
      TABLE_PREFIX: tablePrefix,
      ADMIN_SCAN_QUEUE: azurite.queuesConnectionString,
      ADMIN_SCAN_QUEUE_NAME: tablePrefix,
      ...appSettingsFor(sim),
      ALERT_FROM: 'DoNotReply@monitor.example',
      ALERT_TO: 'admins@partner.example',
    }),
    cpuMs: () => {
      const own = process.cpuUsage();
      return { azurite: azurite.cpuMs(), simulator: (own.user + own.system) / 1000 };
    },
    close: async () => {
      await Promise.all([sim.close(), azurite.close()]);
    },
  };
}
