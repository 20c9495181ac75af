import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import { simulatorInUse } from '../../tools/simulatorTrust';
import { startSimulator, type Simulator } from '../../tools/simulator';

const registerTs = resolve(__dirname, 'fixtures/registerTs.js');
const wrapper = resolve(__dirname, '../../tools/withSimulatorTrust.ts');

/** The wrapper run as the npm scripts run it, in a fresh Node process whose environment we choose. */
function runWrapped(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['-r', registerTs, wrapper, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** A child that GETs each URL with Node's default trust store (NODE_EXTRA_CA_CERTS included) and prints each status or error code. */
const probe = `
const https = require('node:https');
Promise.all(process.argv.slice(1).map((url) => new Promise((done) => {
  https.get(url, (res) => { res.resume(); done(String(res.statusCode)); }).on('error', (error) => done(error.code || error.message));
}))).then((results) => { console.log(JSON.stringify({ extraCa: process.env.NODE_EXTRA_CA_CERTS, results })); });
`;

describe('the npm scripts trust the simulator without dropping the caller\'s CA bundle', () => {
  let corporate: Server;
  let corporateUrl: string;
  let simulator: Simulator;
  let folder: string;
  let corporateBundle: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'trust-'));
    // A TLS-inspecting proxy's CA, as a corporate machine trusts it: a certificate no public root signs.
    const pems = await generate([{ name: 'commonName', value: 'Corporate Inspection CA' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    corporateBundle = join(folder, 'corporate-ca.pem');
    // The machine's own bundle first (where it has one), as such machines set it, then the corporate CA.
    const systemBundle = '/etc/ssl/certs/ca-certificates.crt';
    writeFileSync(corporateBundle, `${existsSync(systemBundle) ? readFileSync(systemBundle, 'utf8') : ''}\n${pems.cert}`);
    corporate = createServer({ cert: pems.cert, key: pems.private }, (_req, res) => res.end('ok'));
    await new Promise<void>((listening) => corporate.listen(0, '127.0.0.1', listening));
    corporateUrl = `https://127.0.0.1:${(corporate.address() as AddressInfo).port}/`;
    simulator = await startSimulator({ customers: 1 });
  }, 60_000);

  afterAll(async () => {
    await new Promise((closed) => corporate?.close(closed));
    await simulator?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('when the caller already trusts a corporate CA, then the wrapped command reaches both the corporate host and the simulator', async () => {
    const result = await runWrapped(['node', '-e', probe, corporateUrl, `${simulator.url}/_sim/state`], { ...process.env, NODE_EXTRA_CA_CERTS: corporateBundle }, folder);
    const printed = JSON.parse(result.stdout) as { extraCa: string; results: string[] };
    expect({ code: result.code, results: printed.results, stderr: result.stderr }).toEqual({ code: 0, results: ['200', '200'], stderr: '' });
    // A combined copy: the caller's file is read, never written.
    expect(printed.extraCa).not.toBe(corporateBundle);
    expect(readFileSync(printed.extraCa, 'utf8').startsWith(readFileSync(corporateBundle, 'utf8').trimEnd())).toBe(true);
  }, 60_000);

  test('when a command runs against settings that name no loopback endpoint, then the caller\'s bundle reaches it unchanged', async () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: corporateBundle, GRAPH_BASE_URL: 'https://graph.microsoft.com', PARTNER_CENTER_BASE_URL: undefined, AZURE_AUTHORITY_HOST: undefined, ACS_ENDPOINT: undefined, ACS_CONNECTION_STRING: undefined, KEY_VAULT_URL: undefined, TABLES_ENDPOINT: undefined };
    const result = await runWrapped(['--when=settings', 'node', '-e', probe, corporateUrl, `${simulator.url}/_sim/state`], env, folder);
    const printed = JSON.parse(result.stdout) as { extraCa: string; results: string[] };
    expect(printed.extraCa).toBe(corporateBundle);
    // The simulator is not trusted when nothing points at it.
    expect(printed.results[0]).toBe('200');
    expect(printed.results[1]).toMatch(/CERT|SELF_SIGNED|UNABLE/);
  }, 60_000);

  test('when the caller\'s bundle cannot be read, then the wrapper says so and the simulator is still trusted', async () => {
    const result = await runWrapped(['node', '-e', probe, `${simulator.url}/_sim/state`], { ...process.env, NODE_EXTRA_CA_CERTS: join(folder, 'missing.pem') }, folder);
    expect(result.stderr).toContain(`NODE_EXTRA_CA_CERTS names ${join(folder, 'missing.pem')}, which cannot be read (ENOENT)`);
    expect((JSON.parse(result.stdout) as { results: string[] }).results).toEqual(['200']);
  }, 60_000);
});

describe('simulatorInUse', () => {
  test('when tests, the simulator or the bench run, then the simulator is always trusted', () => {
    expect(simulatorInUse('always', { GRAPH_BASE_URL: 'https://graph.microsoft.com' })).toBe(true);
  });

  test('when npm start has no GRAPH_BASE_URL, then it starts the simulator; with a cloud one, it does not', () => {
    expect(simulatorInUse('host', {})).toBe(true);
    expect(simulatorInUse('host', { GRAPH_BASE_URL: ' ' })).toBe(true);
    expect(simulatorInUse('host', { GRAPH_BASE_URL: 'https://graph.microsoft.com' })).toBe(false);
  });

  test('when the settings name a loopback endpoint, then the simulator is in use, whichever endpoint it is', () => {
    expect(simulatorInUse('settings', {})).toBe(false);
    expect(simulatorInUse('settings', { GRAPH_BASE_URL: 'https://graph.microsoft.com', AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com' })).toBe(false);
    expect(simulatorInUse('settings', { GRAPH_BASE_URL: 'https://127.0.0.1:8443/graph' })).toBe(true);
    expect(simulatorInUse('settings', { AZURE_AUTHORITY_HOST: 'https://localhost:8443/login' })).toBe(true);
    expect(simulatorInUse('settings', { ACS_CONNECTION_STRING: 'endpoint=https://127.0.0.1:9/acs/;accesskey=a2V5' })).toBe(true);
    expect(simulatorInUse('settings', { ACS_CONNECTION_STRING: 'endpoint=https://x.communication.azure.com/;accesskey=a2V5' })).toBe(false);
    expect(simulatorInUse('settings', { KEY_VAULT_URL: 'not a url' })).toBe(false);
  });
});
