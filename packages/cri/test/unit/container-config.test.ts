import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode } from '@tscr/api';
import { criV1 } from '@tscr/api/cri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest, criLogPath } from '../../src/container-config.js';
import type { PodMeta } from '../../src/meta.js';

const pod: PodMeta = {
  name: 'web',
  uid: 'u1',
  namespace: 'ns',
  attempt: 0,
  labels: {},
  annotations: {},
  hostname: 'web-host',
  logDirectory: '/var/log/pods/ns_web_u1',
  runtimeHandler: '',
  network: 'pod',
  pid: 'pod',
  ipc: 'pod',
  dns: { servers: ['10.0.0.10'], searches: [], options: [] },
  createdAt: 1,
};
const POD_ID = 'a'.repeat(64);

function config(extra: Partial<criV1.ContainerConfig> = {}): criV1.ContainerConfig {
  return criV1.ContainerConfig.fromJSON({
    metadata: { name: 'app', attempt: 2 },
    image: { image: 'busybox:1' },
    ...extra,
  });
}

describe('CRI ContainerConfig → create request', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tscr-test-cri-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps log paths inside the pod log directory', () => {
    expect(criLogPath(pod, 'app/0.log')).toBe('/var/log/pods/ns_web_u1/app/0.log');
    expect(criLogPath(pod, '')).toBe('');
    for (const bad of ['../x.log', 'a/../../x.log', '/etc/passwd', '.']) {
      expect(() => criLogPath(pod, bad), bad).toThrow();
      try {
        criLogPath(pod, bad);
      } catch (err) {
        expect(errorCode(err)).toBe('InvalidArgument');
      }
    }
  });

  it('maps command, env, user, resources and the pod namespaces', async () => {
    const req = await createRequest(
      POD_ID,
      pod,
      config({
        command: ['sh'],
        args: ['-c', 'true'],
        envs: [{ key: 'A', value: '1' }],
        linux: {
          resources: criV1.LinuxContainerResources.fromJSON({ cpuQuota: 50000, memoryLimitInBytes: 64 << 20 }),
          securityContext: criV1.LinuxContainerSecurityContext.fromJSON({
            runAsUser: { value: 1000 },
            runAsGroup: { value: 2000 },
            supplementalGroups: [3000],
            readonlyRootfs: true,
            noNewPrivs: true,
            capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['CHOWN'], addAmbientCapabilities: [] },
            namespaceOptions: { network: 0, pid: 0, ipc: 0, targetId: '' },
            seccomp: { profileType: 0, localhostRef: '' },
          }),
        },
      }),
      'busybox:1',
    );
    expect(req.name).toBe('k8s_app_web_ns_u1_2');
    expect(req.config).toMatchObject({
      entrypoint: ['sh'],
      cmd: ['-c', 'true'],
      env: ['A=1'],
      user: '1000:2000',
      hostname: 'web-host',
    });
    expect(req.config.labels).toMatchObject({ 'io.tscr.owner': 'cri', 'io.tscr.cri.sandbox': POD_ID });
    expect(req.hostConfig).toMatchObject({
      networkMode: `container:${POD_ID}`,
      ipcMode: `container:${POD_ID}`,
      utsMode: `container:${POD_ID}`,
      pidMode: `container:${POD_ID}`,
      cpuQuota: 50000,
      memory: 64 << 20,
      readonlyRootfs: true,
      capAdd: ['NET_ADMIN'],
      capDrop: ['CHOWN'],
      groupAdd: ['3000'],
      securityOpt: ['no-new-privileges'],
      dns: ['10.0.0.10'],
    });
  });

  it('maps seccomp profiles: none is unconfined, Localhost reads the file, an unknown one is refused', async () => {
    const none = await createRequest(POD_ID, pod, config(), 'busybox:1');
    expect(none.hostConfig?.securityOpt).toEqual(['seccomp=unconfined']);
    const profile = join(dir, 'profile.json');
    await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }));
    const sec = (seccomp: criV1.SecurityProfile) =>
      config({ linux: { securityContext: criV1.LinuxContainerSecurityContext.fromJSON({ seccomp }) } });
    const local = await createRequest(POD_ID, pod, sec({ profileType: 2, localhostRef: profile }), 'busybox:1');
    expect(local.hostConfig?.securityOpt?.[0]).toBe(`seccomp=${JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' })}`);
    const missing = createRequest(POD_ID, pod, sec({ profileType: 2, localhostRef: join(dir, 'nope.json') }), 'x');
    await expect(missing).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(
      createRequest(POD_ID, pod, sec({ profileType: 9 as criV1.SecurityProfile_ProfileType, localhostRef: '' }), 'x'),
    ).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });

  it('uses the host namespaces of a host-network, host-PID pod', async () => {
    const req = await createRequest(POD_ID, { ...pod, network: 'node', pid: 'node', ipc: 'node' }, config(), 'b');
    expect(req.hostConfig).toMatchObject({ networkMode: 'host', utsMode: 'host', ipcMode: 'host', pidMode: 'host' });
    expect(req.config.hostname).toBeUndefined();
  });
});
