import { internal, invalidArgument, type MountSpec } from '@tscr/api';
import type { volumeV1 } from '@tscr/api/grpc';
import type { ResolvedMount, Volume, VolumeFilters } from '../types.js';

/** Domain volume → wire. */
export function volumeToProto(v: Volume): volumeV1.Volume {
  return {
    name: v.name,
    driver: v.driver,
    mountpoint: v.mountpoint,
    createdAt: v.createdAt,
    labels: { ...v.labels },
    options: { ...v.options },
    usedBy: [...v.usedBy],
    scope: v.scope ?? '',
    status: { ...v.status },
  };
}

/** Wire volume → domain. @throws Internal when the message is missing. */
export function volumeFromProto(v: volumeV1.Volume | undefined): Volume {
  if (!v) throw internal('volume service returned no volume');
  return {
    name: v.name,
    driver: v.driver,
    mountpoint: v.mountpoint,
    createdAt: v.createdAt,
    labels: { ...v.labels },
    options: { ...v.options },
    usedBy: [...v.usedBy],
    ...(v.scope ? { scope: v.scope } : {}),
    ...(Object.keys(v.status ?? {}).length ? { status: { ...v.status } } : {}),
  };
}

/** Domain list filters → wire. */
export function filtersToProto(f: VolumeFilters = {}): volumeV1.ListVolumesRequest {
  return {
    dangling: f.dangling === undefined ? '' : String(f.dangling),
    label: [...(f.label ?? [])],
    name: [...(f.name ?? [])],
    driver: [...(f.driver ?? [])],
  };
}

/** Wire list filters → domain. @throws InvalidArgument for a dangling value other than true/false. */
export function filtersFromProto(req: volumeV1.ListVolumesRequest): VolumeFilters {
  const out: VolumeFilters = {};
  if (req.dangling !== '') {
    if (req.dangling !== 'true' && req.dangling !== 'false') {
      throw invalidArgument(`invalid dangling filter ${JSON.stringify(req.dangling)}: want true or false`);
    }
    out.dangling = req.dangling === 'true';
  }
  if (req.label.length > 0) out.label = [...req.label];
  if (req.name.length > 0) out.name = [...req.name];
  if (req.driver.length > 0) out.driver = [...req.driver];
  return out;
}

/** Domain mount request → wire. */
export function mountSpecToProto(m: MountSpec): volumeV1.MountRequest {
  return { type: m.type, source: m.source, target: m.target, readOnly: m.readOnly ?? false, options: m.options ?? [] };
}

const MOUNT_TYPES: ReadonlyArray<MountSpec['type']> = ['bind', 'volume', 'tmpfs'];

/** Wire mount request → domain. @throws InvalidArgument for an unknown mount type. */
export function mountSpecFromProto(m: volumeV1.MountRequest): MountSpec {
  const type = MOUNT_TYPES.find((t) => t === m.type);
  if (!type) throw invalidArgument(`invalid mount type ${JSON.stringify(m.type)} for ${m.target}`);
  const out: MountSpec = { type, source: m.source, target: m.target };
  if (m.readOnly) out.readOnly = true;
  if (m.options.length > 0) out.options = [...m.options];
  return out;
}

/** Domain resolved mount → wire. */
export function resolvedToProto(m: ResolvedMount): volumeV1.ResolvedMount {
  return {
    destination: m.destination,
    type: m.type,
    source: m.source,
    options: [...m.options],
    name: m.name ?? '',
    rw: m.rw,
    mountType: m.mountType,
  };
}

/** Wire resolved mount → domain. */
export function resolvedFromProto(m: volumeV1.ResolvedMount): ResolvedMount {
  const out: ResolvedMount = {
    destination: m.destination,
    type: m.type,
    source: m.source,
    options: [...m.options],
    mountType: m.mountType,
    rw: m.rw,
  };
  if (m.name) out.name = m.name;
  return out;
}
