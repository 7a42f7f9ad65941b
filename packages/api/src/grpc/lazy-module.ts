/**
 * A module namespace evaluated on first use. The CommonJS build of
 * `@tscr/api/grpc` exports the generated messages of most services this way
 * (see tsup.config.ts): each lives in its own file, required the first time
 * one of its exports is read, so a process that only registers services, or
 * serves none of their calls yet, holds none of their code (an idle tscrd
 * thus keeps ~1.2 MiB less heap). The ESM build and the sources export the
 * namespaces directly.
 */
export function lazyModule<T extends object>(load: () => T): T {
  let loaded: T | undefined;
  const module = (): T => {
    loaded ??= load();
    return loaded;
  };
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(module(), key),
    has: (_target, key) => Reflect.has(module(), key),
    ownKeys: () => Reflect.ownKeys(module()),
    getOwnPropertyDescriptor(_target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(module(), key);
      // The proxy's target is empty, so a property it reports must be configurable.
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
