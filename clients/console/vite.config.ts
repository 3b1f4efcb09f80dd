// Builds the console into dist/, which Kavach serves at `/` (src/server/console.ts). The built
// bundle is committed so that `npm install && npm start` serves it with no build step, and
// `npm run check` rebuilds it to make sure it is not stale (scripts/console-bundle.sh).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: process.env.CONSOLE_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    // Strict CSP: no inline script, and no data: URLs for scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/kavach.v1.': process.env.KAVACH_URL ?? 'http://127.0.0.1:8080' },
  },
});
