// The CLI host (packages/cli/src/host, CLIHOST.md) against today's bin and the Docker 28 CLI, in one run against
// a private tscrd with COUNT `sleep` containers running (as bench/cli.sh):
//   host     the request sent over the host's socket by a warm Node client in this process (frames from @tscr/cli),
//            from connect to the exit frame: what the `tscr` bin's C client adds to that is its own exec and connect
//   bin      packages/cli/dist/main.cjs spawned from this process (with its code cache warmed), start to exit
//   docker   /usr/local/bin/docker against tscrd's Docker API socket, spawned the same way
//   spawn    /bin/true spawned the same way: what spawning itself costs here (in the bin and docker rows)
// for `version`, `ps` and `run --rm --network none IMG true`; medians of RUNS after 3 warm-up runs each.
// Then the host's RSS: started (no request yet), after one request, and after all the timed runs and 50 more
// `run --rm` at once. Prints a markdown table. The host and the daemon are ended by their PID.
// `--node-flags 'FLAGS'` runs the host as `node FLAGS cli-host.cjs` instead of through its first line (to compare flags).
// Needs root and a build (npm run build). Usage: node bench/cli-host.mjs [--runs N] [--count N] [--node-flags 'FLAGS']
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { encodeFrame, FrameDecoder, HOST_FRAMES } from '@tscr/cli';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    count: { type: 'string', default: '50' },
    'node-flags': { type: 'string' },
  },
});
const runs = Number(values.runs);
const count = Number(values.count);
const repo = resolve(import.meta.dirname, '..');
const bin = join(repo, 'packages/cli/dist/main.cjs');
const hostBin = join(repo, 'packages/cli/dist/cli-host.cjs');
const docker = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
if (process.getuid?.() !== 0) throw new Error('bench: run as root');

const work = mkdtempSync('/tmp/tscr-bench-clihost-');
const cg = `tscr-bench-clihost-${process.pid}`;
const sock = `unix://${work}/exec/tscr.sock`;
const dsock = `unix://${work}/exec/docker.sock`;
const hostDir = join(work, 'cli-host');
const hostSock = join(hostDir, 'cli-bench.sock');
const env = { ...process.env, TSCR_HOST: sock, XDG_CACHE_HOME: join(work, 'cache'), DOCKER_CONFIG: join(work, 'dc') };
env.TSCR_CLI_HOST_DIR = hostDir;
delete env.TSCR_CLI_HOST;
let daemon;
let host;

const tscr = (args) => execFileSync(bin, args, { env, encoding: 'utf8' });

/** One request through the host; resolves with its exit code, or throws for F / EOF. */
function viaHost(argv) {
  return new Promise((done, fail) => {
    const c = connect(hostSock);
    const request = { v: 1, argv, env, cwd: work, tty: [false, false, false], cols: 0, rows: 0 };
    c.write(encodeFrame('R', JSON.stringify(request)));
    const decoder = new FrameDecoder(HOST_FRAMES);
    let code;
    c.on('data', (chunk) => {
      for (const f of decoder.push(chunk)) {
        if (f.type === 'X') code = f.payload[0];
        if (f.type === 'F') fail(new Error(`not hosted: ${f.payload}`));
      }
    });
    c.on('error', fail);
    c.on('close', () => (code === undefined ? fail(new Error('the host closed early')) : done(code)));
  });
}

