import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The CLI is a client: its bundle may hold a layer's "." entry (types, pure helpers) and its
// "./grpc" entry, never code that only the "./local" entry brings (the host implementation).
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const packages = join(root, 'packages');

/** The source files an entry pulls in, other packages left out. */
async function graph(entry: string): Promise<Set<string>> {
  const r = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  return new Set(Object.keys(r.metafile.inputs));
}

/** Files that only the "./local" entries reach (not any package's "." or "./grpc" entry). */
async function localOnlyFiles(): Promise<Set<string>> {
  const local = new Set<string>();
  const shared = new Set<string>();
  for (const name of readdirSync(packages)) {
    const src = join(packages, name, 'src');
    const entry = (rel: string) => (existsSync(join(src, rel)) ? [join(src, rel)] : []);
    for (const e of entry('local/index.ts')) for (const f of await graph(e)) local.add(f);
    // A daemon-side front door (the CRI) uses local code from its "." entry; it is not a client's import.
    if (DAEMON_SIDE.has(name)) continue;
    for (const e of [...entry('index.ts'), ...entry('grpc/index.ts')]) for (const f of await graph(e)) shared.add(f);
  }
  return new Set([...local].filter((f) => !shared.has(f)));
}

/** Packages only the daemon loads: the CLI bundle must hold none of their code. */
const DAEMON_SIDE = new Set(['daemon', 'cri']);

/** The inputs that contribute bytes to the CLI's bin bundle, built as tsup builds it. */
async function cliBundleInputs(): Promise<string[]> {
  const r = await build({
    absWorkingDir: root,
    entryPoints: [join(packages, 'cli', 'src', 'cli-bin.ts')],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  const meta: Metafile = r.metafile;
  const inputs = Object.values(meta.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([path]) => path),
  );
  return [...new Set(inputs)];
}

describe('the CLI bundle', () => {
  it('holds no local-implementation code of any layer, nor the daemon', { timeout: 60_000 }, async () => {
    const [localOnly, inputs] = await Promise.all([localOnlyFiles(), cliBundleInputs()]);
    // The check can fail: the local entries do bring code of their own (the builder's steps, the log reader).
    expect(localOnly.has('packages/builder/src/local/builder.ts')).toBe(true);
    expect(localOnly.has('packages/runtime/src/local/logs.ts')).toBe(true);
    expect(inputs.some((f) => f.startsWith('packages/cli/src/'))).toBe(true);
    expect(inputs.filter((f) => localOnly.has(f))).toEqual([]);
    expect(
      inputs.filter(
        (f) => [...DAEMON_SIDE].some((d) => f.startsWith(`packages/${d}/`)) || f.includes('better-sqlite3'),
      ),
    ).toEqual([]);
    // What it does take from the layers' local/ folders are the pure parsers their "." entries export.
    const pureHelpers = [
      'packages/builder/src/local/dockerignore.ts',
      'packages/network/src/local/ipam.ts',
      'packages/network/src/local/port-spec.ts',
      'packages/volume/src/local/options.ts',
      'packages/volume/src/local/parse-bind.ts',
    ];
    expect(inputs.filter((f) => f.includes('/src/local/') && !pureHelpers.includes(f))).toEqual([]);
  });
});
