import type { TscrEvent } from '../types/event.js';
import type * as systemV1 from '../../gen/tscr/system/v1/system.js';
import type { SystemInfo, VersionInfo } from '../types/system.js';

/** Domain to wire: the version report. */
export function versionToProto(v: VersionInfo): systemV1.VersionResponse {
  return { ...v };
}

/** Wire to domain: the version report. */
export function versionFromProto(v: systemV1.VersionResponse): VersionInfo {
  return { ...v };
}

/** Domain to wire: `info`. */
export function infoToProto(i: SystemInfo): systemV1.InfoResponse {
  return { ...i, runtimes: [...i.runtimes], layers: i.layers.map((l) => ({ ...l })) };
}

/** Wire to domain: `info`. */
export function infoFromProto(i: systemV1.InfoResponse): SystemInfo {
  return { ...i, runtimes: [...i.runtimes], layers: i.layers.map((l) => ({ layer: l.layer, endpoint: l.endpoint })) };
}

/** Domain to wire: one event. */
export function eventToProto(e: TscrEvent): systemV1.Event {
  return { type: e.type, action: e.action, id: e.id, attributes: { ...e.attributes }, timeNano: e.timeNano };
}

/** Wire to domain: one event. */
export function eventFromProto(e: systemV1.Event): TscrEvent {
  return { type: e.type, action: e.action, id: e.id, attributes: { ...e.attributes }, timeNano: e.timeNano };
}
