import { invalidArgument, type ContainerConfig, type ImageConfig } from '@tscr/api';

/** PATH a container gets when neither the image nor the user sets one. */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The command a container runs, after applying the image's defaults. */
export interface EffectiveCommand {
  entrypoint?: string[];
  cmd: string[];
  /** `argv[0]`. */
  path: string;
  /** `argv[1..]`. */
  args: string[];
}

/**
 * Docker's entrypoint/cmd rules: a given entrypoint replaces the image's and
 * clears its cmd; a non-empty cmd replaces the image's cmd.
 * @throws InvalidArgument `no command specified` when nothing is left to run.
 */
export function effectiveCommand(config: ContainerConfig, image: ImageConfig): EffectiveCommand {
  let entrypoint: string[] | undefined;
  let cmd: string[];
  if (config.entrypoint !== undefined) {
    entrypoint = config.entrypoint;
    cmd = config.cmd ?? [];
  } else {
    entrypoint = image.entrypoint?.length ? image.entrypoint : undefined;
    cmd = config.cmd?.length ? config.cmd : (image.cmd ?? []);
  }
  const argv = [...(entrypoint ?? []), ...cmd];
  if (argv.length === 0 || argv[0] === '') throw invalidArgument('no command specified');
  return { entrypoint, cmd, path: argv[0]!, args: argv.slice(1) };
}

/** `KEY=value` lists merged left to right; a later key replaces an earlier one in place. */
export function mergeEnv(...lists: (string[] | undefined)[]): string[] {
  const byKey = new Map<string, string>();
  for (const list of lists) {
    for (const entry of list ?? []) {
      const eq = entry.indexOf('=');
      byKey.set(eq < 0 ? entry : entry.slice(0, eq), entry);
    }
  }
  if (!byKey.has('PATH')) byKey.set('PATH', DEFAULT_PATH);
  return [...byKey.values()];
}

/**
 * The config a container record keeps: the user's config with the image's
 * defaults filled in (as Docker's inspect shows it), and the command it runs.
 * @throws InvalidArgument for no command or a relative working directory.
 */
export function mergeConfig(
  config: ContainerConfig,
  image: ImageConfig,
  id: string,
): { config: ContainerConfig; command: EffectiveCommand } {
  const command = effectiveCommand(config, image);
  const merged: ContainerConfig = {
    ...config,
    cmd: command.cmd,
    env: mergeEnv(image.env, config.env),
    workingDir: config.workingDir || image.workingDir || '/',
    user: config.user || image.user || '',
    hostname: config.hostname || id.slice(0, 12),
    labels: { ...(image.labels ?? {}), ...(config.labels ?? {}) },
  };
  if (command.entrypoint) merged.entrypoint = command.entrypoint;
  else delete merged.entrypoint;
  const stopSignal = config.stopSignal || image.stopSignal;
  if (stopSignal) merged.stopSignal = stopSignal;
  if (!merged.workingDir!.startsWith('/')) {
    throw invalidArgument(`the working directory '${merged.workingDir}' is invalid, it needs to be an absolute path`);
  }
  return { config: merged, command };
}
