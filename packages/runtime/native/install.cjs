#!/usr/bin/env node
// Builds tscr-relay when @tscr/runtime is installed (its `install` script), so that
// attach and TTY exec work after a plain `npm install`. Needs a C compiler (cc, gcc or
// clang; $CC first). Never fails the install: without a compiler it says what to do and
// the runtime raises FailedPrecondition (RelayMissing) with the same advice when asked
// for a TTY. Rebuilds only when a source is newer than the binary.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const sourceDir = join(__dirname, 'relay');
const files = readdirSync(sourceDir).map((f) => join(sourceDir, f));
const sources = files.filter((f) => f.endsWith('.c'));
const target = join(__dirname, 'build', 'tscr-relay');

function fresh() {
  return existsSync(target) && files.every((f) => statSync(target).mtimeMs >= statSync(f).mtimeMs);
}

function compilers() {
  const list = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  return [...new Set(list)];
}

function build() {
  if (process.platform !== 'linux') {
    console.warn(`@tscr/runtime: tscr-relay is Linux-only; not built on ${process.platform}`);
    return;
  }
  if (fresh() && process.env.TSCR_RELAY_REBUILD !== '1') return;
  mkdirSync(join(__dirname, 'build'), { recursive: true });
  for (const cc of compilers()) {
    try {
      execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', target, ...sources], { stdio: ['ignore', 'inherit', 'inherit'] });
      console.log(`@tscr/runtime: built ${target} with ${cc}`);
      return;
    } catch (e) {
      if (e && e.code === 'ENOENT') continue; // this compiler is not installed: try the next
      console.warn(`@tscr/runtime: ${cc} failed to build tscr-relay`);
    }
  }
  console.warn(
    '@tscr/runtime: no C compiler found, so tscr-relay (attach and TTY exec) was not built. Either install one ' +
      `(apt-get install gcc) and run \`cc -O2 -o ${target} ${join(sourceDir, '*.c')}\` (or \`npm rebuild @tscr/runtime\`), ` +
      'or point the runtime at a built relay with the `relayPath` option or the TSCR_RELAY environment variable.',
  );
}

build();
