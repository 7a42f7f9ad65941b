/** The converge engine's pure parts: names, labels, config hash, create requests, order, service selection. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configHash,
  containerLabels,
  createRequest,
  LABEL,
  listProjects,
  loadProject,
  type ComposeModel,
} from '@tscr/compose';
import { dependencyOrder, selectServices } from '../../src/engine/select.js';

const dir = mkdtempSync(join(tmpdir(), 'tscr-test-compose-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function model(text: string, profiles: string[] = []): Promise<ComposeModel> {
  writeFileSync(join(dir, 'compose.yaml'), text);
  return loadProject({ cwd: dir, env: {}, projectName: 'proj', profiles });
}

const APP = `services:
  web:
    image: busybox
    ports: ["127.0.0.1:8080:80", "9000/udp"]
    volumes: ["data:/data", "/anon", "./site:/site:ro"]
    networks:
      front:
        aliases: [www]
      back: {}
    environment: [A=1, UNSET]
    healthcheck:
      test: wget -q localhost
      interval: 2s
    deploy:
      resources:
        limits: { cpus: "0.5", memory: 64m, pids: 100 }
    extra_hosts: ["db.local=10.0.0.9"]
    restart: on-failure:3
  db:
    image: busybox
    network_mode: none
  worker:
    image: busybox
    depends_on:
      web: { condition: service_healthy }
      db: { condition: service_started, restart: true }
  debug:
    image: busybox
    profiles: [debug]
    depends_on: [db]
networks:
  front: {}
  back: {}
volumes:
  data: {}
`;

describe('compose engine', () => {
  it('labels a container as Compose v2 does', async () => {
    const m = await model(APP);
    const l = containerLabels(m, m.services.worker!, { number: 2, imageId: 'sha256:abc' });
    expect(l).toMatchObject({
      [LABEL.project]: 'proj',
      [LABEL.service]: 'worker',
      [LABEL.number]: '2',
      [LABEL.oneoff]: 'False',
      [LABEL.workingDir]: dir,
      [LABEL.configFiles]: join(dir, 'compose.yaml'),
      [LABEL.dependsOn]: 'db:service_started:true,web:service_healthy:false',
      [LABEL.image]: 'sha256:abc',
    });
    expect(l[LABEL.configHash]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the config hash changes with what makes the container, not with scale or dependencies', async () => {
    const m = await model(APP);
    const web = m.services.web!;
    expect(configHash({ ...web, scale: 3, depends_on: { db: { condition: 'service_started', required: true } } })).toBe(
      configHash(web),
    );
    expect(configHash({ ...web, environment: { A: '2' } })).not.toBe(configHash(web));
  });

  it('turns a service into a create request: network, aliases, ports, mounts, limits', async () => {
    const m = await model(APP);
    const req = createRequest(m, m.services.web!, {
      name: 'proj-web-1',
      image: 'busybox',
      labels: {},
      anonymous: { '/anon': 'f'.repeat(64) },
    });
    expect(req.name).toBe('proj-web-1');
    expect(req.config.env).toEqual(['A=1']);
    expect(req.config.healthcheck).toEqual({ test: ['CMD-SHELL', 'wget -q localhost'], intervalMs: 2000 });
    const h = req.hostConfig!;
    expect(h.networkMode).toBe('proj_back');
    expect(req.networkingConfig).toEqual({ proj_front: { aliases: ['web', 'www'] }, proj_back: { aliases: ['web'] } });
    expect(h.portBindings).toEqual({
      '80/tcp': [{ hostIp: '127.0.0.1', hostPort: '8080' }],
      '9000/udp': [{ hostIp: '', hostPort: '' }],
    });
    expect(h.mounts).toEqual([
      { type: 'volume', source: 'proj_data', target: '/data' },
      { type: 'volume', source: 'f'.repeat(64), target: '/anon' },
      { type: 'bind', source: join(dir, 'site'), target: '/site', readOnly: true, options: ['create-host-path'] },
    ]);
    expect(h).toMatchObject({
      nanoCpus: 5e8,
      memory: 64 * 1024 * 1024,
      pidsLimit: 100,
      extraHosts: ['db.local:10.0.0.9'],
    });
    expect(h.restartPolicy).toEqual({ name: 'on-failure', maximumRetryCount: 3 });
    expect(
      createRequest(m, m.services.db!, { name: 'proj-db-1', image: 'busybox', labels: {} }).hostConfig!.networkMode,
    ).toBe('none');
  });

  it('refuses what it cannot do, naming it', async () => {
    const m = await model('services:\n  web:\n    image: busybox\n    domainname: example.org\n');
    expect(() => createRequest(m, m.services.web!, { name: 'x', image: 'busybox', labels: {} })).toThrow(
      /services\.web\.domainname/,
    );
  });

  it('orders by dependency and selects a disabled service when named, with its dependencies', async () => {
    const m = await model(APP);
    expect(dependencyOrder(selectServices(m)).map((s) => s.name)).toEqual(['db', 'web', 'worker']);
    expect(selectServices(m, ['debug']).map((s) => s.name)).toEqual(['debug', 'db']);
    expect(selectServices(m, ['worker'], false).map((s) => s.name)).toEqual(['worker']);
    expect(() => selectServices(m, ['nope'])).toThrow(/no such service: nope/);
  });

  it('lists projects from container labels', async () => {
    const c = (project: string, state: string, oneoff = 'False') => ({
      id: `${project}${state}`,
      names: [`/${project}`],
      image: 'busybox',
      imageId: '',
      command: '',
      created: '',
      state: state as 'running',
      status: '',
      labels: { [LABEL.project]: project, [LABEL.oneoff]: oneoff, [LABEL.configFiles]: `/p/${project}/compose.yaml` },
    });
    const fake = {
      list: async () => [c('a', 'running'), c('a', 'exited'), c('b', 'exited'), c('a', 'running', 'True')],
    };
    expect(await listProjects(fake)).toEqual([
      { name: 'a', status: 'exited(1), running(1)', configFiles: '/p/a/compose.yaml' },
    ]);
    expect((await listProjects(fake, { all: true })).map((p) => p.name)).toEqual(['a', 'b']);
  });
});
