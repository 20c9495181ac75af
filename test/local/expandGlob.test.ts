import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGlob } from '../../tools/expandGlob';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'expand-glob-'));
  mkdirSync(join(root, 'dist/src/functions'), { recursive: true });
  for (const file of ['dist/src/index.js', 'dist/src/functions/b.js', 'dist/src/functions/a.js', 'dist/src/functions/a.js.map']) {
    writeFileSync(join(root, file), '');
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('expandGlob', () => {
  test('when the pattern has *, then files in that folder match, sorted, and nothing else', () => {
    expect(expandGlob(root, 'dist/src/functions/*.js')).toEqual([join(root, 'dist/src/functions/a.js'), join(root, 'dist/src/functions/b.js')]);
  });

  test('when alternatives in braces hold paths, then each expands in order without duplicates', () => {
    expect(expandGlob(root, 'dist/src/{index.js,functions/*.js,functions/a.js}')).toEqual([
      join(root, 'dist/src/index.js'),
      join(root, 'dist/src/functions/a.js'),
      join(root, 'dist/src/functions/b.js'),
    ]);
  });

  test('when a plain path or a missing folder is given, then it matches the file or nothing', () => {
    expect(expandGlob(root, 'dist/src/index.js')).toEqual([join(root, 'dist/src/index.js')]);
    expect(expandGlob(root, 'nowhere/*.js')).toEqual([]);
    expect(() => expandGlob(root, 'dist/**/*.js')).toThrow('** is not supported');
  });
});
