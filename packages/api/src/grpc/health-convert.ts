import type { HealthConfig } from '../types/container.js';
import type * as typesV1 from '../../gen/tscr/types/v1/types.js';

/** Domain to wire: a healthcheck (shared by image and container configs). */
export function healthConfigToProto(h: HealthConfig): typesV1.HealthConfig {
  return {
    test: h.test ?? [],
    intervalMs: h.intervalMs ?? 0,
    timeoutMs: h.timeoutMs ?? 0,
    startPeriodMs: h.startPeriodMs ?? 0,
    retries: h.retries ?? 0,
  };
}

/** Wire to domain: a healthcheck, leaving zero fields out. */
export function healthConfigFromProto(p: typesV1.HealthConfig): HealthConfig {
  const out: HealthConfig = {};
  if (p.test.length > 0) out.test = p.test;
  if (p.intervalMs) out.intervalMs = Number(p.intervalMs);
  if (p.timeoutMs) out.timeoutMs = Number(p.timeoutMs);
  if (p.startPeriodMs) out.startPeriodMs = Number(p.startPeriodMs);
  if (p.retries) out.retries = p.retries;
  return out;
}
