// What starting a process costs a daemon-sized Node process: Node's `spawn` (libuv forks this process, then
// execs; the call blocks until the exec) against a request to `tscr-relay spawner` (the relay forks itself),
// both starting `/bin/sh -c 'echo x >&3'` the way the monitor is started (detached, log file, fd 3 pipe) and
// timed until its fd-3 line arrives. The process first grows to about MIB of RSS (the daemon runs at 60–100 MiB).
// Usage: node bench/spawn-cost.mjs [runs] [MIB]
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelaySpawner, findRelay } from '@tscr/runtime/local';

const runs = Number(process.argv[2] ?? 30);
const mib = Number(process.argv[3] ?? 100);
const ballast = [];
while (process.memoryUsage().rss < mib * 1024 * 1024) ballast.push(Buffer.alloc(1 << 20, 1));
const dir = mkdtempSync(join(tmpdir(), 'tscr-bench-spawn-'));
const logPath = join(dir, 'log');
const args = ['-c', 'echo x >&3'];

function viaNode() {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const fd = openSync(logPath, 'a');
    const child = spawn('/bin/sh', args, { stdio: ['ignore', fd, fd, 'pipe'], detached: true, env: {} });
    closeSync(fd);
    child.once('error', reject);
    child.stdio[3].once('data', () => {
      resolve(performance.now() - t0);
      child.stdio[3].destroy();
    });
  });
}

const relay = new RelaySpawner(await findRelay());
async function viaRelay() {
  const t0 = performance.now();
  const out = await relay.spawn({ file: '/bin/sh', args, env: {}, logPath });
  if (out?.kind !== 'line') throw new Error(`relay: ${JSON.stringify(out)}`);
  return performance.now() - t0;
}

const times = { node: [], relay: [] };
for (let i = 0; i < runs + 3; i++) {
  for (const [k, f] of [
    ['node', viaNode],
    ['relay', viaRelay],
  ]) {
    const ms = await f();
    if (i >= 3) times[k].push(ms);
  }
}
relay.close();
rmSync(dir, { recursive: true, force: true });
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2);
const rss = (process.memoryUsage().rss / 1048576).toFixed(0);
console.log(
  `| starting a monitor-like process from a ${rss} MiB Node process (${runs} runs each, interleaved) | median ms |`,
);
console.log('|---|---|');
console.log(`| Node \`spawn\` (fork of this process, exec), until the fd-3 line | ${med(times.node)} |`);
console.log(`| \`tscr-relay spawner\` request (fork of the relay, exec), until the fd-3 line | ${med(times.relay)} |`);
void ballast;
