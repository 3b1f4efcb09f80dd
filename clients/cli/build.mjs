// Builds the `kavach` command into one self-contained ESM file (dist/kavach.js): @kavach/client,
// commander and yaml are bundled in, so `npm install -g` of the packed tarball needs nothing
// from a registry and does not depend on this checkout.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  outfile: new URL('./dist/kavach.js', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: {
    // A shebang, and `require` for the CommonJS dependencies esbuild inlines into an ES module.
    js: "#!/usr/bin/env node\nimport { createRequire as __kavachCreateRequire } from 'node:module';\nconst require = __kavachCreateRequire(import.meta.url);",
  },
  legalComments: 'eof',
  logLevel: 'warning',
});
