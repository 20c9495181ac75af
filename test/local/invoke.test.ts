import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const fixtures = resolve(__dirname, 'fixtures');
const invokeEntry = resolve(__dirname, '../../tools/invoke.ts');
const registerTs = join(fixtures, 'registerTs.js');

/** `npm run invoke -- ...` minus the build: the real entry point in a plain Node process. */
function invoke(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, FIXTURE_TIMER_SCHEDULE: '0 0 5 * * *', FIXTURE_TIMER_FAILURE: undefined, ...options.env };
  const result = spawnSync(process.execPath, ['-r', registerTs, invokeEntry, ...args], { cwd: options.cwd ?? fixtures, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run invoke', () => {
  test('when the timer succeeds, then it prints its logs and exits 0', () => {
    const result = invoke(['fixtureTimer']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/\[fixtureTimer\] Executing \(Reason='Manual \(npm run invoke\)'/);
    expect(result.stdout).toMatch(/\[fixtureTimer\] tick isPastDue=false runId=-\n/);
    expect(result.stdout).toMatch(/\[fixtureTimer\] Executed \(Succeeded/);
    expect(result.status).toBe(0);
  });

  test('when --run-id is given, then the function gets it as triggerMetadata.runId', () => {
    expect(invoke(['fixtureTimer', '--run-id', '8265716399999-abc123']).stdout).toContain('runId=8265716399999-abc123');
    expect(invoke(['fixtureTimer', '--run-id=8265716399999-abc123']).stdout).toContain('runId=8265716399999-abc123');
  });

  test('when the function throws, then it exits 1 with the error message', () => {
    const result = invoke(['fixtureTimer'], { env: { FIXTURE_TIMER_FAILURE: 'Partner Center returned 403' } });
    expect(result.stderr).toBe('fixtureTimer failed: Partner Center returned 403\n');
    expect(result.status).toBe(1);
  });

  test('when the name is unknown or not a timer, then it lists the timer functions and exits 2', () => {
    const unknown = invoke(['collectEverything']);
    expect(unknown.stderr).toBe('No function named "collectEverything". Timer functions: fixtureTimer\n');
    expect(unknown.status).toBe(2);

    const http = invoke(['ping']);
    expect(http.stderr).toBe('No timer function named "ping". Timer functions: fixtureTimer\n');
    expect(http.status).toBe(2);
  });

  test('when the arguments are wrong, then it prints the usage and exits 2', () => {
    for (const args of [[], ['fixtureTimer', '--run-id'], ['fixtureTimer', '--verbose']]) {
      const result = invoke(args);
      expect(result.stderr).toContain('Usage: npm run invoke -- <functionName> [--run-id <runId>]');
      expect(result.status).toBe(2);
    }
  });

  test('when local.settings.json sets a value, then the function sees it unless the environment sets it too', () => {
    const root = mkdtempSync(join(tmpdir(), 'invoke-settings-'));
    try {
      const main = `${relative(root, fixtures).split('\\').join('/')}/functions/fixtureTimer.ts`;
      writeFileSync(join(root, 'package.json'), JSON.stringify({ main }));
      writeFileSync(join(root, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { FIXTURE_TIMER_FAILURE: 'from local.settings.json' } }));

      expect(invoke(['fixtureTimer'], { cwd: root }).stderr).toBe('fixtureTimer failed: from local.settings.json\n');
      expect(invoke(['fixtureTimer'], { cwd: root, env: { FIXTURE_TIMER_FAILURE: 'from the environment' } }).stderr).toBe('fixtureTimer failed: from the environment\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
