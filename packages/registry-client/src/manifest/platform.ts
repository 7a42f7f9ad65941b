import { notFound } from '@tscr/api';
import type { Descriptor, ImageIndex, Platform } from './types.js';

/** Node's `process.arch` → OCI architecture names. */
const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** The OCI (Go) architecture name of a Node `process.arch` value (`x64` → `amd64`); default: this process's. */
export function ociArchitecture(arch: string = process.arch): string {
  return ARCH[arch] ?? arch;
}

/** The platform of this host as OCI names it: `linux` and `process.arch` mapped (`x64` → `amd64`). */
export function hostPlatform(): Platform {
  const architecture = ociArchitecture();
  const p: Platform = { os: process.platform === 'win32' ? 'windows' : process.platform, architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  return p;
}

/** Variants that mean the same: arm64 with no variant is v8, arm with none is v7. */
function variantOf(p: Platform): string {
  if (p.variant) return p.variant;
  if (p.architecture === 'arm64') return 'v8';
  if (p.architecture === 'arm') return 'v7';
  return '';
}

/** `linux/arm64/v8`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Parses `linux/amd64` or `linux/arm/v7`. Undefined for an empty string. */
export function parsePlatform(text: string): Platform | undefined {
  if (!text) return undefined;
  const [os = '', architecture = '', variant] = text.split('/');
  const p: Platform = { os, architecture };
  if (variant) p.variant = variant;
  return p;
}

/** True when an index entry's platform satisfies `want` (os and architecture equal; variant when wanted). */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  return !want.variant || variantOf(have) === variantOf(want);
}

/**
 * The manifest of `index` for `want` (default: this host). The first match wins, as in Docker.
 * @throws NotFound (`details.platform`, `details.ref`) when no entry matches.
 */
export function selectPlatform(index: ImageIndex, ref: string, want: Platform = hostPlatform()): Descriptor {
  const match = index.manifests.find((m) => platformMatches(m.platform, want));
  if (match) return match;
  const offered = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : '?')).join(', ');
  throw notFound(`no manifest for platform ${formatPlatform(want)} in ${ref} (has: ${offered || 'none'})`, {
    details: { ref, platform: formatPlatform(want) },
  });
}
