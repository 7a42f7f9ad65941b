/**
 * cli-e2e.test.ts and control-e2e.test.ts again, through the bin users get: the native client (`dist/tscr`)
 * and its CLI host, as `TSCR_E2E_BIN=native` runs any CLI end-to-end file (see fixtures/e2e-bin.ts). The file's
 * first run finds no host, runs the Node bin and starts one; the later runs are served by it. Then: a host did
 * start in the file's private directory and served most runs (the cleanup ends it by its pid file).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { e2eSkipReason, fileHostCounts, fileHostDir, useE2eBin } from '../fixtures/e2e.js';

useE2eBin('native');
await import('./cli-e2e.test.js');
await import('./control-e2e.test.js');

describe.skipIf(e2eSkipReason())('the native bin under the CLI end-to-end suites', () => {
  it('started a CLI host in the file’s directory on its first run, which then served the runs it hosts', () => {
    const dir = fileHostDir();
    const pidFiles = readdirSync(dir).filter((f) => /^cli-.*\.pid$/.test(f));
    expect(pidFiles).toHaveLength(1);
    const pid = readFileSync(`${dir}/${pidFiles[0]}`, 'utf8').trim();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(`${dir}/cli-`);
    const { served, fellBack } = fileHostCounts();
    expect(served).toBeGreaterThan(100);
    expect(fellBack).toBeGreaterThan(0); // image import, stats, …: the Node bin, through the client
  });
});
