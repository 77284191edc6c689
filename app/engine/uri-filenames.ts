/**
 * Turns on SQLite's URI filenames for this process, before either SQLite library is loaded.
 *
 * The only way to key the file SQLite's backup API writes into is a URI filename
 * (`file:…?cipher=…&key=…`, read by SQLite3MultipleCiphers; connection.ts), and both
 * better-sqlite3 builds read SQLITE_USE_URI from the process's environment once, when they
 * are first loaded. A worker's process.env is its own copy, so it is set here, on the main
 * thread, which imports the engine (and so this module) before any worker loads a SQLite.
 * Every path the engine opens is absolute, so none is taken for a URI by either library.
 * A user's own SQLITE_USE_URI=0 is kept; a restore into an encrypted database then says so.
 */
import { isMainThread } from 'node:worker_threads';

if (isMainThread) process.env.SQLITE_USE_URI ??= '1';
