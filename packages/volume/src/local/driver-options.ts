import { posix } from 'node:path';
import { invalidArgument } from '@tscr/api';
import { bindOptions, tmpfsOptions } from './options.js';

/** The `-o` keys the local driver knows, as Docker's local driver does. */
const KNOWN_KEYS: ReadonlySet<string> = new Set(['type', 'device', 'o']);

/** How a volume created with driver options is mounted into a container. */
export interface DriverMount {
  /** OCI mount type and source. */
  type: 'tmpfs' | 'bind';
  source: string;
  /** Options from `o=`, checked. */
  options: string[];
}

function bad(name: string, why: string): never {
  throw invalidArgument(`invalid option for volume ${name}: ${why}`, { details: { volume: name } });
}

/**
 * Checks the local driver's options: none (a plain directory),
 * `type=tmpfs,device=tmpfs[,o=size=…,mode=…]`, or
 * `type=none,o=bind,device=/abs/path`. Returns how such a volume is
 * mounted, or undefined for a plain directory.
 * @throws InvalidArgument for unknown keys, types or malformed values.
 */
export function checkDriverOptions(name: string, opts: Record<string, string>): DriverMount | undefined {
  for (const key of Object.keys(opts)) {
    if (!KNOWN_KEYS.has(key)) bad(name, `unknown option ${JSON.stringify(key)} (known: type, device, o)`);
  }
  if (Object.keys(opts).length === 0) return undefined;
  const { type, device, o } = opts;
  const flags = (o ?? '').split(',').filter((f) => f !== '');
  switch (type) {
    case 'tmpfs':
      if (device !== undefined && device !== 'tmpfs') bad(name, 'a tmpfs volume takes device=tmpfs');
      return {
        type: 'tmpfs',
        source: 'tmpfs',
        options: tmpfsOptions(`volume ${name}`, false, flags).filter((f) => f !== 'noexec'),
      };
    case 'none': {
      if (!device || !posix.isAbsolute(device)) bad(name, 'type=none needs device=/absolute/host/path');
      const rest = flags.filter((f) => f !== 'bind' && f !== 'rbind');
      if (rest.length === flags.length) bad(name, 'type=none needs o=bind');
      bindOptions(`volume ${name}`, false, rest);
      return { type: 'bind', source: posix.normalize(device), options: rest };
    }
    case undefined:
      return bad(name, 'device and o need type=tmpfs or type=none');
    default:
      return bad(name, `unsupported type ${JSON.stringify(type)} (supported: tmpfs, none)`);
  }
}
