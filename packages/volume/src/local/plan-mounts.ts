import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { fromSystemError, invalidArgument, isNotFound, notFound, type MountSpec } from '@tscr/api';
import { imagePathKind } from './copy-up.js';
import { bindOptions, tmpfsOptions } from './options.js';
import { VOLUME_NAME, cleanTarget } from './parse-bind.js';

/** The option `parseBind` adds to `-v` binds: a missing host directory is created, as Docker's `-v` does. */
export const CREATE_HOST_PATH = 'create-host-path';

/** What a volume mount asks for beyond its name. */
export interface VolumeRequest {
  /** Empty for an anonymous volume. */
  name: string;
  driver: string;
  /** `volume-opt=` pairs: driver options for a volume created here. */
  driverOptions: Record<string, string>;
  /** `volume-label=` pairs. */
  labels: Record<string, string>;
  noCopy: boolean;
  readOnly: boolean;
  /** Propagation mode, if one was asked for. */
  propagation: string[];
}

/** One checked mount request, with nothing created yet. */
export type PlannedMount =
  | { kind: 'bind'; destination: string; source: string; options: string[]; mkdir: boolean }
  | { kind: 'tmpfs'; destination: string; options: string[] }
  | { kind: 'volume'; destination: string; volume: VolumeRequest };

function pair(option: string, what: string, destination: string): [string, string] {
  const body = option.slice(what.length + 1);
  const eq = body.indexOf('=');
  if (eq <= 0) throw invalidArgument(`invalid ${what} ${JSON.stringify(body)} for ${destination}: want key=value`);
  return [body.slice(0, eq), body.slice(eq + 1)];
}

/** Splits a volume mount's options into what they ask for. @throws InvalidArgument. */
export function volumeRequest(m: MountSpec, destination: string): VolumeRequest {
  const req: VolumeRequest = {
    name: m.source,
    driver: 'local',
    driverOptions: {},
    labels: {},
    noCopy: false,
    readOnly: m.readOnly === true,
    propagation: [],
  };
  for (const o of m.options ?? []) {
    if (o === 'volume-nocopy' || o === 'nocopy') req.noCopy = true;
    else if (o.startsWith('volume-opt=')) {
      const [k, v] = pair(o, 'volume-opt', destination);
      req.driverOptions[k] = v;
    } else if (o.startsWith('volume-label=')) {
      const [k, v] = pair(o, 'volume-label', destination);
      req.labels[k] = v;
    } else if (o.startsWith('volume-driver=')) req.driver = o.slice('volume-driver='.length) || 'local';
    else if (o === 'ro') req.readOnly = true;
    else if (o === 'rw') continue;
    else req.propagation.push(o);
  }
  // Checks the propagation modes now, so a bad one fails before anything is made.
  bindOptions(destination, false, req.propagation);
  if (req.name !== '' && !VOLUME_NAME.test(req.name)) {
    throw invalidArgument(
      `invalid volume name ${JSON.stringify(req.name)} for ${destination}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      { details: { volume: req.name, target: destination } },
    );
  }
  return req;
}

async function bindSource(
  containerId: string,
  m: MountSpec,
  destination: string,
  imageLayers: readonly string[],
): Promise<{ source: string; mkdir: boolean }> {
  const details = { source: m.source, container: containerId };
  if (!posix.isAbsolute(m.source)) {
    throw invalidArgument(`invalid bind mount source ${JSON.stringify(m.source)}: it must be an absolute host path`, {
      details,
    });
  }
  const normal = posix.normalize(m.source);
  const source = normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
  let isFile: boolean;
  try {
    isFile = !(await stat(source)).isDirectory();
  } catch (err) {
    if (!isNotFound(fromSystemError(err))) throw fromSystemError(err, `cannot use bind source ${source}`);
    if (m.options?.includes(CREATE_HOST_PATH)) return { source, mkdir: true };
    throw notFound(`invalid mount config for type "bind": bind source path does not exist: ${source}`, {
      cause: err,
      details,
    });
  }
  if (isFile && imageLayers.length > 0 && (await imagePathKind(imageLayers, destination)) === 'dir') {
    throw invalidArgument(`cannot mount file ${source} over directory ${destination} of the image`, {
      details: { ...details, target: destination },
    });
  }
  return { source, mkdir: false };
}

/**
 * Checks every mount request without creating anything: targets absolute,
 * not `/`, unique; options known; bind sources present (or to be created
 * for `-v`), and no file over an image directory.
 * @throws InvalidArgument; NotFound for a missing `--mount` bind source.
 */
export async function planMounts(
  containerId: string,
  mounts: readonly MountSpec[],
  imageLayers: readonly string[],
): Promise<PlannedMount[]> {
  const seen = new Set<string>();
  const out: PlannedMount[] = [];
  for (const m of mounts) {
    const destination = cleanTarget(m.target);
    const details = { target: destination, container: containerId };
    if (seen.has(destination)) throw invalidArgument(`duplicate mount point: ${destination}`, { details });
    seen.add(destination);
    switch (m.type) {
      case 'bind': {
        const { source, mkdir } = await bindSource(containerId, m, destination, imageLayers);
        const extra = (m.options ?? []).filter((o) => o !== CREATE_HOST_PATH);
        out.push({
          kind: 'bind',
          destination,
          source,
          mkdir,
          options: bindOptions(destination, m.readOnly === true, extra),
        });
        break;
      }
      case 'tmpfs':
        if (m.source !== '') {
          throw invalidArgument(`invalid tmpfs mount for ${destination}: a tmpfs has no source (got ${m.source})`, {
            details,
          });
        }
        out.push({
          kind: 'tmpfs',
          destination,
          options: tmpfsOptions(destination, m.readOnly === true, m.options ?? []),
        });
        break;
      case 'volume':
        out.push({ kind: 'volume', destination, volume: volumeRequest(m, destination) });
        break;
      default:
        throw invalidArgument(`invalid mount type ${JSON.stringify(m.type as string)} for ${destination}`, { details });
    }
  }
  return out;
}
