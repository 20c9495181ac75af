import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(__dirname, '..');
const docs = ['README.md', 'infra/README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** The text as GitHub renders links and headings from it: fenced code holds neither, and a code span is no link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, 'code');
}

/**
 * A heading's anchor as GitHub makes it ("Section links" in GitHub Docs, Basic writing and formatting syntax,
 * https://docs.github.com/en/get-started/writing-on-github/getting-started-with-writing-and-formatting-on-github/basic-writing-and-formatting-syntax#section-links):
 * markup removed, lowercase, punctuation dropped, each space a hyphen, and a repeated heading suffixed -1, -2, ...
 */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  const withoutFences = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  for (const [, heading = ''] of withoutFences.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, '');
    const slug = text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

function brokenLinks(doc: string): string[] {
  const markdown = readFileSync(join(root, doc), 'utf8');
  const broken: string[] = [];
  for (const [, target = ''] of prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // another site: not ours to check offline
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const file = path === '' ? join(root, doc) : join(root, dirname(doc), decodeURIComponent(path));
    if (!existsSync(file)) {
      broken.push(`${doc}: ${target} (no file ${relative(root, file)})`);
    } else if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor))) {
      broken.push(`${doc}: ${target} (no heading #${anchor} in ${relative(root, file)})`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('when a page links to a file of the repository, then the file exists, and the heading its #anchor names does too', () => {
    expect(docs.flatMap(brokenLinks)).toEqual([]);
  });

  it('when headings are slugged, then they follow GitHub: lowercase, hyphens for spaces, punctuation dropped, repeats numbered', () => {
    // The examples of GitHub Docs' "Section links".
    expect(anchors("# Sample Section\n## This'll be a _Helpful_ Section About the Greek Letter Θ!\n# This heading is not unique in the file\n# This heading is not unique in the file")).toEqual(
      new Set(['sample-section', 'thisll-be-a-helpful-section-about-the-greek-letter-θ', 'this-heading-is-not-unique-in-the-file', 'this-heading-is-not-unique-in-the-file-1']),
    );
  });
});
