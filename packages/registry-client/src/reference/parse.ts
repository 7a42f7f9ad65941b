import { invalidArgument } from '@tscr/api';
import type { Reference } from '../types.js';

/** Docker Hub's canonical name and the prefix of its official images. */
export const DEFAULT_DOMAIN = 'docker.io';
const OFFICIAL_PREFIX = 'library/';
const LEGACY_DOMAINS = new Set(['index.docker.io', 'registry-1.docker.io']);

// Grammar facts from the distribution reference spec.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME = 255;

function bad(ref: string, why: string): never {
  throw invalidArgument(`invalid reference format ${JSON.stringify(ref)}: ${why}`, { details: { ref } });
}

function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

function validDomain(domain: string): boolean {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d+))?$/.exec(domain);
  if (!m) return false;
  const host = m[1] as string;
  if (host.startsWith('[')) return true;
  return host.split('.').every((part) => DOMAIN_COMPONENT.test(part));
}

/**
 * Parses and normalizes an image reference the way Docker does:
 * `alpine` → `docker.io/library/alpine:latest`, `localhost:5000/x` keeps its
 * registry, `name@sha256:…` pins a digest, `name:tag@sha256:…` keeps both.
 * @throws TscrError InvalidArgument for anything malformed.
 */
export function parseReference(ref: string): Reference {
  if (ref.length === 0) bad(ref, 'empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad(ref, 'malformed digest');
    if (digest.startsWith('sha256:') && !SHA256.test(digest)) bad(ref, 'sha256 digest must be 64 hex digits');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(ref, 'malformed tag');
  }
  if (rest.length === 0) bad(ref, 'missing repository name');
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && looksLikeDomain(parts[0] as string)) {
    domain = parts.shift() as string;
    if (!validDomain(domain)) bad(ref, `malformed registry host ${JSON.stringify(domain)}`);
    if (LEGACY_DOMAINS.has(domain)) domain = DEFAULT_DOMAIN;
  }
  for (const p of parts) {
    if (!PATH_COMPONENT.test(p)) {
      bad(
        ref,
        p.toLowerCase() === p ? `malformed path component ${JSON.stringify(p)}` : 'repository name must be lowercase',
      );
    }
  }
  let path = parts.join('/');
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = OFFICIAL_PREFIX + path;
  if (domain.length + 1 + path.length > MAX_NAME) bad(ref, `repository name longer than ${MAX_NAME} characters`);
  if (!tag && !digest) tag = 'latest';
  return build(domain, path, tag, digest);
}

function build(domain: string, path: string, tag: string | undefined, digest: string | undefined): Reference {
  const suffix = (tag ? `:${tag}` : '') + (digest ? `@${digest}` : '');
  const name = `${domain}/${path}`;
  let familiarName = name;
  if (domain === DEFAULT_DOMAIN) {
    familiarName = path.startsWith(OFFICIAL_PREFIX) ? path.slice(OFFICIAL_PREFIX.length) : path;
  }
  const out: Reference = { domain, path, normalized: name + suffix, familiar: familiarName + suffix };
  if (tag) out.tag = tag;
  if (digest) out.digest = digest;
  return out;
}

/** `docker.io/library/alpine` for any reference to it (no tag or digest). */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** Shortens a normalized reference the way Docker prints it. */
export function familiarize(normalized: string): string {
  return parseReference(normalized).familiar;
}
