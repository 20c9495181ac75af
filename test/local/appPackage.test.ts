import { endpoints } from '../../src/api/endpoints';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { appFiles, IGNORE_FILE, PACKAGE_FOLDER, packageRules, stageAppPackage } from '../../tools/appPackage';

/*
 * The deployment package, built as `azd deploy` builds it and loaded as Azure loads it: the
 * prepackage hook's staging, then azd's zip rules over the `dist` folder, unpacked into an
 * empty folder, then a fresh Node process with an empty environment that sees only that folder
 * loads package.json `main` through a recording @azure/functions-core, as the Functions worker
 * does. Needs `npm run build` first (npm test does it) and the npm registry (or its cache).
 */
const root = join(__dirname, '../..');
const functionsCore = join(root, 'dist/tools/functionsCore.js');

interface LoadReport {
  registered: string[];
  unresolvedDependencies: string[];
  unresolvedInstalls: string[];
  loadedFromElsewhere: string[];
}

let scratch: string;
let app: string;
let appEntries: string[];
let report: LoadReport;

/** The two keys of azure.yaml's `monitor` service that decide what azd uploads. */
function monitorService(): { dist: string | undefined; remoteBuild: string | undefined } {
  const azure = readFileSync(join(root, 'azure.yaml'), 'utf8');
  const service = /^ {2}monitor:\n((?: {4}.*\n|\s*\n)*)/m.exec(azure)?.[1] ?? '';
  return { dist: /^ {4}dist: (\S+)$/m.exec(service)?.[1], remoteBuild: /^ {4}remoteBuild: (\S+)$/m.exec(service)?.[1] };
}

/**
 * What azd's createDeployableZip (cli/azd/pkg/project/project_utils.go) puts in a function app's
 * zip: every file under the folder, through symbolic links, except `.azure` folders, the ignore
 * file itself, local.settings.json and what the folder's own .funcignore ignores; with no ignore
 * file, node_modules stays only when azure.yaml says `remoteBuild: false`.
 */
function azdZipEntries(folder: string, remoteBuild: boolean): string[] {
  const ignoreFile = join(folder, IGNORE_FILE);
  const rules: Ignore | null = existsSync(ignoreFile) ? ignore().add(readFileSync(ignoreFile, 'utf8')) : null;
  const entries: string[] = [];
  const visit = (prefix: string): void => {
    for (const name of readdirSync(join(folder, prefix))) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const isDirectory = statSync(join(folder, path)).isDirectory();
      if (isDirectory && name === '.azure') continue;
      if (!isDirectory && (name === IGNORE_FILE || name === 'local.settings.json')) continue;
      if (rules !== null ? rules.ignores(isDirectory ? `${path}/` : path) : isDirectory && name === 'node_modules' && remoteBuild) continue;
      if (isDirectory) visit(path);
      else entries.push(path);
    }
  };
  visit('');
  return entries;
}

