import type { Resources, SecurityConfig } from '@tscr/api';

/** The keys of {@link Resources}, to split them out of a flattened HostConfig. */
export const RESOURCE_KEYS = [
  'memory',
  'memorySwap',
  'memoryReservation',
  'nanoCpus',
  'cpuShares',
  'cpuPeriod',
  'cpuQuota',
  'cpusetCpus',
  'cpusetMems',
  'pidsLimit',
  'blkioWeight',
  'oomKillDisable',
  'ulimits',
  'devices',
] as const satisfies readonly (keyof Resources)[];

/** The keys of {@link SecurityConfig}. */
export const SECURITY_KEYS = [
  'capAdd',
  'capDrop',
  'privileged',
  'securityOpt',
  'init',
  'groupAdd',
  'shmSize',
  'sysctls',
  'cgroupnsMode',
  'maskedPaths',
  'readonlyPaths',
] as const satisfies readonly (keyof SecurityConfig)[];

/** The resource fields of `o` (a HostConfig or Resources), nothing else. */
export function pickResources(o: Resources | undefined): Resources {
  const out: Record<string, unknown> = {};
  for (const k of RESOURCE_KEYS) if (o?.[k] !== undefined) out[k] = o[k];
  return out as Resources;
}

/** The security fields of `o` (a HostConfig), nothing else. */
export function pickSecurity(o: SecurityConfig | undefined): SecurityConfig {
  const out: Record<string, unknown> = {};
  for (const k of SECURITY_KEYS) if (o?.[k] !== undefined) out[k] = o[k];
  return out as SecurityConfig;
}
