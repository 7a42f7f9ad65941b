/** What every `tscr compose` subcommand gets: the loaded project, the clients, progress, log printing. */
import { isNotFound } from '@tscr/api';
import {
  ComposeProject,
  emptyModel,
  loadProject,
  type ComposeClients,
  type ComposeModel,
  type ServiceLogEntry,
} from '@tscr/compose';
import { parseReference } from '@tscr/registry-client';
import type { FlagSpec, FlagValues } from '../../args.js';
import { bool, list, str } from '../../args.js';
import { write, type Context } from '../../command.js';
import { credentialStore } from '../registry.js';
import { grpcClients } from '../../client.js';
import { isTerminal } from '../tty.js';
import { progressPrinter } from './progress.js';

/** One `tscr compose` subcommand. */
export interface Sub {
  name: string;
  usage: string;
  summary: string;
  flags: FlagSpec[];
  minArgs?: number;
  maxArgs?: number;
  stopAtPositional?: boolean;
  run(c: ComposeContext, flags: FlagValues, args: string[]): Promise<number>;
}

export { composeFlags } from './flags.js';

async function readStdin(ctx: Context): Promise<string> {
  if (!ctx.io.stdin) return '';
  const parts: Buffer[] = [];
  for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

/** The CLI's clients as the compose library wants them (with the builder and stored registry credentials). */
export function composeClients(ctx: Context): ComposeClients {
  const c = ctx.clients;
  let builder: Promise<import('@tscr/builder').BuilderService & { close(): void }> | undefined;
  return {
    containers: () => c.containers(),
    images: () => c.images(),
    networks: () => c.networks(),
    volumes: () => c.volumes(),
    registry: () => c.registry(),
    system: () => c.system(),
    builder: () => {
      builder ??= grpcClients().then(({ GrpcBuilderService }) => new GrpcBuilderService(ctx.host));
      return builder;
    },
    registryAuth: (image) => credentialStore(ctx).get(parseReference(image).domain),
  };
}

/** A subcommand's view of the compose invocation. */
export class ComposeContext {
  private loaded?: Promise<ComposeModel>;
  readonly clients: ComposeClients;

  constructor(
    readonly ctx: Context,
    readonly globals: FlagValues,
  ) {
    this.clients = composeClients(ctx);
  }

  /** Loads the compose files once (`-f`, `-p`, `--project-directory`, `--env-file`, `--profile`). */
  model(): Promise<ComposeModel> {
    const g = this.globals;
    this.loaded ??= loadProject({
      files: list(g, 'file'),
      ...(str(g, 'project-directory') && { workingDir: str(g, 'project-directory') }),
      env: this.ctx.io.env,
      envFiles: list(g, 'env-file'),
      profiles: list(g, 'profile'),
      ...(str(g, 'project-name') && { projectName: str(g, 'project-name') }),
      stdin: () => readStdin(this.ctx),
    });
    return this.loaded;
  }

  /**
   * The project; with `-p` and no compose file, an empty one of that name
   * (enough for `ps`, `down`, `logs` … of a project made elsewhere).
   */
  async project(): Promise<ComposeProject> {
    let m: ComposeModel;
    try {
      m = await this.model();
    } catch (err) {
      const name = str(this.globals, 'project-name') ?? this.ctx.io.env.COMPOSE_PROJECT_NAME;
      if (!isNotFound(err) || !name || list(this.globals, 'file').length) throw err;
      m = emptyModel(name, process.cwd(), this.ctx.io.env);
    }
    for (const w of m.warnings) await write(this.ctx.io.stderr, `WARN[0000] ${w}\n`);
    return new ComposeProject(m, this.clients);
  }

  /** A progress printer on stderr: redrawn on a terminal, plain lines otherwise (`--progress`). */
  progress(title = 'Running') {
    const mode = str(this.globals, 'progress') ?? 'auto';
    const stderr = this.ctx.io.stderr;
    if (mode === 'quiet') return { sink: () => {}, finish: () => {} };
    return progressPrinter(stderr, mode === 'tty' || (mode === 'auto' && isTerminal(stderr)), title);
  }

  /** Runs `fn` with a progress printer, drawing its last frame even when it fails. */
  async withProgress<T>(
    title: string,
    fn: (sink: ReturnType<ComposeContext['progress']>['sink']) => Promise<T>,
  ): Promise<T> {
    const p = this.progress(title);
    try {
      return await fn(p.sink);
    } finally {
      p.finish();
    }
  }
}

const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** Prints log entries as Compose does: `web-1  | line`, coloured per container on a terminal. */
export function logPrinter(c: ComposeContext, flags: FlagValues, project: string) {
  const color = !bool(flags, 'no-color') && isTerminal(c.ctx.io.stdout) && str(c.globals, 'ansi') !== 'never';
  const prefix = !bool(flags, 'no-log-prefix');
  const stamps = bool(flags, 'timestamps');
  const assigned = new Map<string, number>();
  let width = 0;
  return async (e: ServiceLogEntry) => {
    const short = e.container.startsWith(`${project}-`) ? e.container.slice(project.length + 1) : e.container;
    if (!assigned.has(short)) assigned.set(short, assigned.size);
    width = Math.max(width, short.length);
    const text = Buffer.from(e.entry.data).toString('utf8');
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    let out = '';
    for (const line of lines) {
      let head = '';
      if (prefix) {
        const label = `${short.padEnd(width)}  | `;
        head = color ? `\x1b[${COLORS[assigned.get(short)! % COLORS.length]}m${label}\x1b[0m` : label;
      }
      out += `${head}${stamps ? `${e.entry.time} ` : ''}${line}\n`;
    }
    await write(e.entry.stream === 'stderr' && !prefix ? c.ctx.io.stderr : c.ctx.io.stdout, out);
  };
}