/** Runs in the fresh process: everything it requires from the app resolves inside the app folder. */
const loaderScript = `
  const { createRequire } = require('node:module');
  const { existsSync } = require('node:fs');
  const { join, sep } = require('node:path');
  const exportTargets = (exports) => typeof exports === 'string' ? (exports.includes('*') ? [] : [exports])
    : exports && typeof exports === 'object' ? Object.values(exports).flatMap(exportTargets) : [];
  const { loadRegisteredFunctions } = require(${JSON.stringify(functionsCore)});
  const app = process.cwd();
  const registered = loadRegisteredFunctions({ root: app }).map((fn) => fn.name);
  const manifest = require(join(app, 'package.json'));
  const fromApp = createRequire(join(app, 'package.json'));
  const unresolvedDependencies = [];
  for (const name of Object.keys(manifest.dependencies)) {
    try { fromApp(name); } catch (error) { unresolvedDependencies.push(name + ': ' + error.code); }
  }
  // Every package the lock file installs for production: its entry point resolves where it sits.
  const unresolvedInstalls = [];
  for (const [path, entry] of Object.entries(require(join(app, 'package-lock.json')).packages)) {
    if (path === '' || entry.dev || entry.optional) continue;
    const at = path.lastIndexOf('node_modules/');
    const name = path.slice(at + 'node_modules/'.length);
    try { createRequire(join(app, path.slice(0, at), 'index.js')).resolve(name); }
    catch (error) {
      if (error.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') unresolvedInstalls.push(path + ': ' + error.code);
      // An import-only package: every file its exports name is there.
      else for (const target of exportTargets(require(join(app, path, 'package.json')).exports)) {
        if (!existsSync(join(app, path, target))) unresolvedInstalls.push(path + ': ' + target + ' missing');
      }
    }
  }
  const loadedFromElsewhere = Object.keys(require.cache).filter((file) => !file.startsWith(app + sep));
  process.stdout.write(JSON.stringify({ registered, unresolvedDependencies, unresolvedInstalls, loadedFromElsewhere }));`;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'app-package-'));
  const staged = join(scratch, PACKAGE_FOLDER);
  stageAppPackage(root, staged);
  app = join(scratch, 'wwwroot');
  appEntries = azdZipEntries(staged, monitorService().remoteBuild !== 'false');
  for (const entry of appEntries) {
    mkdirSync(dirname(join(app, entry)), { recursive: true });
    copyFileSync(join(staged, entry), join(app, entry));
  }
  const output = execFileSync(process.execPath, ['-e', loaderScript], { cwd: app, env: {}, encoding: 'utf8' });
  report = JSON.parse(output) as LoadReport;
}, 120_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the deployment package', () => {
  it('when azd packages the service, then it uploads the staged folder as it is, built by the prepackage hook', () => {
    expect(monitorService()).toEqual({ dist: PACKAGE_FOLDER, remoteBuild: 'false' });
    // azd's resolveFunctionAppRemoteBuild reads the project's .funcignore: with remoteBuild: false, node_modules must not be excluded there.
    expect(packageRules(root).ignores('node_modules/')).toBe(false);
    expect(readFileSync(join(root, 'azure.yaml'), 'utf8')).toMatch(/^ {4}hooks:\n {6}prepackage:\n {8}run: npm run package:azure$/m);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts['package:azure']).toMatch(/^npm run build --silent && node dist\/tools\/packageForAzure\.js$/);
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain(`${PACKAGE_FOLDER}/`);
  });

  it('when azd runs `npm run build --if-present` after the prepackage hook (its package step), then the build writes only to dist/, never to the staged package', () => {
    // azd's node framework service (cli/azd/pkg/project/framework_service_node.go, Azure/azure-dev): a restore
    // (`npm install`) before the service's package step, the prepackage hook, then `npm run build --if-present`, then the
    // `dist` folder is zipped. The hook builds first itself, so what ran before does not matter; what runs after must not touch .deploy.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const steps = manifest.scripts.build!.split('&&').map((step) => step.trim());
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const config = /^tsc -p (\S+)$/.exec(step)?.[1];
      expect({ step, compilesOneProject: config !== undefined }).toEqual({ step, compilesOneProject: true });
      const shown = JSON.parse(execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', config!, '--showConfig'], { cwd: root, encoding: 'utf8' })) as { compilerOptions: { outDir?: string }; files: string[] };
      const configDir = dirname(join(root, config!));
      expect({ step, outDir: shown.compilerOptions.outDir === undefined ? null : join(configDir, shown.compilerOptions.outDir) }).toEqual({ step, outDir: join(root, 'dist') });
      const inputs = shown.files.map((file) => relative(root, join(configDir, file)));
      expect(inputs.length).toBeGreaterThan(10);
      expect(inputs.filter((file) => !/^(src|tools)\//.test(file))).toEqual([]);
    }
  });

  it('when the package is unpacked into an empty folder and loaded like the Functions worker, then every function registers', () => {
    // One function per file, named as the file, but for queryApi.ts, which registers each query endpoint.
    const functionFiles = readdirSync(join(root, 'src/functions')).filter((name) => name.endsWith('.ts')).map((name) => basename(name, '.ts'));
    const expected = [...functionFiles.filter((name) => name !== 'queryApi'), ...endpoints.map((endpoint) => endpoint.name)];
    expect(expected.length).toBeGreaterThanOrEqual(23);
    expect([...report.registered].sort()).toEqual(expected.sort());
  });

  it('when the package is loaded, then every production dependency resolves from the package alone and nothing is read from outside it', () => {
    expect(report.unresolvedDependencies).toEqual([]);
    expect(report.unresolvedInstalls).toEqual([]);
    // Only the recording worker core (the test's own, not the app's) comes from elsewhere.
    expect(report.loadedFromElsewhere.sort()).toEqual([join(root, 'dist/tools/expandGlob.js'), functionsCore].sort());
  });

  it('when the package is listed, then it holds no dev dependency, no source, map, test, simulator, bench or local tooling file', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    // npm's own bookkeeping (node_modules/.bin links, .package-lock.json) aside, every folder is a package.
    const installed = [...new Set(appEntries.filter((entry) => entry.startsWith('node_modules/') && !/^node_modules\/(\.bin\/|\.package-lock\.json$)/.test(entry)).map((entry) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(entry)?.[1] ?? entry))];
    expect(installed.length).toBeGreaterThan(20);
    expect(installed.filter((path) => lock.packages[path] === undefined || lock.packages[path]?.dev === true)).toEqual([]);
    // No native addon: a package built on any machine runs on Azure's Linux workers.
    expect(appEntries.filter((entry) => entry.endsWith('.node'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(Object.keys(manifest.devDependencies).filter((name) => existsSync(join(app, 'node_modules', name)))).toEqual([]);
    const own = appEntries.filter((entry) => !entry.startsWith('node_modules/'));
    expect(own.filter((entry) => !/^(host\.json|package\.json|package-lock\.json|dist\/src\/.+\.js)$/.test(entry))).toEqual([]);
    expect(own.filter((entry) => /(^|\/)(local|tools|test|simulator|bench)(\/|$)/.test(entry))).toEqual([]);
    expect(own).toEqual(expect.arrayContaining(['host.json', 'package.json', 'package-lock.json', 'dist/src/functions/collectPartnerSecurity.js']));
  });

  it('when .funcignore is read with gitignore rules, then no pattern drops a nested folder that a bare name would', () => {
    // The trap an unanchored line sets: `src` also matches dist/src and a dependency's src folder.
    const bare = ignore().add('src');
    expect(bare.ignores('dist/src/functions/collectPartnerSecurity.js')).toBe(true);
    expect(bare.ignores('node_modules/debug/src/index.js')).toBe(true);
    const funcignore = readFileSync(join(root, IGNORE_FILE), 'utf8').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(funcignore.filter((pattern) => !/^!?\//.test(pattern))).toEqual([]);
    expect(appFiles(root)).toEqual(expect.arrayContaining(['host.json', 'dist/src/functions/collectPartnerSecurity.js', 'dist/src/adapters/credential.js']));
  });
});
