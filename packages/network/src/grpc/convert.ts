import { internal } from '@tscr/api';
import type { networkV1 } from '@tscr/api/grpc';
import type { Network, NetworkAttachment } from '../types.js';

/** Domain network → wire. */
export function networkToProto(n: Network): networkV1.Network {
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    created: n.created,
    labels: { ...n.labels },
    builtin: n.builtin,
  };
}

/** Wire network → domain. @throws Internal when the message is missing. */
export function networkFromProto(n: networkV1.Network | undefined): Network {
  if (!n) throw internal('network service returned no network');
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    created: n.created,
    labels: { ...n.labels },
    builtin: n.builtin,
  };
}

/** Domain attachment → wire. */
export function attachmentToProto(a: NetworkAttachment): networkV1.AttachResponse {
  return { namespaceMode: a.mode, namespacePath: a.path ?? '' };
}

const MODES: ReadonlyArray<NetworkAttachment['mode']> = ['none', 'host', 'path'];

/** Wire attachment → domain. @throws Internal for a mode this client does not know. */
export function attachmentFromProto(res: networkV1.AttachResponse): NetworkAttachment {
  const mode = MODES.find((m) => m === res.namespaceMode);
  if (!mode) throw internal(`network service returned unknown namespace mode ${JSON.stringify(res.namespaceMode)}`);
  const out: NetworkAttachment = { mode };
  if (res.namespacePath) out.path = res.namespacePath;
  return out;
}
