/**
 * @tscr/api/cri: the Kubernetes CRI's generated messages and service definitions
 * (runtime.v1, `criV1`), an entry of their own so that a process that does not
 * serve or call the CRI never loads them (they are about a third of all
 * generated code: ~1 MiB of heap in a daemon that has only listened).
 */
export * as criV1 from '../../gen/k8s/runtime/v1/api.js';
