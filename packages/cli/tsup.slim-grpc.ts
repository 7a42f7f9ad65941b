import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/** A package's `src/grpc/index.ts`: each value it exports by name, and the file that defines it. */
function indexExports(index: string): Map<string, { file: string; namespace: boolean; original: string }> {
  const out = new Map<string, { file: string; namespace: boolean; original: string }>();
  const text = readFileSync(index, 'utf8');
  const file = (rel: string) => {
    const abs = resolve(dirname(index), rel);
    const ts = abs.replace(/\.js$/, '.ts');
    return existsSync(ts) ? ts : abs;
  };
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    if (m[1]) continue;
    for (const part of m[2]!.split(',')) {
      const entry = part.trim();
      if (!entry || entry.startsWith('type ')) continue;
      const [original, alias] = entry.split(/\s+as\s+/);
      out.set((alias ?? original)!.trim(), { file: file(m[3]!), namespace: false, original: original!.trim() });
    }
  }
  for (const m of text.matchAll(/export\s+\*\s+as\s+(\w+)\s+from\s*'([^']+)'/g)) {
    out.set(m[1]!, { file: file(m[2]!), namespace: true, original: m[1]! });
  }
  return out;
}

/**
 * The names `importer` takes from `spec` by `import { … }`, `export { … } from` and `(await import(spec)).Name`;
 * undefined if it takes more (a namespace, a default, a whole dynamic import).
 */
function namesImported(importer: string, spec: string): string[] | undefined {
  const text = readFileSync(importer, 'utf8');
  const quoted = `['"]${spec.replace(/[/\\-]/g, '\\$&')}['"]`;
  if (new RegExp(`(import|export)\\s+\\*[^;]*from\\s*${quoted}`).test(text)) return undefined;
  if (new RegExp(`import\\s+\\w+[^;{]*from\\s*${quoted}`).test(text)) return undefined;
  const names: string[] = [];
  // `(await import('…')).Name`: one name; any other dynamic import of it takes the whole entry.
  const dynamic = new RegExp(`import\\(\\s*${quoted}\\s*\\)(\\)\\.(\\w+))?`, 'g');
  for (const m of text.matchAll(dynamic)) {
    if (!m[2]) return undefined;
    names.push(m[2]);
  }
  for (const m of text.matchAll(new RegExp(`(import|export)\\s+(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${quoted}`, 'g'))) {
    if (m[2]) continue;
    for (const part of m[3]!.split(',')) {
      const entry = part.trim();
      if (entry && !entry.startsWith('type ')) names.push(entry.split(/\s+as\s+/)[0]!.trim());
    }
  }
  return names;
}

/**
 * `@tscr/<layer>/grpc` as each bundled file uses it: a module that re-exports only the names that file
 * imports, from the files that define them. The whole entry would evaluate every service's generated
 * messages, servers and converters for any client (esbuild evaluates a module's imports in full); this
 * way `tscr ps` evaluates the containers client and its messages, not the images', networks', builder's…
 * An import the plugin cannot read (a namespace import, a name the entry does not export by name) keeps
 * the whole entry.
 */
export function slimGrpcEntries(packagesDir: string): Plugin {
  const indexes = new Map<string, ReturnType<typeof indexExports>>();
  return {
    name: 'tscr-slim-grpc',
    setup(build) {
      build.onResolve({ filter: /^@tscr\/[a-z-]+\/grpc$/ }, (args) => {
        if (args.namespace !== 'file' || !/\.[cm]?ts$/.test(args.importer)) return undefined;
        const pkg = args.path.slice('@tscr/'.length, -'/grpc'.length);
        const index = resolve(packagesDir, pkg, 'src/grpc/index.ts');
        if (!existsSync(index)) return undefined;
        let exported = indexes.get(index);
        if (!exported) indexes.set(index, (exported = indexExports(index)));
        const names = namesImported(args.importer, args.path);
        if (!names || names.some((n) => !exported.has(n))) return undefined;
        const lines = names.map((n) => {
          const e = exported.get(n)!;
          return e.namespace
            ? `export * as ${n} from ${JSON.stringify(e.file)};`
            : `export { ${e.original === n ? n : `${e.original} as ${n}`} } from ${JSON.stringify(e.file)};`;
        });
        return { path: `${args.path} for ${args.importer}`, namespace: 'slim-grpc', pluginData: lines.join('\n') };
      });
      build.onLoad({ filter: /.*/, namespace: 'slim-grpc' }, (args) => ({
        contents: args.pluginData as string,
        loader: 'ts',
        resolveDir: packagesDir,
      }));
    },
  };
}
