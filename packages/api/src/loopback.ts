/** True for `localhost`, `127.0.0.0/8` and `::1` (a host name or address without port or brackets). */
export function isLoopbackHost(name: string): boolean {
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
