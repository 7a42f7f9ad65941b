import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resources } from '@tscr/api';
import { failedPrecondition } from '@tscr/api';
import { CommandFailed, run } from './exec.js';
import type { OciCli } from './oci-cli.js';
import { runtimeFailure } from './runtime-errors.js';
import { type CgroupVersion, updateResources, validateResources } from './resources.js';

async function runtimeCall(cli: OciCli, args: string[], what: string): Promise<void> {
  try {
    await run(cli.binary, [...cli.globalArgs(), ...args]);
  } catch (err) {
    if (err instanceof CommandFailed) {
      throw runtimeFailure(what, err);
    }
    throw err;
  }
}

/** Freezes the task (`runc pause`). */
export function pauseTask(cli: OciCli, id: string): Promise<void> {
  return runtimeCall(cli, ['pause', id], `cannot pause ${id}`);
}

/** Thaws the task (`runc resume`). */
export function resumeTask(cli: OciCli, id: string): Promise<void> {
  return runtimeCall(cli, ['resume', id], `cannot resume ${id}`);
}

/**
 * Changes the live task's limits with `runc update --resources FILE`; the
 * document is written into the bundle (`update.json`) first.
 * @throws InvalidArgument for bad limits.
 */
export async function updateTask(
  cli: OciCli,
  id: string,
  bundle: string,
  resources: Resources,
  version: CgroupVersion,
  onlineCpus: number,
): Promise<void> {
  validateResources(resources, onlineCpus);
  if (resources.ulimits?.length || resources.devices?.length || resources.oomKillDisable !== undefined) {
    throw failedPrecondition('ulimits, devices and the OOM-killer switch cannot be changed on a running container');
  }
  const file = join(bundle, 'update.json');
  await writeFile(file, JSON.stringify(updateResources(resources, version)));
  await runtimeCall(cli, ['update', '--resources', file, id], `cannot update ${id}`);
}
