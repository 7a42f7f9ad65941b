import { internal, invalidArgument, notFound } from '@tscr/api';
import { parseReference, repositoryName } from '@tscr/registry-client';

/**
 * Checks and normalizes a reference to tag with.
 * @throws InvalidArgument for a malformed reference or one with a digest.
 */
export function normalizeTag(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) {
    throw invalidArgument(`refusing to create a tag with a digest reference: ${ref}`, { details: { ref } });
  }
  return parsed.normalized;
}

/** NotFound for an image named `ref`. */
export function noSuchImage(ref: string) {
  return notFound(`no such image: ${ref}`, { details: { ref } });
}

/** The repository (`docker.io/library/busybox`) of a normalized reference. */
export function repositoryOf(normalized: string): string {
  return repositoryName(parseReference(normalized));
}

/** Parses a JSON blob. @throws Internal when it is corrupt. */
export function parseJson<T>(data: Buffer, digest: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw internal(`corrupt blob ${digest}`, { cause: err });
  }
}
