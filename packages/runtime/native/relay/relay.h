/*
 * tscr-relay: what a Node daemon cannot do itself (or not cheaply), kept tiny.
 *
 *   tscr-relay attach [--stdin] SOCKET
 *     Connects to a conmon attach socket (AF_UNIX, SOCK_SEQPACKET). Every
 *     packet conmon sends (one stream-id byte, then data) is written to
 *     stdout as a frame: a 4-byte big-endian length, then the packet. A frame
 *     of length 0 says the connection is in place. With --stdin, stdin is
 *     sent to the socket in packets of at most 8 KiB and its end shuts the
 *     socket for writing (conmon then closes the container's stdin unless it
 *     was started with --leave-stdin-open). Writes block: a slow reader of
 *     stdout stops this relay, which stops conmon, which stops the container.
 *
 *   tscr-relay console SOCKET RUNTIME ARG...
 *     Listens on SOCKET (AF_UNIX, SOCK_STREAM), runs RUNTIME ARG... (an OCI
 *     runtime `exec --detach --tty --console-socket SOCKET …`), receives
 *     the pty master over SCM_RIGHTS and copies it to stdout and stdin to
 *     it. Lines "HEIGHT WIDTH\n" read from fd 3 resize the terminal. As a
 *     subreaper it inherits the detached process and exits with its status
 *     (128+N when killed by signal N), or the runtime's when that fails.
 *
 *   tscr-relay spawner
 *     Starts processes for the daemon, so that each start forks this small
 *     process instead of the daemon (whose fork copies the page tables of
 *     ~100 MB). Requests come on stdin as frames (a 4-byte big-endian length,
 *     then NUL-terminated fields: SEQ FILE CWD LOG ARGC ARG... ENVC ENV...);
 *     each becomes a detached process (its own session) in CWD, stdin from
 *     /dev/null, stdout and stderr appended to LOG, and a pipe on fd 3.
 *     Replies are lines on stdout: "0 ready" once, then per request
 *     "SEQ line TEXT" (the first line it wrote to fd 3; the pipe is then
 *     closed), "SEQ exit CODE" (it exited and closed fd 3 without a line) or
 *     "SEQ error ERRNO STEP" (chdir, open or exec failed). Ends at the end
 *     of stdin; what it started lives on. With TSCR_RELAY_SEALED=FILE in its
 *     environment it first keeps a sealed in-memory copy of FILE (the OCI
 *     runtime) and says "0 sealed FD" before "0 ready": the copy can be run
 *     as /proc/<relay pid>/fd/FD (see sealed_copy in spawner.c).
 *
 * Every mode dies with its parent (PR_SET_PDEATHSIG). Exit 125: the relay
 * itself failed (message on stderr).
 *
 * Sources, one per role: main.c (the modes, shared helpers), attach.c,
 * console.c, spawner.c; relay.h declares what they share.
 */
#ifndef TSCR_RELAY_H
#define TSCR_RELAY_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define PACKET_MAX 8192
#define FAIL 125

/* Prints "tscr-relay: WHAT: <errno text>" and exits with FAIL. */
void die(const char *what) __attribute__((noreturn));
/* Writes all of buf (waiting on EAGAIN); -1 on error. */
int write_all(int fd, const void *buf, size_t len);
/* Binds or connects to a path of any length: from inside its directory. */
void unix_address(const char *path, struct sockaddr_un *addr);
/* A wait status as an exit code: the code, 128+N for signal N, else FAIL. */
int status_code(int status);

int relay_attach(int with_stdin, const char *path);
int relay_console(const char *path, char **argv);
int relay_spawner(void);

#endif
