import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, when the machine has it (apt-get install chromium). */
const systemChromium = '/usr/bin/chromium';

/**
 * Headless, and nothing that phones home: on a closed network Chromium's background
 * connections are refused many at a time and slow every start.
 */
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/*
 * @sparticuz/chromium ships a compressed Chromium inside its npm package, so `npm ci` alone
 * brings a browser. It is an ES module that unpacks itself (to the OS temp folder) on first
 * use: a child Node process does that, so the test process loads none of it.
 */
const unpackBundledChromium = `import('@sparticuz/chromium').then(async ({ default: bundled }) => {
  process.stdout.write(JSON.stringify({ executablePath: await bundled.executablePath(), args: bundled.args }));
});`;

const weakeningFlags = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials']);

export interface LaunchedBrowser {
  browser: Browser;
  /** Which browser started, for the test's own messages. */
  executablePath: string;
}

/**
 * Starts a headless Chromium: Debian's when present, otherwise the one that arrived with
 * `npm ci`. Never skips: a browser test that cannot start a browser fails, naming why.
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  if (existsSync(systemChromium)) {
    return { browser: await chromium.launch({ executablePath: systemChromium, args: flags }), executablePath: systemChromium };
  }
  let bundled: { executablePath: string; args: string[] };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', unpackBundledChromium], { timeout: 120_000 });
    bundled = JSON.parse(stdout) as { executablePath: string; args: string[] };
  } catch (error) {
    throw new Error(`No browser: ${systemChromium} is absent and @sparticuz/chromium could not unpack its Chromium (${(error as Error).message.split('\n')[0]})`);
  }
  // Its own flags for a single-process, sandbox-free shell, plus ours against background traffic;
  // never its flags that turn web security off: the dashboard is tested under its real CSP and origin rules.
  const args = [...new Set([...bundled.args.filter((arg) => !arg.startsWith('--headless') && !weakeningFlags.has(arg)), ...flags])];
  return { browser: await chromium.launch({ executablePath: bundled.executablePath, args }), executablePath: bundled.executablePath };
}
