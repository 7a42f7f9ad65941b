#!/usr/bin/env node
// The `install` script of @tscr/cli: the `tscr` bin (dist/tscr) is the native client built for linux-x64
// (native/tscr-client.c). Where that binary cannot run (another platform or architecture, a noexec quirk), dist/tscr
// becomes a copy of dist/main.cjs, today's bin, which the client would have run anyway: the bin always works.
// Does nothing before the package is built (a fresh clone) and never fails the install.
'use strict';
const { spawnSync } = require('node:child_process');
const { chmodSync, copyFileSync, existsSync, readFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const bin = join(dist, 'tscr');
const main = join(dist, 'main.cjs');

/** Whether dist/tscr runs: with the host off it execs main.cjs, so `--help` prints the usage. */
function runs() {
  if (!existsSync(bin)) return false;
  if (readFileSync(bin).subarray(0, 4).toString('latin1') !== '\x7fELF') return true; // already main.cjs
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  const r = spawnSync(bin, ['--help'], { env: { ...process.env, TSCR_CLI_HOST: '0' }, encoding: 'utf8', timeout: 30_000 });
  return r.error === undefined && r.status === 0 && r.stdout.includes('tscr');
}

try {
  if (existsSync(main) && !runs()) {
    copyFileSync(main, `${bin}.tmp`);
    chmodSync(`${bin}.tmp`, 0o755);
    renameSync(`${bin}.tmp`, bin);
    console.warn(`@tscr/cli: the native tscr client does not run on ${process.platform}-${process.arch}; tscr is dist/main.cjs`);
  }
} catch (e) {
  console.warn(`@tscr/cli: could not check the native tscr client: ${e && e.message}`);
}
