import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingDocs } from '../src/config';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function settingsTableRow(doc: (typeof settingDocs)[number]): string {
  return `| \`${doc.name}\` | ${doc.usedBy} | ${doc.default === undefined ? '—' : `\`${doc.default}\``} | ${doc.description} |`;
}

describe('README', () => {
  it('when a setting is documented in the config module, then the README table has exactly that row, in the same order', () => {
    const table = readme.split('<!-- settings-table:start -->')[1]?.split('<!-- settings-table:end -->')[0] ?? '';
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows).toEqual(settingDocs.map(settingsTableRow));
  });

  it('when a newcomer reads it, then the two commands are there and CI runs the same install and test commands', () => {
    expect(readme).toContain('npm ci\nnpm start');
    expect(readme).toContain('npm test');
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
