import { snapshotReader } from '../../src/composition';
import { TableDetectorStore } from '../../src/adapters/tableDetectorStore';
import { Tables } from '../../src/adapters/tables';
import { readConfig } from '../../src/config';
import { loadRegisteredFunctions } from '../../tools/functionsCore';
import { createLocalHost, type LocalHost } from '../../tools/localHost';
import { startCloud, type Cloud } from '../support/cloud';
import { savedEnvironment } from '../support/processEnvironment';

/**
 * A monitor with history: the real collectors and detector run against the simulator over a
 * few simulated days (one partnerSecurity run fails), then the local host serves every
 * registered function over HTTP with the settings in process.env, as in Azure.
 * Test files using it declare the `@azure/functions-core` mock (see test/support/cloud.ts).
 */
export interface ApiFixture {
  cloud: Cloud;
  host: LocalHost;
  settings: Record<string, string>;
  reader: Awaited<ReturnType<typeof snapshotReader>>;
  detector: TableDetectorStore;
  /** GET /api/<path> with the function key; `headers` override. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** `signIn`: people sign in through the simulated Entra (SIGN_IN_CLIENT_ID), which registers the signed-in/ routes. */
export async function startApiFixture(options: { signIn?: boolean } = {}): Promise<ApiFixture> {
  const cloud = await startCloud({ customers: 60, nonMfaSignInsPerDay: 3 });
  const settings = cloud.settings({ API_TOKEN_SECRET: 'test-token-secret', ...(options.signIn === true ? { SIGN_IN_CLIENT_ID: cloud.sim.signIn.clientId } : {}) });
  const restoreEnvironment = savedEnvironment();
  Object.assign(process.env, settings);
  let host: LocalHost | undefined;
  try {
    await cloud.run('collectPartnerSecurity', settings);
    await cloud.run('collectNonMfaPrincipals', settings);
    await cloud.run('collectRegistrationCounts', settings);
    await cloud.run('detectRegressions', settings);
    for (const day of [3, 6]) {
      cloud.sim.setDay(day);
      await cloud.run('collectPartnerSecurity', settings);
      await cloud.run('collectNonMfaPrincipals', settings);
      await cloud.run('collectRegistrationCounts', settings);
      await cloud.run('detectRegressions', settings);
    }
    cloud.sim.injectFault({ kind: 'status', status: 500, service: 'graph', path: 'customerInsights', page: 0 });
    await cloud.run('collectPartnerSecurity', settings).catch(() => undefined);
    cloud.sim.clearFaults();
    host = await createLocalHost({ functions: loadRegisteredFunctions({ mainGlob: 'src/functions/*.ts' }), port: 0, functionKey: 'api-test-key-0123456789', scheduleTimers: false, env: settings, log: () => undefined });
  } catch (error) {
    await cloud.close();
    throw error;
  }
  const served = host;
  return {
    cloud,
    host: served,
    settings,
    reader: await snapshotReader(settings),
    detector: new TableDetectorStore(new Tables(readConfig(settings, ['storage']).storage, () => {
      throw new Error('no token credential in tests');
    })),
    get: (path, headers = {}) => fetch(`${served.url}/api/${path}`, { headers: { 'x-functions-key': served.functionKey, ...headers } }),
    close: async () => {
      await served.close();
      await cloud.close();
      restoreEnvironment();
    },
  };
}
