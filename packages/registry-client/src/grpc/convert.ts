import { internal } from '@tscr/api';
import type { registryV1 } from '@tscr/api/grpc';
import type { Progress, Reference } from '../types.js';

/** Domain reference → wire (absent tag or digest become ''). */
export function referenceToProto(r: Reference): registryV1.Reference {
  return {
    domain: r.domain,
    path: r.path,
    tag: r.tag ?? '',
    digest: r.digest ?? '',
    normalized: r.normalized,
    familiar: r.familiar,
  };
}

/** Wire reference → domain. @throws Internal when the message is missing. */
export function referenceFromProto(r: registryV1.Reference | undefined): Reference {
  if (!r) throw internal('registry service returned no reference');
  const out: Reference = { domain: r.domain, path: r.path, normalized: r.normalized, familiar: r.familiar };
  if (r.tag) out.tag = r.tag;
  if (r.digest) out.digest = r.digest;
  return out;
}

/** Domain progress → wire. */
export function progressToProto(p: Progress): registryV1.Progress {
  return { id: p.id, status: p.status, current: p.current ?? 0, total: p.total ?? 0 };
}

/**
 * Wire progress → domain. Proto3 cannot tell 0 from unset, so the byte
 * counts are set only when a total is known or bytes have moved.
 */
export function progressFromProto(p: registryV1.Progress | undefined): Progress {
  if (!p) throw internal('registry service sent an empty progress message');
  const out: Progress = { id: p.id, status: p.status };
  if (p.total > 0 || p.current > 0) {
    out.current = p.current;
    out.total = p.total;
  }
  return out;
}
