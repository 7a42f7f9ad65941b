/**
 * A front door whose server is loaded on its first connection. The daemon
 * listens on the socket itself from the start (clients find it there as
 * before), accepts connections paused (nothing is read from them yet), and
 * only then loads the server's code and hands it every connection, the
 * waiting ones first. An idle daemon thus holds none of that code: for the
 * CRI, its generated messages and handlers are ~1.2 MiB of heap.
 */
import { createServer, type Socket } from 'node:net';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromSystemError, invalidArgument } from '@tscr/api';

/** What a lazy door loads: it serves each connection it is given, and closes them all. */
export interface DoorServer {
  accept(connection: Socket): void;
  close(): Promise<void>;
}

/** A listening lazy door. */
export interface LazyDoor {
  /** `unix:///path`. */
  address: string;
  /** Whether the server was loaded (a connection came). */
  loaded(): boolean;
  /** Stops listening, ends waiting connections and closes the server if it was loaded. */
  close(): Promise<void>;
}

/** Whether `address` is a UNIX socket address (the only kind a lazy door listens on). */
export function isUnixAddress(address: string): boolean {
  return address.startsWith('unix://') || address.startsWith('/');
}

/**
 * Listens on the UNIX socket `address` (mode 0600; a stale socket is
 * replaced) and calls `load` on the first connection. A failed load is
 * logged and ends the connections that waited for it; the next connection
 * tries again.
 * @throws InvalidArgument when something other than a socket is at the path; the system error's code when
 * the socket cannot be bound.
 */
export async function listenLazily(
  address: string,
  load: () => Promise<DoorServer>,
  log: (message: string) => void,
): Promise<LazyDoor> {
  const path = address.startsWith('unix://') ? address.slice('unix://'.length) : address;
  let server: DoorServer | undefined;
  let loading: Promise<void> | undefined;
  const waiting = new Set<Socket>();
  const unwait = new WeakMap<Socket, () => void>();
  const dropWaiting = () => {
    for (const socket of waiting) socket.destroy();
    waiting.clear();
  };

  const listener = createServer({ pauseOnConnect: true }, (socket) => {
    if (server) {
      server.accept(socket);
      return;
    }
    waiting.add(socket);
    // A client that gives up while the server loads must not take the daemon down with an unhandled 'error'.
    const onError = () => socket.destroy();
    const onClose = () => waiting.delete(socket);
    socket.once('error', onError).once('close', onClose);
    unwait.set(socket, () => socket.off('error', onError).off('close', onClose));
    loading ??= load().then(
      (loaded) => {
        server = loaded;
        for (const s of waiting) {
          unwait.get(s)?.();
          if (!s.destroyed) loaded.accept(s);
        }
        waiting.clear();
      },
      (err: unknown) => {
        log(`${address}: cannot load its server: ${err instanceof Error ? err.message : String(err)}`);
        dropWaiting();
        loading = undefined;
      },
    );
  });

  await mkdir(dirname(path), { recursive: true, mode: 0o711 });
  const stale = await lstat(path).catch(() => undefined);
  if (stale && !stale.isSocket()) throw invalidArgument(`${path} exists and is not a socket`);
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) => reject(fromSystemError(err, `cannot listen on ${address}`)));
    listener.listen(path, () => resolve());
  });
  await chmod(path, 0o600);

  return {
    address: `unix://${path}`,
    loaded: () => server !== undefined,
    async close() {
      // The listener's callback waits for the connections it accepted, which the server ends.
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      dropWaiting();
      await loading;
      await server?.close();
      await closed;
    },
  };
}
