import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * The deployment package: the folder `azd deploy` zips and uploads as it is (azure.yaml
 * `dist: .deploy`, `remoteBuild: false`). It holds the files `.funcignore` lets through, with
 * node_modules installed afresh by a production-only `npm ci` from the package's own lock file
 * rather than copied: the compiled app and its production dependencies, nothing else (see
 * infra/README.md for why not a remote build).
 */
export const PACKAGE_FOLDER = '.deploy';
export const IGNORE_FILE = '.funcignore';

interface PackageSize {
  files: number;
  bytes: number;
}

/** The folder the package's dependencies go to: installed by `npm ci --omit=dev`, never copied. */
const DEPENDENCIES = 'node_modules';

/** Files of the project that `.funcignore` lets into the package ('/'-separated, relative to root), node_modules aside. */
export function appFiles(root: string): string[] {
  return walk(root, '', packageRules(root));
}

/** `.funcignore` read with gitignore rules, as azd reads it. */
export function packageRules(root: string): Ignore {
  return ignore().add(readFileSync(join(root, IGNORE_FILE), 'utf8'));
}

function walk(root: string, prefix: string, rules: Ignore): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (path === DEPENDENCIES) continue;
    // Through symbolic links, as azd's zip does.
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && statSync(join(root, path)).isDirectory());
    if (isDirectory) {
      if (!rules.ignores(`${path}/`)) found.push(...walk(root, path, rules));
    } else if (!rules.ignores(path)) {
      found.push(path);
    }
  }
  return found.sort();
}

/**
 * Builds the package in `target` (emptied first) from a project whose `dist/` is built: the
 * app files, then `npm ci --omit=dev` there. Install scripts are not run: the production
 * dependencies need none, and the package must not depend on what a script did on this machine.
 */
export function stageAppPackage(root: string, target: string): PackageSize {
  rmSync(target, { recursive: true, force: true });
  if (packageRules(root).ignores(`${DEPENDENCIES}/`)) throw new Error(`${IGNORE_FILE} leaves ${DEPENDENCIES} out: the package would have no dependencies, and azd refuses remoteBuild: false`);
  const files = appFiles(root);
  for (const required of ['host.json', 'package.json', 'package-lock.json']) {
    if (!files.includes(required)) throw new Error(`${IGNORE_FILE} leaves ${required} out of the package`);
  }
  if (!files.some((file) => file.startsWith('dist/src/functions/'))) {
    throw new Error(`the package has no compiled function (dist/src/functions): run \`npm run build\` first, and check ${IGNORE_FILE}`);
  }
  for (const file of files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(root, file), join(target, file));
  }
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: target,
    stdio: ['ignore', 'ignore', 'inherit'],
    shell: process.platform === 'win32',
  });
  return packageSize(target);
}

function packageSize(folder: string): PackageSize {
  let files = 0;
  let bytes = 0;
  const visit = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child);
      else {
        files += 1;
        bytes += statSync(child).size;
      }
    }
  };
  visit(folder);
  return { files, bytes };
}
