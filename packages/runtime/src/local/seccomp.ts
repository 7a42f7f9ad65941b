/** An OCI `linux.seccomp` profile. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls?: { names: string[]; action: string; errnoRet?: number }[];
}

/**
 * System calls the default profile refuses (EPERM) unless the container holds
 * the capability that guards them, like Docker's default profile does for
 * the same calls. Everything else is allowed: a deny list, not Docker's
 * allow list, which keeps it short and independent of the kernel's table.
 */
const GUARDED: Record<string, string[]> = {
  '': [
    'add_key',
    'get_kernel_syms',
    'kexec_file_load',
    'kexec_load',
    'keyctl',
    'lookup_dcookie',
    'nfsservctl',
    'query_module',
    'request_key',
    'sysfs',
    '_sysctl',
    'uselib',
    'userfaultfd',
    'ustat',
    'vm86',
    'vm86old',
  ],
  CAP_SYS_ADMIN: [
    'bpf',
    'clone3',
    'fanotify_init',
    'fsconfig',
    'fsmount',
    'fsopen',
    'fspick',
    'lookup_dcookie',
    'mount',
    'mount_setattr',
    'move_mount',
    'name_to_handle_at',
    'open_tree',
    'perf_event_open',
    'pivot_root',
    'quotactl',
    'setdomainname',
    'sethostname',
    'setns',
    'swapoff',
    'swapon',
    'umount',
    'umount2',
    'unshare',
  ],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_MODULE: ['create_module', 'delete_module', 'finit_module', 'init_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_RAWIO: ['ioperm', 'iopl'],
  CAP_SYS_TIME: ['adjtimex', 'clock_adjtime', 'clock_settime', 'settimeofday', 'stime'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'move_pages', 'set_mempolicy'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYSLOG: ['syslog'],
};

/**
 * The default profile for a process holding `capabilities`: allow by
 * default, EPERM for the calls above whose capability it lacks. `clone3`
 * answers ENOSYS instead (so libcs fall back to `clone`), as Docker does.
 */
export function defaultSeccompProfile(capabilities: readonly string[]): SeccompProfile {
  const held = new Set(capabilities);
  const denied = new Set<string>();
  for (const [cap, names] of Object.entries(GUARDED)) {
    if (cap === '' || !held.has(cap)) for (const n of names) denied.add(n);
  }
  const clone3 = denied.delete('clone3');
  const syscalls: NonNullable<SeccompProfile['syscalls']> = [
    { names: [...denied].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
  ];
  if (clone3) syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures:
      process.arch === 'arm64'
        ? ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']
        : ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls,
  };
}
