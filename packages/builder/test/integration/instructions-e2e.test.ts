/**
 * The Dockerfile instructions one by one, end to end through `tscr build`
 * and a real daemon: ADD of a local tar, COPY wildcards and --chown by
 * name, USER/WORKDIR for RUN, SHELL, HEALTHCHECK, VOLUME, STOPSIGNAL,
 * ENTRYPOINT, ONBUILD triggers and `FROM scratch`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar, uniqueName } from '@tscr/testkit';
import { E2eDaemon, e2eSkipReason, type Result } from '../../../cli/test/fixtures/e2e.js';

describe.skipIf(e2eSkipReason())('Dockerfile instructions end to end', () => {
  let d: E2eDaemon;
  const repo = uniqueName('instr');
  const base = `${repo}:base`;

  const ok = (args: string[], input?: string): string => {
    const r: Result = d.tscr(args, {}, input);
    if (r.code !== 0) throw new Error(`tscr ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const run = (image: string, ...cmd: string[]) => ok(['run', '--rm', '--network', 'none', image, ...cmd]);
  const inspect = (ref: string) =>
    (JSON.parse(ok(['image', 'inspect', ref])) as { Config: Record<string, unknown> }[])[0]!;
  /** Writes a context with `files` and builds it as `tag`. */
  const build = (tag: string, files: Record<string, string>): string => {
    const dir = join(d.dir, uniqueName('ctx'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text.replaceAll('@BASE', base));
    }
    return ok(['build', '-t', tag, dir]);
  };

  beforeAll(async () => {
    d = await E2eDaemon.create('instr');
    await d.start();
    const tar = await busyboxRootfsTar(d.dir, join(d.dir, 'busybox.tar'));
    ok(['import', tar, base]);
  });
  afterAll(async () => {
    if (d) await d.cleanup();
  });

  it('ADD unpacks a local tar; COPY takes wildcards, --chown by name and directory contents', () => {
    const dir = join(d.dir, 'tarsrc');
    mkdirSync(join(dir, 'pkg'), { recursive: true });
    writeFileSync(join(dir, 'pkg', 'in-tar.txt'), 'from the tar\n');
    const tgz = join(d.dir, 'pkg.tar.gz');
    expect(spawnSync('tar', ['-czf', tgz, '-C', dir, 'pkg']).status).toBe(0);
    const ctx = join(d.dir, uniqueName('ctx'));
    mkdirSync(join(ctx, 'conf', 'deep'), { recursive: true });
    spawnSync('cp', [tgz, join(ctx, 'pkg.tar.gz')]);
    writeFileSync(join(ctx, 'one.cfg'), '1\n');
    writeFileSync(join(ctx, 'two.cfg'), '2\n');
    writeFileSync(join(ctx, 'skip.txt'), 'x\n');
    writeFileSync(join(ctx, 'conf', 'deep', 'c.txt'), 'c\n');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${base}\nADD pkg.tar.gz /opt/\nCOPY --chown=tscr:tscr *.cfg /etc/app/\nCOPY conf /etc/conf\nCOPY one.cfg /etc\n`,
    );
    ok(['build', '-t', `${repo}:files`, ctx]);
    expect(run(`${repo}:files`, 'cat', '/opt/pkg/in-tar.txt')).toBe('from the tar\n');
    expect(run(`${repo}:files`, 'sh', '-c', 'ls /etc/app; stat -c "%u:%g" /etc/app/one.cfg')).toBe(
      'one.cfg\ntwo.cfg\n1000:1000\n',
    );
    expect(run(`${repo}:files`, 'cat', '/etc/conf/deep/c.txt')).toBe('c\n');
    // A file copied to an existing directory goes into it.
    expect(run(`${repo}:files`, 'sh', '-c', 'cat /etc/one.cfg; test -f /etc/passwd && echo kept')).toBe('1\nkept\n');
  });

  it('RUN honours USER, WORKDIR and SHELL; metadata instructions land in the config', () => {
    build(`${repo}:meta`, {
      Dockerfile: [
        'FROM @BASE',
        'WORKDIR /work/dir',
        'USER tscr',
        'RUN id -u > /tmp/uid && pwd > /tmp/pwd',
        'USER root',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN echo "shell $0" > /tmp/shell',
        'VOLUME /data /logs',
        'STOPSIGNAL SIGINT',
        'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat /tmp/uid /tmp/pwd /tmp/shell"]',
      ].join('\n'),
    });
    expect(run(`${repo}:meta`)).toBe('1000\n/work/dir\nshell /bin/sh\n');
    const cfg = inspect(`${repo}:meta`).Config;
    expect(cfg.WorkingDir).toBe('/work/dir');
    expect(cfg.Volumes).toEqual({ '/data': {}, '/logs': {} });
    expect(cfg.StopSignal).toBe('SIGINT');
    expect(cfg.Entrypoint).toEqual(['/bin/sh', '-c']);
    expect(cfg.User).toBe('root');
    expect(cfg.Shell).toEqual(['/bin/sh', '-ec']);
    expect(cfg.OnBuild).toBeNull();
  });

  it('RUN here-documents run as scripts; an unused build arg draws a warning', () => {
    const dir = join(d.dir, uniqueName('ctx'));
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM ${base}\nRUN <<EOF\necho one > /doc\necho two >> /doc\nEOF\nRUN cat > /cat <<'END'\nliteral $HOME\nEND\n`,
    );
    const r = d.tscr(['build', '--build-arg', 'NOBODY_USES=1', '-t', `${repo}:heredoc`, dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('[Warning] One or more build-args [NOBODY_USES] were not consumed');
    expect(run(`${repo}:heredoc`, 'cat', '/doc', '/cat')).toBe('one\ntwo\nliteral $HOME\n');
  });

  it('ONBUILD triggers run in the child build; FROM scratch builds from nothing', () => {
    build(`${repo}:parent`, { Dockerfile: 'FROM @BASE\nONBUILD RUN echo triggered > /onbuild\n' });
    expect(inspect(`${repo}:parent`).Config.OnBuild).toEqual(['RUN echo triggered > /onbuild']);
    build(`${repo}:child`, { Dockerfile: `FROM ${repo}:parent\nCMD ["cat", "/onbuild"]\n` });
    expect(run(`${repo}:child`)).toBe('triggered\n');
    expect(inspect(`${repo}:child`).Config.OnBuild).toBeNull(); // triggers fire once
    build(`${repo}:scratch`, {
      Dockerfile:
        'FROM @BASE AS tools\nFROM scratch\nCOPY --from=tools /bin/busybox /bin/busybox\nCOPY hello /hello\nCMD ["/bin/busybox", "cat", "/hello"]\n',
      hello: 'from scratch\n',
    });
    expect(run(`${repo}:scratch`)).toBe('from scratch\n');
  });
});
