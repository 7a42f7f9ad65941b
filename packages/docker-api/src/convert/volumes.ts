/** tscr's volumes → dockerd's volume JSON. */
import type { Volume } from '@tscr/volume';

/** A volume as `GET /volumes/{name}` shows it. */
export function volumeJson(v: Volume) {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: v.labels ?? {},
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options ?? {}).length ? v.options : null,
    Scope: v.scope || 'local',
    ...(v.status && Object.keys(v.status).length ? { Status: v.status } : {}),
  };
}
