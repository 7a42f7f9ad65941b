/**
 * `tscr context create|ls|use|show|inspect|rm|export|import`: named daemons
 * (address and TLS material) kept under `~/.tscr/contexts`; `-c NAME` or
 * `TSCR_CONTEXT` picks one per command, `context use` for every command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { invalidArgument } from '@tscr/api';
import { bool, str } from '../args.js';
import { forEachArg, write, type Command, type Context } from '../command.js';
import {
  checkContextName,
  configDir,
  ContextStore,
  DEFAULT_CONTEXT,
  readPem,
  type SavedContext,
} from '../context-store.js';
import { DEFAULT_HOST } from '../client.js';
import { table } from '../format.js';

function store(ctx: Context): ContextStore {
  return new ContextStore(configDir(ctx.io.env));
}

/** The built-in context as `ls` and `inspect` show it. */
function defaultContext(ctx: Context): SavedContext {
  return {
    name: DEFAULT_CONTEXT,
    description: 'Current TSCR_HOST based configuration',
    host: ctx.io.env.TSCR_HOST || DEFAULT_HOST,
  };
}

function lookup(ctx: Context, name: string): SavedContext {
  return name === DEFAULT_CONTEXT ? defaultContext(ctx) : store(ctx).get(name);
}

/** What `inspect` prints: no key material, only where it is. */
function inspectView(c: SavedContext, dir: string) {
  return {
    Name: c.name,
    Metadata: { Description: c.description },
    Endpoints: { tscr: { Host: c.host, SkipTLSVerify: false } },
    TLSMaterial: c.tls ? { tscr: ['ca.pem', 'cert.pem', 'key.pem'] } : {},
    Storage: { MetadataPath: `${dir}/contexts/${c.name}/meta.json`, TLSPath: `${dir}/contexts/${c.name}/tls` },
  };
}

const tlsFlags = [
  { name: 'tlsverify', type: 'bool' as const, description: 'The daemon wants mutual TLS (with the three files below)' },
  { name: 'tlscacert', type: 'string' as const, description: 'CA the daemon certificate must chain to' },
  { name: 'tlscert', type: 'string' as const, description: 'Client certificate' },
  { name: 'tlskey', type: 'string' as const, description: 'Client key (stored with mode 0600)' },
];

const createCommand: Command = {
  path: ['context', 'create'],
  usage: '[OPTIONS] CONTEXT',
  summary: 'Create a context (a daemon address and its TLS material)',
  flags: [
    {
      name: 'host',
      short: 'H',
      type: 'string',
      description: 'Daemon address: unix:///path or tcp://HOST:PORT (required)',
    },
    { name: 'description', type: 'string', description: 'Description of the context' },
    ...tlsFlags,
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, [name]) {
    const host = str(flags, 'host');
    if (!host) throw invalidArgument('context create needs --host');
    const files = { ca: str(flags, 'tlscacert'), cert: str(flags, 'tlscert'), key: str(flags, 'tlskey') };
    const anyTls = bool(flags, 'tlsverify') || Object.values(files).some(Boolean);
    if (anyTls && !(files.ca && files.cert && files.key))
      throw invalidArgument('a TLS context needs --tlscacert, --tlscert and --tlskey');
    const saved: SavedContext = {
      name: checkContextName(name!),
      description: str(flags, 'description') ?? '',
      host,
      ...(anyTls && {
        tls: {
          ca: readPem(files.ca!, '--tlscacert'),
          cert: readPem(files.cert!, '--tlscert'),
          key: readPem(files.key!, '--tlskey'),
        },
      }),
    };
    store(ctx).save(saved);
    await write(ctx.io.stdout, `${name}\nSuccessfully created context "${name}"\n`);
    return 0;
  },
};

const lsCommand: Command = {
  path: ['context', 'ls'],
  aliases: [['context', 'list']],
  usage: '[OPTIONS]',
  summary: 'List contexts',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Only show context names' }],
  maxArgs: 0,
  async run(ctx, flags) {
    const s = store(ctx);
    const current = ctx.io.env.TSCR_CONTEXT || s.current();
    const all = [defaultContext(ctx), ...s.list()];
    if (bool(flags, 'quiet')) {
      await write(ctx.io.stdout, all.map((c) => `${c.name}\n`).join(''));
      return 0;
    }
    const rows = all.map((c) => [
      c.name === current ? `${c.name} *` : c.name,
      c.description,
      c.host,
      c.tls ? 'yes' : 'no',
    ]);
    await write(ctx.io.stdout, table(['NAME', 'DESCRIPTION', 'TSCR ENDPOINT', 'TLS'], rows));
    return 0;
  },
};

