import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it("fixes glibc's malloc trim threshold for Node, after the caller's own GLIBC_TUNABLES", async () => {
    // A stand-in `node` first in PATH shows what the shell line hands to Node.
    const dir = mkdtempSync(join(tmpdir(), 'tscr-test-bin-'));
    try {
      writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "$GLIBC_TUNABLES|$1"\n');
      chmodSync(join(dir, 'node'), 0o755);
      const run = (extra: Record<string, string>) =>
        promisify(execFile)(bin, ['--help'], { env: { PATH: `${dir}:${process.env.PATH ?? ''}`, ...extra } });
      expect((await run({})).stdout).toBe('glibc.malloc.trim_threshold=131072|--max-semi-space-size=2\n');
      expect((await run({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=8' })).stdout).toBe(
        'glibc.malloc.arena_max=8:glibc.malloc.trim_threshold=131072|--max-semi-space-size=2\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
