// The measuring side of `bench/idle-rss.sh`: private tscrd daemons started as their bin (so the bin's own Node
// flags apply), each timed from spawn to its first answered call (System.Version from a warm client polling every
// 5 ms), then left alone SETTLE seconds (V8's memory reducer shrinks the heap ~15 s in) and read from /proc:
// VmRSS = RssAnon + RssFile, and the thread count. Variants: the environment as it is, and without
// NODE_EXTRA_CA_CERTS (Node parses that whole CA file at start-up). RUNS daemons per variant, started one after
// another (each start timed alone), all settling at the same time; ended by PID. With --baseline BIN, RUNS more
// daemons of that bin (the environment as it is), started between the others.
// With --image-tar TAR, RUNS more daemons of each build ('active', 'activeBaseline') are used once before they
// settle: TAR imported through the CLI and one container run (create, start, wait, remove through the warm client),
// then read --settle-active seconds after that: the idle daemon after activity.
// Prints one JSON object on stdout: { variant: [{ startMs, rss, anon, file, threads }, ...] }.
// Usage: node bench/idle-rss.mjs --work DIR --cgroup-parent NAME [--runs N] [--settle S] [--image-tar TAR]
import { execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { GrpcSystemService } from '@tscr/api/grpc';
import { GrpcContainerService } from '@tscr/container/grpc';

const { values } = parseArgs({
  options: {
    work: { type: 'string' },
    'cgroup-parent': { type: 'string' },
    runs: { type: 'string', default: '3' },
    settle: { type: 'string', default: '30' },
    bin: { type: 'string', default: 'packages/daemon/dist/main.cjs' },
    baseline: { type: 'string' },
    'image-tar': { type: 'string' },
    'settle-active': { type: 'string', default: '90' },
  },
});
const runs = Number(values.runs);
const settleMs = Number(values.settle) * 1000;

const status = (pid) => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    rss: kib('VmRSS') / 1024,
    anon: kib('RssAnon') / 1024,
    file: kib('RssFile') / 1024,
    threads: kib('Threads'),
  };
};

/** Starts one daemon; resolves once it answers, with the time that took. */
async function start(variant, i) {
  const dir = `${values.work}/${variant}-${i}`;
  const env = { ...process.env };
  if (variant === 'noCa') delete env.NODE_EXTRA_CA_CERTS;
  const host = `unix://${dir}/s.sock`;
  const t0 = performance.now();
  const child = spawn(
    variant === 'baseline' || variant === 'activeBaseline' ? values.baseline : values.bin,
    ['--host', host, '--root', `${dir}/root`, '--exec-root', `${dir}/exec`, '--cgroup-parent', values['cgroup-parent']],
    { env, stdio: ['ignore', 'ignore', openSync(`${values.work}/${variant}-${i}.log`, 'w')] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const client = new GrpcSystemService(host);
  try {
    for (;;) {
      if (exited) throw new Error(`tscrd (${variant}) exited during start-up`);
      try {
        await client.version({ signal: AbortSignal.timeout(1000) });
        break;
      } catch {
        await sleep(5);
      }
    }
  } finally {
    client.close();
  }
  const d = { child, dir, variant, startMs: performance.now() - t0, started: Date.now(), settleMs };
  if (variant.startsWith('active')) {
    await use(d, host);
    d.settleMs = Number(values['settle-active']) * 1000;
  }
  return d;
}

/** One image import (the CLI) and one container run (the warm client), as a user's first minutes would have. */
async function use(d, host) {
  execFileSync('packages/cli/dist/main.cjs', ['image', 'import', values['image-tar'], 'tscr-bench/idle:latest'], {
    env: { ...process.env, TSCR_HOST: host },
    stdio: 'ignore',
  });
  const containers = new GrpcContainerService(host);
  try {
    const { id } = await containers.create({
      config: { image: 'tscr-bench/idle:latest', cmd: ['true'] },
      hostConfig: { networkMode: 'none' },
    });
    await containers.start(id);
    await containers.wait(id);
    await containers.remove(id, { force: true });
  } finally {
    containers.close();
  }
  d.started = Date.now();
}

async function stop(d) {
  if (d.child.exitCode === null) {
    const gone = new Promise((resolve) => d.child.once('exit', resolve));
    process.kill(d.child.pid, 'SIGTERM');
    await gone;
  }
  rmSync(d.dir, { recursive: true, force: true });
}

const daemons = [];
const result = {};
try {
  for (let i = 0; i < runs; i++) {
    const active = values['image-tar'] ? ['active', ...(values.baseline ? ['activeBaseline'] : [])] : [];
    for (const variant of ['env', 'noCa', ...(values.baseline ? ['baseline'] : []), ...active]) {
      daemons.push(await start(variant, i));
    }
  }
  for (const d of [...daemons].sort((a, b) => a.started + a.settleMs - (b.started + b.settleMs))) {
    await sleep(Math.max(0, d.started + d.settleMs - Date.now()));
    result[d.variant] ??= [];
    result[d.variant].push({ startMs: d.startMs, ...status(d.child.pid) });
  }
} finally {
  for (const d of daemons) await stop(d).catch(() => undefined);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
