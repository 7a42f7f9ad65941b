/**
 * What a gRPC call looks like to an authorization plugin: the Docker API
 * request that does the same thing (method, URI, JSON body), and the small
 * helpers the mapping tables are written with. A leaf module.
 */
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
} from '@grpc/grpc-js';

/** The Docker API request a gRPC call is presented as. */
export interface DockerEquivalent {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** The path without the version prefix, segments escaped: `/containers/abc/start`. */
  path: string;
  /** Query parameters; undefined, empty and false values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** The JSON body Docker's endpoint takes, when it takes one. */
  body?: unknown;
}

/** The request type of a grpc-js handler type. */
type ReqOf<H> =
  H extends handleUnaryCall<infer Q, infer _R>
    ? Q
    : H extends handleServerStreamingCall<infer Q, infer _R>
      ? Q
      : H extends handleClientStreamingCall<infer Q, infer _R>
        ? Q
        : H extends handleBidiStreamingCall<infer Q, infer _R>
          ? Q
          : never;

/**
 * One mapping per method of a service (the compiler holds the table to every method). For a
 * method whose requests stream, the mapper gets the first message (empty when none came).
 */
export type ServiceMap<S> = { [K in keyof S]: (req: ReqOf<S[K]>) => DockerEquivalent };

/** One path segment, escaped. */
export const seg = (value: string | undefined): string => encodeURIComponent(value ?? '');

/** `GET path`. */
export const get = (path: string, query?: DockerEquivalent['query']): DockerEquivalent =>
  query ? { method: 'GET', path, query } : { method: 'GET', path };

/** `POST path` with an optional query and JSON body. */
export const post = (path: string, query?: DockerEquivalent['query'], body?: unknown): DockerEquivalent => ({
  method: 'POST',
  path,
  ...(query && { query }),
  ...(body !== undefined && { body }),
});

/** `DELETE path`. */
export const del = (path: string, query?: DockerEquivalent['query']): DockerEquivalent =>
  query ? { method: 'DELETE', path, query } : { method: 'DELETE', path };

/** `{memoryReservation: 1}` → `{MemoryReservation: 1}`: Docker's field names for tscr's camelCase ones. */
export function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[k.charAt(0).toUpperCase() + k.slice(1)] = pascal(v);
  }
  return out;
}

/** A request of a tscr-only method as JSON (bytes shown by their length only). */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
  return out;
}

/** `name:tag` → `{repo, tag}` (a digest or no tag leaves `tag` empty). */
export function splitTag(ref: string): { repo: string; tag: string } {
  if (ref.includes('@')) return { repo: ref, tag: '' };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: '' };
}

/** The request URI: `/v1.51/containers/create?name=web`. */
export function requestUri(version: string, eq: DockerEquivalent): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(eq.query ?? {})) {
    if (v === undefined || v === '' || v === false) continue;
    params.set(k, v === true ? '1' : String(v));
  }
  const q = params.toString();
  return `/v${version}${eq.path}${q ? `?${q}` : ''}`;
}
