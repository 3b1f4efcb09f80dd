/**
 * No import circle in src/, type-only imports included. The lint's `import-x/no-cycle` follows
 * only imports that exist at run time; a circle made of `import type` is erased by the compiler
 * but still means two modules cannot be understood (or moved to their layer) one without the
 * other, so this walks every import TypeScript sees (docs/ARCHITECTURE.md#layers).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Every relative import and re-export of every file under `dir`, type-only ones included. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(dir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
    const targets = importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => existsSync(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The circles of `graph` (its strongly connected components of more than one file, or a self-import). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the import graph of src/', () => {
  it('has no circle, counting type-only imports', () => {
    const found = circles(importGraph(path.join(repo, 'src'))).map((c) => c.map((f) => path.relative(repo, f)));
    expect(found).toEqual([]);
  });

  it('finds a circle made only of type imports (the check bites)', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kavach-graph-'));
    try {
      mkdirSync(path.join(root, 'domain'));
      writeFileSync(path.join(root, 'domain/plan.ts'), "import type { Set } from './set.js';\nexport interface Plan { s: Set }\n");
      writeFileSync(path.join(root, 'domain/set.ts'), "import type { Plan } from './plan.js';\nexport interface Set { p: Plan }\n");
      writeFileSync(path.join(root, 'domain/leaf.ts'), "import type { Plan } from './plan.js';\nexport type Leaf = Plan;\n");
      const found = circles(importGraph(root)).map((c) => c.map((f) => path.relative(root, f)));
      expect(found).toEqual([['domain/plan.ts', 'domain/set.ts']]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
