/**
 * The embedded engine's SQLite driver is chosen by Node version (src/store/embedded/driver.ts):
 * better-sqlite3 12 aborts the process on Node 24, 13 does not run on Node 20. CI runs this file
 * on Node 20, 22 and 24, so each version is shown to load the driver meant for it.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Database, SQLITE_DRIVER } from '../../src/store/embedded/driver.js';

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

describe('the SQLite driver', () => {
  it(`is better-sqlite3 13 from Node 24 on, 12 before (this is Node ${process.versions.node})`, () => {
    expect(SQLITE_DRIVER).toBe(major >= 24 ? 'better-sqlite3-napi' : 'better-sqlite3');
    const { version } = require(`${SQLITE_DRIVER}/package.json`) as { version: string };
    expect(version.split('.')[0]).toBe(major >= 24 ? '13' : '12');
  });

  it('opens a database and runs a statement', () => {
    const db = new Database(':memory:');
    try {
      expect(db.prepare('select 40 + 2 as answer').get()).toEqual({ answer: 42 });
    } finally {
      db.close();
    }
  });
});
