import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Files under `root` matching `pattern`, the subset of glob syntax package.json `main` uses for
 * Functions apps: `*` and `?` within one path segment, and `{a,b}` alternatives (which may hold
 * slashes, as in `dist/src/{index.js,functions/*.js}`). Sorted per alternative, without duplicates.
 */
export function expandGlob(root: string, pattern: string): string[] {
  if (pattern.includes('**')) throw new Error(`"${pattern}": ** is not supported; list the folders with {a,b}`);
  const files = expandBraces(pattern).flatMap((alternative) => matchSegments(root, alternative.split('/').filter(Boolean)).sort());
  return [...new Set(files)];
}

function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open === -1) return [pattern];
  const close = pattern.indexOf('}', open);
  if (close === -1) throw new Error(`"${pattern}": unclosed {`);
  const before = pattern.slice(0, open);
  const after = pattern.slice(close + 1);
  return pattern
    .slice(open + 1, close)
    .split(',')
    .flatMap((choice) => expandBraces(before + choice + after));
}

function matchSegments(base: string, segments: string[]): string[] {
  const [segment, ...rest] = segments;
  if (segment === undefined) return isFile(base) ? [base] : [];
  if (!/[*?]/.test(segment)) return matchSegments(join(base, segment), rest);
  const matcher = segmentMatcher(segment);
  return listDirectory(base)
    .filter((name) => matcher.test(name))
    .flatMap((name) => matchSegments(join(base, name), rest));
}

function segmentMatcher(segment: string): RegExp {
  const source = segment.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`);
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
