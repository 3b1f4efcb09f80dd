/**
 * Comments cite docs/ARCHITECTURE.md by section (`docs/ARCHITECTURE.md#constraints`). A cited
 * section that was renamed or removed would leave a reader with nothing to follow, so every
 * citation in the code, tests and README must name a heading of that file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const doc = readFileSync(path.join(repo, 'docs/ARCHITECTURE.md'), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (heading === null) continue;
    found.add(heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-'));
  }
  return found;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

describe('citations of docs/ARCHITECTURE.md', () => {
  const known = anchors(doc);

  it('reads the headings as GitHub anchors', () => {
    expect(known).toContain('a-requests-path');
    expect(known).toContain('a-new-store-method');
  });

  it('name a section that exists, everywhere they appear', () => {
    const sources = [...['src', 'test', 'bench', 'scripts'].flatMap((d) => files(path.join(repo, d))), path.join(repo, 'README.md')];
    const cited: string[] = [];
    const missing: string[] = [];
    for (const file of sources) {
      for (const m of readFileSync(file, 'utf8').matchAll(/ARCHITECTURE\.md#([a-z0-9-]+)/g)) {
        cited.push(m[1]!);
        if (!known.has(m[1]!)) missing.push(`${path.relative(repo, file)}: #${m[1]}`);
      }
    }
    expect(cited.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('the doc links to its own sections only by existing anchors', () => {
    const broken = [...doc.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]!).filter((a) => !known.has(a));
    expect(broken).toEqual([]);
  });
});
