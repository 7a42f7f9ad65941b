// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose text holds ${VAR} interpolations
/** Bad compose files: each a clear error naming the file, the document path and the line. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCode } from '@tscr/api';
import { loadProject } from '@tscr/compose';

const dir = mkdtempSync(join(tmpdir(), 'tscr-test-compose-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(text: string, env: Record<string, string> = {}) {
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  try {
    await loadProject({ cwd: dir, env });
  } catch (err) {
    return { code: errorCode(err), message: (err as Error).message, file };
  }
  throw new Error('loaded');
}

describe('compose loader: bad input', () => {
  it('an unknown key names the file, path and line', async () => {
    const e = await load('services:\n  web:\n    image: busybox\n    imagee: x\n');
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toBe(`${e.file}:4: services.web.imagee: additional property imagee is not allowed`);
  });
  it('a wrong type', async () => {
    const e = await load('services:\n  web:\n    image: busybox\n    privileged: [1]\n');
    expect(e.message).toBe(`${e.file}:4: services.web.privileged: must be a boolean, not a list`);
  });
  it('a service with neither image nor build', async () => {
    const e = await load('services:\n  web:\n    command: ["true"]\n');
    expect(e.message).toBe(
      `${e.file}:3: services.web: service "web" has neither an image nor a build context specified`,
    );
  });
  it('an undefined network, volume and secret', async () => {
    const n = await load('services:\n  web:\n    image: busybox\n    networks: [front]\n');
    expect(n.message).toBe(`${n.file}:4: services.web.networks.front: service "web" refers to undefined network front`);
    const v = await load('services:\n  web:\n    image: busybox\n    volumes:\n      - data:/data\n');
    expect(v.message).toBe(`${v.file}:5: services.web.volumes[0]: service "web" refers to undefined volume data`);
    const s = await load('services:\n  web:\n    image: busybox\n    secrets: [token]\n');
    expect(s.message).toBe(`${s.file}:4: services.web.secrets[0]: service "web" refers to undefined secret token`);
  });
  it('a dependency cycle', async () => {
    const e = await load(
      'services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n',
    );
    expect(e.message).toBe(`${e.file}:4: services.a.depends_on: dependency cycle detected: a -> b -> a`);
  });
  it('an unset ${VAR:?msg}', async () => {
    const e = await load('services:\n  web:\n    image: "busybox:${TAG:?set TAG to the release}"\n');
    expect(e.message).toBe(
      `${e.file}:3: services.web.image: required variable TAG is missing a value: set TAG to the release`,
    );
  });
  it('a port outside 1-65535', async () => {
    const e = await load('services:\n  web:\n    image: busybox\n    ports:\n      - "80:80"\n      - "70000:80"\n');
    expect(e.message).toBe(
      `${e.file}:6: services.web.ports[1]: invalid published port "70000": must be between 1 and 65535`,
    );
  });
  it('an unreadable env_file', async () => {
    const e = await load('services:\n  web:\n    image: busybox\n    env_file: missing.env\n');
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toContain(`${e.file}:4: services.web.env_file: cannot read env file ${join(dir, 'missing.env')}`);
  });
  it('a spec key tscr compose does not honour is refused by name', async () => {
    const e = await load('services:\n  web:\n    image: busybox\n    ipc: host\n');
    expect(e.code).toBe('Unimplemented');
    expect(e.message).toBe(`${e.file}:4: services.web.ipc: not supported by tscr compose`);
  });
  it('invalid YAML names the line', async () => {
    const e = await load('services:\n  web:\n    image: [busybox\n');
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toMatch(new RegExp(`^${e.file}:\\d+: invalid YAML`));
  });
  it('an invalid project name', async () => {
    const e = await load('name: Bad Name\nservices:\n  web:\n    image: busybox\n');
    expect(e.message).toContain('invalid project name "Bad Name"');
  });
});
