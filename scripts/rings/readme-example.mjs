// The README's client examples are the files the rings run: a ring checks that the README shows
// its example verbatim, in the fenced block that follows the marker `<!-- example: NAME -->`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './support.mjs';

export function readmeBlockMatches(name, source) {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const marker = `<!-- example: ${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) return { ok: false, reason: `README.md has no "${marker}" block` };
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at + marker.length));
  if (block === null) return { ok: false, reason: `README.md: no fenced code block after "${marker}"` };
  if (block[1] !== source) return { ok: false, reason: `README.md's "${name}" example differs from the file the ring runs` };
  return { ok: true };
}
