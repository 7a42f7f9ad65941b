/**
 * cli-e2e.test.ts and control-e2e.test.ts again, through the bin users get: the native client (`dist/tscr`)
 * and its CLI host, as `TSCR_E2E_BIN=native` runs any CLI end-to-end file (see fixtures/e2e-bin.ts). The file's
 * first run finds no host, runs the Node bin and starts one; the later runs are served by it. Then: a host did
 * start in the file's private directory and served most runs (the cleanup ends it by its pid file).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eSkipReason, fileHostCounts, fileHostDir, runCli, useE2eBin } from '../fixtures/e2e.js';
import { endHostsIn } from '../fixtures/e2e-bin.js';

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

  it('ends a host by its pid file, also one still starting when the cleanup comes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscr-test-clihost-own-'));
    // Processes whose command line names the directory: the host, whatever state it is in.
    const hostsIn = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${dir}/cli-`);
          } catch {
            return false;
          }
        });
    try {
      // The first run falls back and starts the host beside it (under its lock); the cleanup comes at once.
      // (No daemon here: the Node bin prints the client's part and fails; only the start of the host matters.)
      const r = runCli(['version', '--format', '{{.Client.Version}}'], { ...process.env, TSCR_CLI_HOST_DIR: dir });
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
      expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toHaveLength(1);
      await endHostsIn(dir);
      expect(hostsIn()).toEqual([]);
      expect(readdirSync(dir).filter((f) => f.endsWith('.pid'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });
});
