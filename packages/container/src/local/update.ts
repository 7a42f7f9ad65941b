import type { HostConfig, Resources, SecurityConfig } from '@tscr/api';
import { pickResources, pickSecurity } from '@tscr/runtime';
import {
  capabilitySet,
  checkSysctls,
  hostHardLimits,
  parseSecurityOpts,
  processRlimits,
  validateResources,
} from '@tscr/runtime/local';
import { availableParallelism } from 'node:os';

let hardLimits: ReadonlyMap<string, number> | undefined;

/**
 * Checks a new container's limits and security options before anything is
 * made (the runtime checks them again against its host when the task is created).
 * @throws InvalidArgument.
 */
export function validateHostOptions(h: HostConfig): void {
  validateResources(pickResources(h), availableParallelism());
  hardLimits ??= hostHardLimits();
  processRlimits(h.ulimits, hardLimits);
  capabilitySet(h, Number.MAX_SAFE_INTEGER);
  parseSecurityOpts(h.securityOpt);
  checkSysctls(h.sysctls, h.networkMode === 'host');
}

/** The limits a task gets from a HostConfig; undefined when none is set. */
export function taskResources(h: HostConfig): Resources | undefined {
  const r = pickResources(h);
  return Object.keys(r).length > 0 ? r : undefined;
}

/** The security options a task gets from a HostConfig; undefined when none is set. */
export function taskSecurity(h: HostConfig): SecurityConfig | undefined {
  const s = pickSecurity(h);
  return Object.keys(s).length > 0 ? s : undefined;
}

/**
 * The HostConfig after `tscr update`: set fields replace the old ones; with
 * a new memory limit but no swap, swap follows Docker (twice the memory).
 * @throws InvalidArgument for bad limits.
 */
export function mergeResources(h: HostConfig, update: Resources): HostConfig {
  const changes = pickResources(update);
  const merged: HostConfig = { ...h, ...changes };
  if (changes.memory !== undefined && changes.memorySwap === undefined && h.memorySwap !== undefined) {
    if (h.memorySwap !== -1 && h.memorySwap < changes.memory) delete merged.memorySwap;
  }
  validateResources(pickResources(merged), availableParallelism());
  return merged;
}
