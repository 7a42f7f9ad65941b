/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A parsed, normalized image reference. */
export interface Reference {
  /** Registry host, e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path, e.g. `library/alpine`. */
  path: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `sha256:…` when pinned by digest. */
  digest?: string;
  /** `docker.io/library/alpine:latest`. */
  normalized: string;
  /** How Docker prints it: `alpine:latest`. */
  familiar: string;
}

/** One progress report of a pull or push. */
export interface Progress {
  /** Layer digest or the reference. */
  id: string;
  status: string;
  current?: number;
  total?: number;
}

/** Talks to registries. */
export interface RegistryClient {
  /** @throws InvalidArgument for a malformed reference. */
  parseReference(ref: string): Promise<Reference>;
  /** @throws Unimplemented until the distribution client lands. */
  pull(ref: string, opts?: CallOptions): AsyncIterable<Progress>;
  /** @throws Unimplemented until the distribution client lands. */
  push(ref: string, opts?: CallOptions): AsyncIterable<Progress>;
}
