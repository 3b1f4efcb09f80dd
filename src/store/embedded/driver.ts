/**
 * The SQLite driver for the Node this process runs on. better-sqlite3 12 is the last release
 * that runs on Node 20, and on Node 24 it aborts the process (`Assertion failed: (env) !=
 * nullptr` in a statement's destructor, during garbage collection or at exit: Node 24 changed
 * `node::ObjectWrap`, and 12.x will not be fixed). better-sqlite3 13 is built on Node-API, ships
 * prebuilt binaries and needs Node 22 or later; it is installed under the alias
 * `better-sqlite3-napi`. Node 20 and 22 keep 12 (what they always ran); Node 24 and later get 13.
 * Both have the same API.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The package this process loads its SQLite driver from. */
export const SQLITE_DRIVER = NODE_MAJOR >= 24 ? 'better-sqlite3-napi' : 'better-sqlite3';

/** better-sqlite3's `Database` class, from the driver that works on this Node. */
export const Database = require(SQLITE_DRIVER) as typeof BetterSqlite3;
