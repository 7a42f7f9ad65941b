/**
 * How CRI objects are kept: a pod sandbox is an infra container, a CRI
 * container a container of the container service; both carry labels naming
 * their kind and a JSON copy of what the CRI was given (metadata, labels,
 * annotations), so they survive daemon restarts in the one container store.
 */
import { invalidArgument, type HostConfig } from '@tscr/api';
import { OWNER_LABEL } from '@tscr/container';

/** `sandbox` or `container`: the container is owned by the CRI. */
export const KIND_LABEL = 'io.tscr.cri.kind';
/** The JSON of {@link PodMeta} or {@link ContainerMeta}. */
export const META_LABEL = 'io.tscr.cri.meta';
/** A CRI container's pod sandbox ID. */
export const SANDBOX_LABEL = 'io.tscr.cri.sandbox';
/** Kubernetes' own names, shown in `tscr ps` (as dockershim and containerd label them). */
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

/** How a pod shares namespaces: `pod` (its own, held by the infra), `node` (the host's). */
export type PodNamespaceMode = 'pod' | 'node';

/** What a pod sandbox was created with (kept in {@link META_LABEL}). */
export interface PodMeta {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostname: string;
  logDirectory: string;
  runtimeHandler: string;
  network: PodNamespaceMode;
  pid: PodNamespaceMode;
  ipc: PodNamespaceMode;
  /** DNS settings its containers get too. */
  dns: { servers: string[]; searches: string[]; options: string[] };
  /** Unix nanoseconds. */
  createdAt: number;
}

/** What a CRI container was created with. */
export interface ContainerMeta {
  name: string;
  attempt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  sandboxId: string;
  /** The image as the caller named it. */
  image: string;
  /** Full path of its CRI log ('' without a log directory). */
  logPath: string;
  /** The mounts as asked for, reported back in its status. */
  mounts: { containerPath: string; hostPath: string; readonly: boolean; propagation: number }[];
  createdAt: number;
}

/** Unix nanoseconds now (as a double: microsecond precision survives). */
export function nowNanos(): number {
  return Date.now() * 1e6;
}

/** An RFC 3339 time (or '') as Unix nanoseconds; 0 when empty or the zero time. */
export function rfc3339ToNanos(time: string): number {
  if (!time || time.startsWith('0001-')) return 0;
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return 0;
  const frac = /\.(\d+)/.exec(time)?.[1] ?? '';
  const subMs = Number(`0.${frac.slice(3) || '0'}`) * 1e6;
  return ms * 1e6 + Math.round(subMs);
}

/** Reads the metadata JSON of a CRI-owned container's labels. @throws InvalidArgument when missing. */
export function readMeta<T>(labels: Record<string, string> | undefined): T {
  const raw = labels?.[META_LABEL];
  if (!raw) throw invalidArgument('not a CRI object (no metadata label)');
  return JSON.parse(raw) as T;
}

/** `k8s_<a>_<b>_…`: a container-service name from CRI names (anything outside the name alphabet becomes `-`). */
export function containerName(parts: (string | number)[]): string {
  return `k8s_${parts.map((p) => String(p).replace(/[^a-zA-Z0-9_.-]/g, '-')).join('_')}`;
}

/** Whether every key of `selector` is in `labels` with the same value. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * The labels of a CRI-owned container: the CRI's own labels, the owner and kind, the metadata JSON and
 * Kubernetes' pod names (the container's name too for a container).
 */
export function criLabels(
  kind: 'sandbox' | 'container',
  meta: PodMeta | ContainerMeta,
  pod: Pick<PodMeta, 'name' | 'namespace' | 'uid'>,
): Record<string, string> {
  return {
    ...meta.labels,
    [KIND_LABEL]: kind,
    [OWNER_LABEL]: 'cri',
    [META_LABEL]: JSON.stringify(meta),
    [POD_NAME_LABEL]: pod.name,
    [POD_NAMESPACE_LABEL]: pod.namespace,
    [POD_UID_LABEL]: pod.uid,
    ...(kind === 'container' && {
      [SANDBOX_LABEL]: (meta as ContainerMeta).sandboxId,
      [CONTAINER_NAME_LABEL]: meta.name,
    }),
  };
}

/** CRI PodSandboxMetadata of a pod. */
export function podMetadata(m: PodMeta): { name: string; uid: string; namespace: string; attempt: number } {
  return { name: m.name, uid: m.uid, namespace: m.namespace, attempt: m.attempt };
}

/** The pod's DNS settings as a HostConfig's. */
export function dnsHostConfig(meta: PodMeta): Pick<HostConfig, 'dns' | 'dnsSearch' | 'dnsOptions'> {
  return {
    ...(meta.dns.servers.length > 0 && { dns: meta.dns.servers }),
    ...(meta.dns.searches.length > 0 && { dnsSearch: meta.dns.searches }),
    ...(meta.dns.options.length > 0 && { dnsOptions: meta.dns.options }),
  };
}
