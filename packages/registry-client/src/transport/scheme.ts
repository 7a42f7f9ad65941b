/** Docker Hub's name in references and the host that actually serves its API. */
export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

/** Splits `host:port` / `[v6]:port` into its host part (brackets removed). */
export function hostOf(registry: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(registry);
  if (v6) return v6[1] as string;
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** True for `localhost`, `127.0.0.0/8` and `::1`: traffic that never leaves the machine. */
export function isLoopback(registry: string): boolean {
  const host = hostOf(registry).toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The base URL (no trailing slash) of a registry's API: plain HTTP only for
 * loopback and for registries listed in `insecure`; HTTPS otherwise.
 * `docker.io` is served by `registry-1.docker.io`.
 */
export function registryBaseUrl(registry: string, insecure: readonly string[] = []): string {
  const host = registry === DOCKER_HUB_DOMAIN ? DOCKER_HUB_ENDPOINT : registry;
  const plain = isLoopback(registry) || insecure.includes(registry);
  return `${plain ? 'http' : 'https'}://${host}`;
}

/**
 * Checks a pull mirror's base URL (`http://127.0.0.1:5100`, `https://mirror.example`):
 * plain HTTP only for loopback hosts and registries listed in `insecure`.
 * @returns the URL without a trailing slash. @throws Error naming the problem.
 */
export function mirrorBaseUrl(url: string, insecure: readonly string[] = []): string {
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(url);
  if (!m) throw new Error(`mirror ${JSON.stringify(url)}: want http(s)://host[:port]`);
  const [, scheme, host] = m as unknown as [string, string, string];
  if (scheme === 'http' && !isLoopback(host) && !insecure.includes(host))
    throw new Error(`mirror ${url}: plain HTTP needs ${host} among the insecure registries`);
  return `${scheme}://${host}`;
}