const useCommand: Command = {
  path: ['context', 'use'],
  usage: 'CONTEXT',
  summary: 'Set the current context',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, _flags, [name]) {
    store(ctx).setCurrent(name!);
    await write(ctx.io.stdout, `${name}\nCurrent context is now "${name}"\n`);
    return 0;
  },
};

const showCommand: Command = {
  path: ['context', 'show'],
  usage: '',
  summary: 'Print the name of the current context',
  flags: [],
  maxArgs: 0,
  async run(ctx) {
    await write(ctx.io.stdout, `${ctx.io.env.TSCR_CONTEXT || store(ctx).current()}\n`);
    return 0;
  },
};

const inspectCommand: Command = {
  path: ['context', 'inspect'],
  usage: '[CONTEXT...]',
  summary: 'Show contexts as JSON (the current one without arguments); key material is not printed',
  flags: [],
  async run(ctx, _flags, args) {
    const s = store(ctx);
    const names = args.length > 0 ? args : [ctx.io.env.TSCR_CONTEXT || s.current()];
    const views = names.map((n) => inspectView(lookup(ctx, n), configDir(ctx.io.env)));
    await write(ctx.io.stdout, `${JSON.stringify(views, null, 4)}\n`);
    return 0;
  },
};

const rmCommand: Command = {
  path: ['context', 'rm'],
  aliases: [['context', 'remove']],
  usage: 'CONTEXT [CONTEXT...]',
  summary: 'Remove contexts',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Remove even the current context' }],
  minArgs: 1,
  async run(ctx, flags, args) {
    const s = store(ctx);
    return forEachArg(ctx, args, async (name) => {
      if (s.current() === name && !bool(flags, 'force'))
        throw invalidArgument(`context "${name}" is in use, set -f flag to force remove`);
      s.remove(name);
      return name;
    });
  },
};

const exportCommand: Command = {
  path: ['context', 'export'],
  usage: 'CONTEXT [FILE|-]',
  summary: 'Export a context (with its keys) to a file (mode 0600) or stdout',
  flags: [],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, _flags, [name, file]) {
    const c = store(ctx).get(name!);
    const text = `${JSON.stringify({ tscrContext: 1, ...c })}\n`;
    if (file === '-') await write(ctx.io.stdout, text);
    else {
      const path = file ?? `${name}.tscrcontext`;
      writeFileSync(path, text, { mode: 0o600 });
      await write(ctx.io.stderr, `Written file "${path}"\n`);
    }
    return 0;
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}

const importCommand: Command = {
  path: ['context', 'import'],
  usage: 'CONTEXT FILE|-',
  summary: 'Import a context exported with tscr context export',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, [name, file]) {
    let text: string;
    if (file === '-') {
      if (!ctx.io.stdin) throw invalidArgument('no stdin to read the context from');
      text = await readAll(ctx.io.stdin);
    } else text = readFileSync(file!, 'utf8');
    let parsed: Partial<SavedContext> & { tscrContext?: number };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidArgument(`${file} is not an exported tscr context`);
    }
    if (parsed.tscrContext !== 1 || typeof parsed.host !== 'string')
      throw invalidArgument(`${file} is not an exported tscr context`);
    const tls = parsed.tls;
    if (tls && ![tls.ca, tls.cert, tls.key].every((v) => typeof v === 'string'))
      throw invalidArgument(`${file}: TLS material is incomplete`);
    store(ctx).save({
      name: checkContextName(name!),
      description: typeof parsed.description === 'string' ? parsed.description : '',
      host: parsed.host,
      ...(tls && { tls }),
    });
    await write(ctx.io.stdout, `${name}\nSuccessfully imported context "${name}"\n`);
    return 0;
  },
};

/** Every `tscr context` command. */
export const contextCommands: Command[] = [
  createCommand,
  lsCommand,
  useCommand,
  showCommand,
  inspectCommand,
  rmCommand,
  exportCommand,
  importCommand,
];
