import { createServer, type Server, type Socket } from 'node:net';
import { TableSnapshotReader } from '../../src/adapters/tableSnapshotStore';
import { Tables } from '../../src/adapters/tables';
import { snapshotReader } from '../../src/composition';
import type { SnapshotRun } from '../../src/core/snapshotRun';
import { startCloud, type Cloud } from '../support/cloud';

jest.mock('@azure/functions-core', () => jest.requireActual('../../tools/functionsCore').functionsCoreApi(), { virtual: true });

/*
 * Every wait has an end. The first two tests need a credential that holds no token yet: this
 * file's process has asked Entra for none before them, and a hung token request never yields one.
 */
let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => {
  cloud.sim.clearFaults();
});

async function collectFailing(name: string, settings: Record<string, string>): Promise<{ error: Error & { code?: string }; run: SnapshotRun | undefined; seconds: number }> {
  const started = Date.now();
  const error = await cloud.run(name, settings).then(
    () => {
      throw new Error(`${name} succeeded`);
    },
    (thrown: Error & { code?: string }) => thrown,
  );
  const seconds = (Date.now() - started) / 1000;
  const reader = await snapshotReader(settings);
  const source = name === 'collectRegistrationCounts' ? 'registrationCounts' : 'partnerSecurity';
  return { error, run: (await reader.listRuns(source))[0], seconds };
}

describe('bounded waits against the simulator and Azurite', () => {
  it('when the token endpoint hangs past the invocation deadline, then the run fails as DeadlineExceeded, waiting for a token, within the deadline', async () => {
    cloud.sim.injectFault({ kind: 'hang', service: 'login', path: 'oauth2/v2.0/token' });
    const settings = cloud.settings({ INVOCATION_DEADLINE_SECONDS: '5', HTTP_TIMEOUT_SECONDS: '30' });

    const { error, run, seconds } = await collectFailing('collectRegistrationCounts', settings);

    expect(error).toMatchObject({ code: 'DeadlineExceeded' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'DeadlineExceeded' });
    expect(run?.errorMessage).toMatch(/deadline \(5 s\) passed while waiting for: Graph GET \/\S+\/reports\/getCredentialUserRegistrationCount was cancelled while waiting for a token/);
    expect(seconds).toBeGreaterThanOrEqual(5);
    expect(seconds).toBeLessThan(8);
  });

  it('when the token endpoint hangs, then each attempt times out, the retries end, and the run fails as a Timeout waiting for a token', async () => {
    cloud.sim.injectFault({ kind: 'hang', service: 'login', path: 'oauth2/v2.0/token' });
    const settings = cloud.settings({ HTTP_TIMEOUT_SECONDS: '1', HTTP_MAX_RETRIES: '1' });

    const { error, run, seconds } = await collectFailing('collectRegistrationCounts', settings);

    expect(error).toMatchObject({ code: 'Timeout' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'Timeout' });
    expect(run?.errorMessage).toMatch(/timed out after 1000 ms on every attempt \(the last one waiting for a token\)/);
    expect(seconds).toBeLessThan(6);
  });

  it('when a Graph page hangs longer than the deadline and its retries would take, then the run fails as DeadlineExceeded naming the request', async () => {
    cloud.sim.injectFault({ kind: 'hang', service: 'graph', path: 'customerInsights', page: 0 });
    const settings = cloud.settings({ INVOCATION_DEADLINE_SECONDS: '5', HTTP_TIMEOUT_SECONDS: '30', HTTP_MAX_RETRIES: '5' });

    const { error, run, seconds } = await collectFailing('collectPartnerSecurity', settings);

    expect(error).toMatchObject({ code: 'DeadlineExceeded' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'DeadlineExceeded' });
    expect(run?.errorMessage).toMatch(/deadline \(5 s\) passed while waiting for: Graph GET \/\S*customerInsights\S* was cancelled while waiting for the answer/);
    expect(seconds).toBeLessThan(8);
  });
});

describe('Table Storage that does not answer', () => {
  let silent: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers, as a frozen storage endpoint does.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      silent.close(() => resolve());
    });
  });

  it('when every attempt hangs, then the call fails after its per-attempt timeouts and the SDK retries, naming the table', async () => {
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('key').toString('base64')};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const tables = new Tables({ connectionString, endpoint: null, tablePrefix: 'frozen' }, () => {
      throw new Error('connection string only');
    }, 300);
    const started = Date.now();

    const error = await new TableSnapshotReader(tables).latestCompleteRun('partnerSecurity').then(() => null, (thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'StorageUnavailable', message: expect.stringMatching(/^Table Storage did not answer a request to table frozenRuns: .*(timed out|ETIMEDOUT)/) });
    expect((Date.now() - started) / 1000).toBeLessThan(15);
  });
});
