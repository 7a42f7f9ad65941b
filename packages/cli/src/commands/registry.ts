import { homedir } from 'node:os';
import { join } from 'node:path';
import { cancelled, unimplemented } from '@tscr/api';
import { DockerConfigStore, parsePlatform, parseReference, type Reference } from '@tscr/registry-client';
import type { RegistryAuth } from '@tscr/registry-client/grpc';
import { usageError, bool, str } from '../args.js';
import { write, type CliIo, type Command, type Context } from '../command.js';
import { showProgress } from './progress.js';

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, from the CLI's environment. */
export function dockerConfigPath(env: CliIo['env']): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** The credential store `tscr login` writes and pull/push read (docker's config.json). */
export function credentialStore(ctx: Context): DockerConfigStore {
  return new DockerConfigStore(dockerConfigPath(ctx.io.env));
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/` → `host:5000`. */
export function registryHost(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** The stored credentials for `ref`'s registry, if any. */
async function authFor(ctx: Context, ref: Reference): Promise<RegistryAuth | undefined> {
  return credentialStore(ctx).get(ref.domain);
}

function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Options of {@link pullWithProgress}. */
export interface PullRun {
  /** Where progress goes (stdout for `pull`, stderr for `run`). */
  out: NodeJS.WritableStream;
  quiet: boolean;
  platform?: string;
}

/**
 * Pulls `image` through the daemon with the stored credentials, printing
 * docker-style progress and the `Status:` line. Resolves with the parsed reference.
 */
export async function pullWithProgress(ctx: Context, image: string, o: PullRun): Promise<Reference> {
  const ref = parseReference(image);
  const platform = o.platform ? parsePlatform(o.platform) : undefined;
  const auth = await authFor(ctx, ref);
  const registry = await ctx.clients.registry();
  const images = await ctx.clients.images();
  const imageId = () =>
    images.get(ref.normalized).then(
      (i) => i.id,
      () => undefined,
    );
  const before = o.quiet ? undefined : await imageId();
  await showProgress(o.out, registry.pull(ref.normalized, { ...(auth && { auth }), ...(platform && { platform }) }), {
    tty: isTty(o.out),
    quiet: o.quiet,
  });
  if (!o.quiet) {
    // As docker: "newer" when the reference now names another image than before the pull.
    const newer = before === undefined || before !== (await imageId());
    await write(o.out, `Status: ${newer ? 'Downloaded newer image for' : 'Image is up to date for'} ${ref.familiar}\n`);
  }
  return ref;
}

/** `tscr pull`. */
export const pullCommand: Command = {
  path: ['pull'],
  aliases: [['image', 'pull']],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
    {
      name: 'platform',
      type: 'string',
      description: 'Set platform if server is multi-platform capable (os/arch[/variant])',
    },
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const platform = str(flags, 'platform');
    if (bool(flags, 'all-tags')) {
      await pullAllTags(ctx, args[0]!, bool(flags, 'quiet'), platform);
      return 0;
    }
    const ref = await pullWithProgress(ctx, args[0]!, {
      out: ctx.io.stdout,
      quiet: bool(flags, 'quiet'),
      ...(platform !== undefined && { platform }),
    });
    await write(ctx.io.stdout, `${ref.normalized}\n`);
    return 0;
  },
};

/** `tscr pull --all-tags REPO`: every tag of the repository, one after the other, as docker. */
async function pullAllTags(ctx: Context, name: string, quiet: boolean, platform: string | undefined): Promise<void> {
  const ref = parseReference(name);
  if (ref.digest !== undefined || name.slice(name.lastIndexOf('/') + 1).includes(':')) {
    throw usageError("tag can't be used with --all-tags/-a");
  }
  const registry = await ctx.clients.registry();
  if (!registry.listTags) throw unimplemented('pull --all-tags (the daemon cannot list tags)');
  const auth = await authFor(ctx, ref);
  const repo = `${ref.domain}/${ref.path}`;
  const tags = await registry.listTags(repo, auth ? { auth } : {});
  for (const tag of [...tags].sort()) {
    await pullWithProgress(ctx, `${repo}:${tag}`, {
      out: ctx.io.stdout,
      quiet,
      ...(platform !== undefined && { platform }),
    });
  }
  await write(ctx.io.stdout, `${repo}\n`);
}

/** `tscr push`. */
export const pushCommand: Command = {
  path: ['push'],
  aliases: [['image', 'push']],
  usage: '[OPTIONS] NAME[:TAG]',
  summary: 'Upload an image to a registry',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const ref = parseReference(args[0]!);
    const auth = await authFor(ctx, ref);
    const registry = await ctx.clients.registry();
    const quiet = bool(flags, 'quiet');
    await showProgress(ctx.io.stdout, registry.push(ref.normalized, auth ? { auth } : {}), {
      tty: isTty(ctx.io.stdout),
      quiet,
    });
    if (quiet) await write(ctx.io.stdout, `${ref.normalized}\n`);
    return 0;
  },
};

/** A terminal on standard input. */
export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

/**
 * Reads one line typed on `input` after printing `prompt` to `out`; with
 * `echo` false the terminal is put in raw mode and nothing typed is shown
 * (backspace edits, Ctrl-C and Ctrl-D cancel).
 * @throws Cancelled on Ctrl-C or Ctrl-D, or when the input ends.
 */
export async function promptLine(
  input: TtyInput,
  out: NodeJS.WritableStream,
  prompt: string,
  echo: boolean,
): Promise<string> {
  const raw = !echo && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode?.(true); // before the prompt: nothing typed after it may echo
  try {
    await write(out, prompt);
    // Events, not an async iterator: leaving one early would destroy stdin for the next prompt.
    return await new Promise<string>((resolve, reject) => {
      let line = '';
      const done = (err?: unknown) => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.pause();
        if (err === undefined) resolve(line);
        else reject(err);
      };
      const onData = (chunk: Buffer | string) => {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        for (let i = 0; i < text.length; i++) {
          const ch = text[i] as string;
          if (ch === '\r' || ch === '\n') {
            const rest = text.slice(text[i + 1] === '\n' && ch === '\r' ? i + 2 : i + 1);
            done();
            if (rest) input.unshift(rest); // typed ahead: the next prompt's
            return;
          }
          if (ch === '\x03' || ch === '\x04') return done(cancelled('login cancelled'));
          if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
          else line += ch;
        }
      };
      const onEnd = () => done(cancelled('login cancelled: the terminal closed'));
      input.on('data', onData);
      input.on('end', onEnd);
      input.resume();
    });
  } finally {
    if (raw) {
      input.setRawMode?.(false);
      await write(out, '\n');
    }
  }
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `tscr login`. */
export const loginCommand: Command = {
  path: ['login'],
  usage: '[OPTIONS] [SERVER]',
  summary: 'Log in to a registry',
  flags: [
    { name: 'username', short: 'u', type: 'string', description: 'Username' },
    { name: 'password', short: 'p', type: 'string', description: 'Password' },
    { name: 'password-stdin', type: 'bool', description: 'Take the password from stdin' },
  ],
  maxArgs: 1,
  async run(ctx, flags, args) {
    const registry = registryHost(args[0] ?? 'docker.io');
    const store = credentialStore(ctx);
    let username = str(flags, 'username');
    let password = str(flags, 'password');
    if (bool(flags, 'password-stdin')) {
      if (password !== undefined) throw usageError('--password and --password-stdin are mutually exclusive');
      if (username === undefined) throw usageError('Must provide --username with --password-stdin');
      if (!ctx.io.stdin) throw usageError('no standard input to read the password from');
      password = await readAll(ctx.io.stdin);
    } else if (password !== undefined) {
      await write(ctx.io.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (username === undefined && password === undefined) {
      const stored = await store.get(registry);
      if (stored) ({ username, password } = stored);
    }
    if (username === undefined || password === undefined || username === '' || password === '') {
      // As docker: ask on a terminal for what is missing, else refuse.
      const tty = ctx.io.stdin as TtyInput | undefined;
      if (!tty?.isTTY) throw usageError('Cannot perform an interactive login from a non TTY device');
      if (!username) username = await promptLine(tty, ctx.io.stdout, 'Username: ', true);
      if (!username) throw usageError('Username is required');
      password = await promptLine(tty, ctx.io.stdout, 'Password: ', false);
      if (!password) throw usageError('Password is required');
    }
    const registryClient = await ctx.clients.registry();
    await registryClient.login(registry, { username, password });
    await store.set(registry, { username, password });
    await write(ctx.io.stdout, 'Login Succeeded\n');
    return 0;
  },
};

/** `tscr logout`. */
export const logoutCommand: Command = {
  path: ['logout'],
  usage: '[SERVER]',
  summary: 'Log out from a registry',
  flags: [],
  maxArgs: 1,
  async run(ctx, _flags, args) {
    const server = args[0] ?? 'docker.io';
    const removed = await credentialStore(ctx).erase(registryHost(server));
    await write(ctx.io.stdout, removed ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
    return 0;
  },
};
