import { internal } from '@tscr/api';
import type { registryV1 } from '@tscr/api/grpc';
import { formatPlatform, parsePlatform } from '../manifest/platform.js';
import type { Platform } from '../manifest/types.js';
import type { Progress, Reference } from '../types.js';
import type { LoginResult, RegistryAuth } from './options.js';

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

/** Domain auth → wire (undefined stays absent: anonymous). */
export function authToProto(a: RegistryAuth | undefined): registryV1.AuthConfig | undefined {
  if (!a) return undefined;
  return { username: a.username ?? '', password: a.password ?? '', identityToken: a.identityToken ?? '' };
}

/** Wire auth → domain; undefined when absent or empty. */
export function authFromProto(a: registryV1.AuthConfig | undefined): RegistryAuth | undefined {
  if (!a || (!a.username && !a.password && !a.identityToken)) return undefined;
  const out: RegistryAuth = {};
  if (a.username) out.username = a.username;
  if (a.password) out.password = a.password;
  if (a.identityToken) out.identityToken = a.identityToken;
  return out;
}

/** Domain platform → wire (`os/arch[/variant]`, '' for none). */
export function platformToProto(p: Platform | undefined): string {
  return p ? formatPlatform(p) : '';
}

/** Wire platform → domain; undefined for ''. */
export function platformFromProto(text: string): Platform | undefined {
  return parsePlatform(text);
}

/** Wire login answer → domain. */
export function loginResultFromProto(r: registryV1.LoginResponse): LoginResult {
  return r.identityToken ? { status: r.status, identityToken: r.identityToken } : { status: r.status };
}