function spawned(file, args) {
  const r = spawnSync(file, args, { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}`);
}

async function median(fn) {
  const times = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= 3) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rss = (pid) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function cleanup() {
  try {
    const ids = tscr(['ps', '-aq']).split('\n').filter(Boolean);
    if (ids.length) tscr(['rm', '-f', ...ids]);
  } catch {}
  for (const p of [host, daemon]) {
    if (p?.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  }
  spawnSync('umount', ['-R', work], { stdio: 'ignore' });
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[4];
    if (target?.startsWith(work)) spawnSync('umount', ['-l', target]);
  }
  rmSync(work, { recursive: true, force: true });
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctl, cg);
    if (!existsSync(dir)) continue;
    for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) rmdirSync(join(dir, sub.name));
    rmdirSync(dir);
  }
}

try {
  execFileSync('bash', [join(repo, 'scripts/busybox-rootfs.sh'), join(work, 'busybox.tar')], { stdio: 'ignore' });
  mkdirSync(env.DOCKER_CONFIG);
  mkdirSync(hostDir, { mode: 0o700 });
  const daemonArgs = [
    '--host',
    sock,
    '--docker-host',
    dsock,
    '--root',
    join(work, 'root'),
    '--exec-root',
    join(work, 'exec'),
  ];
  daemon = spawn(join(repo, 'packages/daemon/dist/main.cjs'), [...daemonArgs, '--cgroup-parent', cg, '--no-cri'], {
    env,
    stdio: ['ignore', openSync(join(work, 'tscrd.log'), 'w'), 'inherit'],
  });
  for (let i = 0; i < 200 && spawnSync(bin, ['version'], { env, stdio: 'ignore' }).status !== 0; i++) await sleep(100);
  while (!existsSync(`${work}/exec/docker.sock`)) await sleep(100);
  tscr(['image', 'import', join(work, 'busybox.tar'), 'tscr-bench/busybox:latest']);
  const img = 'tscr-bench/busybox:latest';

  // --node-flags: the host run by `node FLAGS` instead of its own first line's flags (to compare them).
  const nodeFlags = values['node-flags']?.split(' ').filter(Boolean);
  const [file, ...pre] = nodeFlags ? [process.execPath, ...nodeFlags, hostBin] : [hostBin];
  host = spawn(file, [...pre, '--socket', hostSock], {
    env,
    stdio: ['ignore', openSync(join(hostDir, 'cli-bench.log'), 'w'), 'inherit'],
  });
  while (!existsSync(join(hostDir, 'cli-bench.pid'))) await sleep(20);
  await sleep(500);
  const rssStarted = rss(host.pid);
  const cold = performance.now();
  await viaHost(['version']);
  const firstMs = performance.now() - cold;
  const rssFirst = rss(host.pid);

  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, k) =>
      viaHost(['run', '-d', '--network', 'none', '--name', `sleep${i + k}`, img, 'sleep', '3600']),
    );
    await Promise.all(batch);
  }

  const commands = [
    ['version', ['version']],
    ['ps', ['ps']],
    ['run', ['run', '--rm', '--network', 'none', img, 'true']],
  ];
  const rows = [];
  const spawnCost = await median(() => spawned('/bin/true', []));
  for (const [name, args] of commands) {
    const h = await median(() => viaHost(args));
    const b = await median(() => spawned(bin, args));
    const d = await median(() => spawned(docker, ['-H', dsock, ...args]));
    rows.push({ name, h, b, d });
  }
  const t0 = performance.now();
  const codes = await Promise.all(
    Array.from({ length: 50 }, () => viaHost(['run', '--rm', '--network', 'none', img, 'true'])),
  );
  const fifty = performance.now() - t0;
  if (codes.some((c) => c !== 0)) throw new Error(`50 at once: exit codes ${codes}`);
  await sleep(500);
  const rssAfter = rss(host.pid);

  const ms = (v) => v.toFixed(1);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\n### The CLI host (bench/cli-host.mjs, ${new Date().toISOString()}, load ${load}, ${count} running)\n`);
  console.log('| command | host (ms) | bin (ms) | docker (ms) | host / docker | bin / docker | host / bin |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${ms(r.h)} | ${ms(r.b)} | ${ms(r.d)} | ${(r.h / r.d).toFixed(2)}x | ${(r.b / r.d).toFixed(2)}x | ${(r.h / r.b).toFixed(2)}x |`,
    );
  }
  console.log(`\nSpawning /bin/true from this process: ${ms(spawnCost)} ms (inside the bin and docker rows).`);
  console.log(`The host's first request (\`version\`, a new connection to the daemon): ${ms(firstMs)} ms.`);
  console.log(`50 \`run --rm\` at once through the host: ${ms(fifty)} ms.`);
  console.log(
    `Host RSS: ${ms(rssStarted)} MiB started, ${ms(rssFirst)} MiB after one request, ${ms(rssAfter)} MiB after ${3 * (runs + 3) + count + 51} requests (the last 50 at once).`,
  );
} finally {
  await cleanup();
}
