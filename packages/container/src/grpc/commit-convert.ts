/** `CommitContainer` messages to and from their domain types. */
import type { containersV1 } from '@tscr/api/grpc';
import { configFromProto, configToProto } from '@tscr/image/grpc';
import type { CommitOptions } from '../types.js';

export function commitToProto(id: string, o: CommitOptions): containersV1.CommitContainerRequest {
  return {
    id,
    reference: o.reference ?? '',
    comment: o.comment ?? '',
    author: o.author ?? '',
    pause: o.pause !== false,
    changes: o.changes ? configToProto(o.changes) : undefined,
  };
}

export function commitFromProto(p: containersV1.CommitContainerRequest): CommitOptions {
  const out: CommitOptions = { pause: p.pause };
  if (p.reference) out.reference = p.reference;
  if (p.comment) out.comment = p.comment;
  if (p.author) out.author = p.author;
  if (p.changes) out.changes = configFromProto(p.changes);
  return out;
}
