/**
 * crictl against a private tscrd: pull through the mirror, pods and
 * containers (runp, create, start, exec -s, exec, exec -it, logs,
 * port-forward, stats, stopp, rmp, rmi), what `tscr` shows and refuses, a
 * daemon restart that keeps pods, and bad input that leaves nothing behind.
 * Root only; skipped (with the reason) without the cri-tools.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRICTL, CriDaemon, criSkipReason, prepareImages } from '../fixtures/cri-daemon.js';

const skip = criSkipReason();
if (skip) console.warn(`skipping the crictl tests: ${skip}`);

const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
const port = () => 20000 + Math.floor(Math.random() * 20000);

describe.skipIf(skip)('crictl against tscrd', () => {
  let c: CriDaemon;
  let pod = '';
  let ctr = '';
  const hostPort = port();
  const files: Record<string, string> = {};

  const write = async (name: string, value: unknown) => {
    files[name] = join(c.dir, name);
    await writeFile(files[name], JSON.stringify(value));
    return files[name];
  };

  let releaseRegistry: (() => void) | undefined;
  beforeAll(async () => {
    releaseRegistry = prepareImages();
    c = await CriDaemon.create('crictl');
    await c.start();
    await write('pod.json', {
      metadata: { name: 'tscr-test-web', namespace: 'tscr-test', uid: 'uid-1', attempt: 0 },
      hostname: 'tscr-test-host',
      log_directory: join(c.dir, 'pod-logs'),
      dns_config: { servers: ['10.9.9.9'], searches: ['tscr.test'], options: ['ndots:2'] },
      port_mappings: [{ container_port: 8080, host_port: hostPort, host_ip: '127.0.0.1' }],
      labels: { app: 'web' },
      linux: {},
    });
    await write('ctr.json', {
      metadata: { name: 'web' },
      image: { image: BUSYBOX },
      command: [
        'sh',
        '-c',
        'mkdir -p /www && echo served > /www/index.html && echo started && exec httpd -f -p 8080 -h /www',
      ],
      log_path: 'web/0.log',
      labels: { tier: 'front' },
      linux: {},
    });
  }, 600_000);
  afterAll(async () => {
    await c?.cleanup();
    releaseRegistry?.();
  });

  it('pulls critest images through the registry mirror, and lists them', () => {
    const pulled = c.crictl(['pull', BUSYBOX]);
    expect(pulled.stderr).toBe('');
    expect(pulled.stdout).toMatch(/Image is up to date for registry\.k8s\.io\/e2e-test-images\/busybox@sha256:/);
    expect(c.crictl(['images']).stdout).toContain('registry.k8s.io/e2e-test-images/busybox');
    const status = JSON.parse(c.crictl(['inspecti', BUSYBOX]).stdout);
    expect(status.status.repoTags).toContain(BUSYBOX);
  });

  it('runs a pod and a container: runp, create, start, logs, exec -s, exec, exec -it, events', async () => {
    const endpoint = `unix://${c.criSocket}`;
    const events = spawn(CRICTL, ['--config', '/dev/null', '--runtime-endpoint', endpoint, 'events', '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let streamed = '';
    events.stdout.on('data', (d: Buffer) => {
      streamed += d.toString();
    });
    await new Promise((r) => setTimeout(r, 500));
    const runp = c.crictl(['runp', files['pod.json']!]);
    expect(runp.stderr).toBe('');
    pod = runp.stdout.trim();
    expect(pod).toMatch(/^[0-9a-f]{64}$/);
    const created = c.crictl(['create', pod, files['ctr.json']!, files['pod.json']!]);
    expect(created.stderr).toBe('');
    ctr = created.stdout.trim();
    expect(c.crictl(['start', ctr]).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    events.kill();
    expect(streamed).toMatch(new RegExp(`"containerId": "${ctr}",\\s*"containerEventType": "CONTAINER_CREATED_EVENT"`));
    expect(streamed).toMatch(new RegExp(`"containerId": "${ctr}",\\s*"containerEventType": "CONTAINER_STARTED_EVENT"`));
    expect(streamed).toContain(`"containerId": "${pod}"`);
    const inspect = JSON.parse(c.crictl(['inspectp', pod]).stdout);
    expect(inspect.status.state).toBe('SANDBOX_READY');
    expect(inspect.status.network.ip).toMatch(/^10\.\d+\.\d+\.\d+$/);

    expect(c.crictl(['exec', '-s', ctr, 'hostname']).stdout.trim()).toBe('tscr-test-host');
    const resolv = c.crictl(['exec', '-s', ctr, 'cat', '/etc/resolv.conf']).stdout;
    expect(resolv).toContain('nameserver 10.9.9.9');
    expect(resolv).toContain('search tscr.test');
    expect(resolv).toContain('options ndots:2');

    // Exec through the streaming server (SPDY): output, stderr and the exit code.
    const exec = c.crictl(['exec', ctr, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(exec.stdout).toBe('out\n');
    expect(exec.stderr).toContain('err\n');
    expect(exec.code).not.toBe(0);
    expect(c.crictl(['exec', '-i', ctr, 'cat'], { input: 'from stdin\n' }).stdout).toBe('from stdin\n');
    // The same over a WebSocket (v5.channel.k8s.io).
    const ws = c.crictl(['exec', '--transport', 'websocket', ctr, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(ws.stdout).toBe('out\n');
    expect(ws.stderr).toContain('err\n');
    expect(ws.stderr).toContain('exit code 3');
    const wsIn = c.crictl(['exec', '--transport', 'websocket', '-i', ctr, 'cat'], { input: 'over ws\n' });
    expect(wsIn.stdout).toBe('over ws\n');
    // -it needs a terminal: script(1) gives crictl one.
    const command = `${CRICTL} --config /dev/null --runtime-endpoint unix://${c.criSocket} exec -it ${ctr} tty`;
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    expect(tty.stdout).toContain('/dev/pts/');

    const logs = c.crictl(['logs', ctr]);
    expect(logs.stdout).toBe('started\n');
    // The log is in CRI's format at log_directory/log_path.
    const file = readFileSync(join(c.dir, 'pod-logs', 'web', '0.log'), 'utf8');
    expect(file).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) stdout F started\n/);
  });

  it('forwards a port into the pod and publishes its host port', async () => {
    const local = port();
    const endpoint = `unix://${c.criSocket}`;
    const pf = spawn(
      CRICTL,
      ['--config', '/dev/null', '--runtime-endpoint', endpoint, 'port-forward', pod, `${local}:8080`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('port-forward did not start')), 20_000);
        pf.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('Forwarding from')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const res = await fetch(`http://127.0.0.1:${local}/index.html`);
      expect(await res.text()).toBe('served\n');
    } finally {
      pf.kill();
    }
    const published = await fetch(`http://127.0.0.1:${hostPort}/index.html`);
    expect(await published.text()).toBe('served\n');
  });

  it('reports stats, and shows CRI objects in tscr ps -a, which refuses rm and rename', () => {
    const stats = JSON.parse(c.crictl(['stats', '-o', 'json', ctr]).stdout);
    expect(stats.stats[0].attributes.id).toBe(ctr);
    expect(Number(stats.stats[0].memory.workingSetBytes.value)).toBeGreaterThan(0);
    expect(JSON.parse(c.crictl(['statsp', '-o', 'json', pod]).stdout).stats[0].attributes.id).toBe(pod);

    const ps = c.tscr(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Labels}}']).stdout;
    expect(ps).toContain(ctr);
    expect(ps).toContain(pod);
    expect(ps).toContain('io.kubernetes.pod.name=tscr-test-web');
    expect(ps).toContain('io.kubernetes.container.name=web');
    const rm = c.tscr(['rm', ctr]);
    expect(rm.code).not.toBe(0);
    expect(rm.stderr).toContain('belongs to the CRI');
    expect(c.tscr(['rename', ctr, 'tscr-test-other']).stderr).toContain('belongs to the CRI');
  });

  it('keeps pods and containers across a daemon restart', async () => {
    await c.d.stop('SIGKILL');
    await c.start();
    expect(JSON.parse(c.crictl(['inspectp', pod]).stdout).status.state).toBe('SANDBOX_READY');
    expect(JSON.parse(c.crictl(['inspect', ctr]).stdout).status.state).toBe('CONTAINER_RUNNING');
    expect(c.crictl(['exec', '-s', ctr, 'echo', 'still']).stdout.trim()).toBe('still');
  });

  it('refuses bad input with the codes kubelet expects, making nothing', async () => {
    const before = c.tscr(['ps', '-a', '-q']).stdout;
    const otherPod = await write('pod2.json', {
      metadata: { name: 'tscr-test-web', namespace: 'tscr-test', uid: 'uid-1', attempt: 0 },
      log_directory: join(c.dir, 'pod-logs'),
    });
    expect(c.crictl(['runp', otherPod]).stderr).toContain('code = AlreadyExists');
    const unknownPod = c.crictl(['create', 'f'.repeat(64), files['ctr.json']!, files['pod.json']!]);
    expect(unknownPod.stderr).toContain('code = NotFound');
    const missingImage = await write('missing.json', {
      metadata: { name: 'missing' },
      image: { image: '127.0.0.1:5100/tscr-test/not-there:1' },
    });
    expect(c.crictl(['create', '--no-pull', pod, missingImage, files['pod.json']!]).stderr).toContain(
      'code = NotFound',
    );
    const escaping = await write('escape.json', {
      metadata: { name: 'escape' },
      image: { image: BUSYBOX },
      log_path: '../../escape.log',
    });
    expect(c.crictl(['create', pod, escaping, files['pod.json']!]).stderr).toContain('code = InvalidArgument');
    const seccomp = await write('seccomp.json', {
      metadata: { name: 'seccomp' },
      image: { image: BUSYBOX },
      linux: { security_context: { seccomp: { profile_type: 2, localhost_ref: join(c.dir, 'no-such-profile.json') } } },
    });
    expect(c.crictl(['create', pod, seccomp, files['pod.json']!]).stderr).toContain('code = InvalidArgument');
    expect(c.tscr(['ps', '-a', '-q']).stdout).toBe(before);
  });

  it('stops and removes the pod (stopp, rmp) and the image (rmi)', () => {
    expect(c.crictl(['stopp', pod]).code).toBe(0);
    expect(JSON.parse(c.crictl(['inspectp', pod]).stdout).status.state).toBe('SANDBOX_NOTREADY');
    expect(c.crictl(['rmp', pod]).code).toBe(0);
    expect(c.crictl(['pods', '-q']).stdout).toBe('');
    expect(c.crictl(['ps', '-a', '-q']).stdout).toBe('');
    // Stopping or removing what is gone is not an error (kubelet retries).
    expect(c.crictl(['stopp', pod]).code).toBe(0);
    expect(c.crictl(['rmi', BUSYBOX]).code).toBe(0);
    expect(c.crictl(['images', '-q', BUSYBOX]).stdout).toBe('');
  });
});
