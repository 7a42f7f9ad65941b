#!/usr/bin/env node
// `attw` (Are the Types Wrong?) on several packed tarballs in one process: the same checks as
// `attw <tarball>` (its "strict" profile: node10, node16 from CJS and ESM, bundler), with TypeScript
// loaded once instead of once per package. Prints one line per package; exits 1 on any problem.
// Usage: node scripts/attw-all.mjs a.tgz b.tgz …
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';

let failed = false;
for (const tarball of process.argv.slice(2)) {
  const pkg = createPackageFromTarballData(new Uint8Array(readFileSync(tarball)));
  const result = await checkPackage(pkg);
  const name = basename(tarball, '.tgz');
  if (!result.types) {
    console.log(`  ${name}: no types (nothing to import)`);
    continue;
  }
  const entrypoints = Object.keys(result.entrypoints).join(', ');
  if (result.problems.length === 0) {
    console.log(`  ${name}: no problems (${entrypoints}; node10, node16 CJS and ESM, bundler)`);
    continue;
  }
  failed = true;
  console.log(`  ${name}: ${result.problems.length} problem(s)`);
  for (const p of result.problems) console.log(`    ${JSON.stringify(p)}`);
}
process.exit(failed ? 1 : 0);
