import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/main.cjs', import.meta.url));

// The built bin as npm links it (`tscrd`): its first line is a shell script (see binBanner in tsup.shared.js).
describe.skipIf(!existsSync(bin))('the tscrd bin (dist/main.cjs)', () => {
  it('runs Node with its flags, and leaves NODE_EXTRA_CA_CERTS to tscr (Node would warn about a missing file)', async () => {
    const firstLines = readFileSync(bin, 'utf8').split('\n', 2);
    expect(firstLines[0]).toBe('#!/bin/sh');
    expect(firstLines[1]).toContain('exec node --max-semi-space-size=2 "$0" "$@"');
    const env = { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: '/nonexistent/tscr-test-cas.pem' };
    const { stdout, stderr } = await promisify(execFile)(bin, ['--help'], { env });
    expect(stdout).toContain('tscrd [flags]');
    expect(stderr).toBe('');
    // Run by node itself (no shell line), Node reads the file as usual and warns.
    const direct = await promisify(execFile)(process.execPath, [bin, '--help'], { env });
    expect(direct.stderr).toContain('Ignoring extra certs from `/nonexistent/tscr-test-cas.pem`');
  });
});
