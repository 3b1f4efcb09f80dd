/**
 * The lint rules that keep the layers one-way (docs/ARCHITECTURE.md#layers): ESLint's Node API
 * with the project's own eslint.config.js, on small fixture files written to a scratch tree
 * shaped like src/. Each case must fail for its reason, and the clean case must pass, so the
 * rules are shown to bite rather than assumed to.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let root: string;
let eslint: ESLint;

function write(files: Record<string, string>): string[] {
  return Object.entries(files).map(([rel, text]) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  });
}

async function ruleIds(files: Record<string, string>): Promise<string[]> {
  const results = await eslint.lintFiles(write(files));
  return results.flatMap((r) => r.messages.map((m) => `${path.relative(root, r.filePath)}: ${m.ruleId ?? m.message}`)).sort();
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kavach-lint-'));
  eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(repo, 'eslint.config.js') });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the layering lint', () => {
  it('passes a clean downward import (app -> store -> domain)', async () => {
    const found = await ruleIds({
      'src/domain/clean-a.ts': 'export const a = 1;\n',
      'src/store/clean-b.ts': "import { a } from '../domain/clean-a.js';\nexport const b = a + 1;\n",
      'src/app/clean-c.ts': "import { b } from '../store/clean-b.js';\nexport const c = b + 1;\n",
    });
    expect(found).toEqual([]);
  });

  it('fails a layer crossing: the domain importing the app', async () => {
    const found = await ruleIds({
      'src/app/up.ts': 'export const up = 1;\n',
      'src/domain/crossing.ts': "import { up } from '../app/up.js';\nexport const x = up;\n",
    });
    expect(found).toEqual(['src/domain/crossing.ts: no-restricted-imports']);
  });

  it('fails a layer crossing: the app importing the api', async () => {
    const found = await ruleIds({
      'src/api/handler.ts': 'export const handler = 1;\n',
      'src/app/reaches-up.ts': "import { handler } from '../api/handler.js';\nexport const y = handler;\n",
    });
    expect(found).toEqual(['src/app/reaches-up.ts: no-restricted-imports']);
  });

  it('fails an import circle inside one layer, on both files', async () => {
    const found = await ruleIds({
      'src/app/circle-a.ts': "import { b } from './circle-b.js';\nexport const a = (): number => b() + 1;\n",
      'src/app/circle-b.ts': "import { a } from './circle-a.js';\nexport const b = (): number => a() - 1;\n",
    });
    expect(found).toEqual(['src/app/circle-a.ts: import-x/no-cycle', 'src/app/circle-b.ts: import-x/no-cycle']);
  });

  it('fails a longer circle through three modules', async () => {
    const found = await ruleIds({
      'src/domain/ring-a.ts': "import { b } from './ring-b.js';\nexport const a = (): number => b();\n",
      'src/domain/ring-b.ts': "import { c } from './ring-c.js';\nexport const b = (): number => c();\n",
      'src/domain/ring-c.ts': "import { a } from './ring-a.js';\nexport const c = (): number => a();\n",
    });
    expect(found).toEqual([
      'src/domain/ring-a.ts: import-x/no-cycle',
      'src/domain/ring-b.ts: import-x/no-cycle',
      'src/domain/ring-c.ts: import-x/no-cycle',
    ]);
  });
});
