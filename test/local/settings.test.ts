import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalSettings } from '../../tools/settings';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'local-settings-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function writeSettings(content: unknown): void {
  writeFileSync(join(root, 'local.settings.json'), typeof content === 'string' ? content : JSON.stringify(content));
}

describe('loadLocalSettings', () => {
  test('when the file has Values, then unset variables are set and set ones are kept, as func start does', () => {
    writeSettings({ IsEncrypted: false, Values: { TABLE_PREFIX: 'demo', PORT: 7072, GRAPH_BASE_URL: 'https://file.example' } });
    const env: NodeJS.ProcessEnv = { GRAPH_BASE_URL: 'https://env.example' };

    const loaded = loadLocalSettings({ root, env });

    expect(env).toEqual({ TABLE_PREFIX: 'demo', PORT: '7072', GRAPH_BASE_URL: 'https://env.example' });
    expect(loaded).toEqual({ path: join(root, 'local.settings.json'), applied: ['TABLE_PREFIX', 'PORT'], overridden: ['GRAPH_BASE_URL'] });
  });

  test('when there is no file, then nothing changes and it says so with undefined', () => {
    const env: NodeJS.ProcessEnv = { A: '1' };
    expect(loadLocalSettings({ root, env })).toBeUndefined();
    expect(env).toEqual({ A: '1' });
  });

  test('when the file is not JSON, then it throws naming the file', () => {
    writeSettings('{ "Values": { ');
    expect(() => loadLocalSettings({ root, env: {} })).toThrow(`${join(root, 'local.settings.json')} is not valid JSON`);
  });

  test('when the file is encrypted or a value is not a string, then it throws rather than set garbage', () => {
    writeSettings({ IsEncrypted: true, Values: { A: 'cipher' } });
    expect(() => loadLocalSettings({ root, env: {} })).toThrow(/is encrypted/);

    writeSettings({ Values: { A: { nested: true } } });
    expect(() => loadLocalSettings({ root, env: {} })).toThrow('Values.A must be a string');
  });
});
