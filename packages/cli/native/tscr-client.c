/*
 * tscr-client: the `tscr` bin (packages/cli/dist/tscr). A thin client of the CLI host (dist/cli-host.cjs, a warm
 * Node process per user that runs the CLI's commands): it sends its arguments, environment, working directory and
 * terminal state in one request frame and relays the host's output and exit code. Whenever the host cannot serve
 * (TSCR_CLI_HOST=0, no safe directory, no host yet, the host says `F`, or it goes away before accepting), it runs
 * today's bin instead: execv(dist/main.cjs) with the same arguments and environment. It never parses tscr's
 * arguments. The protocol and the paths are those of docs/cli-host.md; packages/cli/README.md says how to use it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME (1024u * 1024u) /* the largest payload of a frame, either way */
#define HEAD 5                    /* type (1 byte) + length (4 bytes, big-endian) */

extern char **environ;

static char main_path[PATH_MAX]; /* dist/main.cjs: the fallback */
static char host_path[PATH_MAX]; /* dist/cli-host.cjs */
static char log_path[PATH_MAX];  /* the host's log, named in messages */
static int sock = -1;            /* the connection to the host, once connected */

/* Runs today's bin with the same arguments and environment; only returns by exiting 127. */
static _Noreturn void fallback(char **argv) {
    if (sock >= 0) close(sock);
    execv(main_path, argv);
    dprintf(2, "tscr: cannot run %s: %s\n", main_path[0] ? main_path : "dist/main.cjs", strerror(errno));
    _exit(127);
}

static int fmt(char *out, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
/* snprintf that says whether the whole text fitted (0) or not (-1). */
static int fmt(char *out, size_t size, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(out, size, format, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The host's directory (docs/cli-host.md): $TSCR_CLI_HOST_DIR, else $XDG_RUNTIME_DIR/tscr, else /tmp/tscr-cli-<euid>. */
static int host_dir_path(char *out, size_t size) {
    const char *dir = getenv("TSCR_CLI_HOST_DIR");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int r = dir && *dir ? fmt(out, size, "%s", dir)
            : xdg && *xdg ? fmt(out, size, "%s/tscr", xdg)
                          : fmt(out, size, "/tmp/tscr-cli-%u", (unsigned)geteuid());
    return r == 0 && out[0] == '/' ? 0 : -1; /* relative: each working directory would have its own host */
}

/*
 * The directory as an O_PATH descriptor, made (0700) when missing, and only when it is a directory itself (not a
 * symlink), owned by the euid, with no group/other permission bits: the request carries the whole environment, so
 * nobody else may listen there. -1 otherwise.
 */
static int open_host_dir(const char *path) {
    int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(path, flags);
    if (fd < 0 && errno == ENOENT && (mkdir(path, 0700) == 0 || errno == EEXIST)) fd = open(path, flags);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void close_from(int first) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0u, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = first; fd < (max > 0 && max < 65536 ? max : 65536); fd++) close(fd);
}

/*
 * Starts the host if no one else is: takes the lock file (flock, not waiting); with it, forks; the child starts a
 * session and forks again, so the host is nobody's child; the host gets the lock on fd 3 (it holds it for its whole
 * life), /dev/null on stdin, its log on stdout and stderr. The caller falls back for this run either way.
 */
static void start_host(int dir, const char *id, const char *sock_path) {
    char name[96];
    if (fmt(name, sizeof name, "cli-%s.lock", id) != 0) return;
    int lock = openat(dir, name, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0) return;
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) { /* a host holds it (starting, or up without a socket) */
        close(lock);
        return;
    }
    int log = -1, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fmt(name, sizeof name, "cli-%s.log", id) == 0)
        log = openat(dir, name, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    pid_t child = log >= 0 && null >= 0 ? fork() : -1;
    if (child == 0) {
        setsid();
        pid_t host = fork();
        if (host != 0) _exit(host < 0 ? 1 : 0);
        /* Above 0-3 first (the client's own stdio may be closed, so these could sit there), then into place:
         * dup2 to another number leaves the new descriptor without FD_CLOEXEC. */
        int in = fcntl(null, F_DUPFD_CLOEXEC, 10), out = fcntl(log, F_DUPFD_CLOEXEC, 10);
        int held = fcntl(lock, F_DUPFD_CLOEXEC, 10);
        if (in < 0 || out < 0 || held < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
            dup2(held, 3) < 0)
            _exit(1);
        close_from(4); /* nothing the client inherited (a caller's pipe) stays open in a long-lived host */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* not the mask of whoever started this client */
        if (chdir("/") != 0) _exit(1);
        char *argv[] = {host_path, "--socket", (char *)sock_path, NULL};
        execv(host_path, argv);
        dprintf(2, "tscr: cannot start the CLI host %s: %s\n", host_path, strerror(errno));
        _exit(127);
    }
    if (null >= 0) close(null);
    if (log >= 0) close(log);
    close(lock); /* the host keeps the lock through its fd 3 (the same open file) */
    if (child > 0)
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
        }
}

/* A growing byte buffer for the request frame; `failed` once memory ran out or it passed MAX_FRAME. */
struct buf {
    char *p;
    size_t n, cap;
    int failed;
};

static void put(struct buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->n + n > HEAD + MAX_FRAME) {
        b->failed = 1;
        return;
    }
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->n + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string of the bytes s[0..n): quotes, backslashes and control characters escaped, other bytes as they are
 * (the host reads the payload as UTF-8, as Node reads its own argv and environment). */
static void put_json(struct buf *b, const char *s, size_t n) {
    put(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, s + start, i - start);
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
        }
        start = i + 1;
    }
    put(b, s + start, n - start);
    put(b, "\"", 1);
}

/* The `R` frame: {"v":1,"argv":[...],"env":{...},"cwd":"...","tty":[...],"cols":N,"rows":N}. -1 if it cannot be
 * made (no working directory, out of memory, over 1 MiB): the caller falls back. */
static int request_frame(struct buf *b, int argc, char **argv) {
    static char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') return -1;
    put(b, "R\0\0\0\0", HEAD);
    puts_(b, "{\"v\":1,\"argv\":[");
    for (int i = 1; i < argc; i++) {
        if (i > 1) put(b, ",", 1);
        put_json(b, argv[i], strlen(argv[i]));
    }
    puts_(b, "],\"env\":{");
    int first = 1;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        if (!first) put(b, ",", 1);
        first = 0;
        put_json(b, *e, (size_t)(eq - *e));
        put(b, ":", 1);
        put_json(b, eq + 1, strlen(eq + 1));
    }
    puts_(b, "},\"cwd\":");
    put_json(b, cwd, strlen(cwd));
    struct winsize ws = {0};
    if (ioctl(1, TIOCGWINSZ, &ws) != 0 && ioctl(2, TIOCGWINSZ, &ws) != 0) memset(&ws, 0, sizeof ws);
    char tail[128];
    snprintf(tail, sizeof tail, ",\"tty\":[%s,%s,%s],\"cols\":%u,\"rows\":%u}", isatty(0) ? "true" : "false",
             isatty(1) ? "true" : "false", isatty(2) ? "true" : "false", (unsigned)ws.ws_col, (unsigned)ws.ws_row);
    puts_(b, tail);
    if (b->failed) return -1;
    uint32_t len = (uint32_t)(b->n - HEAD);
    b->p[1] = (char)(len >> 24);
    b->p[2] = (char)(len >> 16);
    b->p[3] = (char)(len >> 8);
    b->p[4] = (char)len;
    return 0;
}

/* Sends all of p[0..n) on the socket (no SIGPIPE: a closed host is an error here). 0 or -1. */
static int send_all(const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(sock, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Whether fd 1 / fd 2 still takes output: after a write error other than EPIPE (which, with SIGPIPE at its
 * default, ends the client as it would any program), the rest of that stream is dropped and the command goes on. */
static int live[3] = {0, 1, 1};

static void write_out(int fd, const char *p, size_t n) {
    while (n > 0 && live[fd]) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { /* a non-blocking stdout we inherited */
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, -1);
        } else {
            live[fd] = 0;
        }
    }
}

/* Each of SIGHUP, SIGINT, SIGQUIT, SIGTERM while connected: an `S` frame (6 bytes, sent whole or not at all). */
static void on_signal(int sig) {
    int saved = errno;
    char frame[HEAD + 1] = {'S', 0, 0, 0, 1, (char)sig};
    ssize_t w = send(sock, frame, sizeof frame, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)w;
    errno = saved;
}

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])

static void forward_signals(const sigset_t *set) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sa.sa_mask = *set; /* one handler at a time: frames never interleave */
    /* Even one ignored by whoever started us (a background job's SIGINT): Node resets those to their default at
     * start-up, so the command acts the same hosted or not. */
    for (size_t i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &sa, NULL);
}

static _Noreturn void host_failed(const char *what) {
    dprintf(2, "tscr: %s (see %s)\n", what, log_path);
    exit(1);
}

/*
 * Relays the host's frames until `X` (exit with its code). Before `A`: `F`, EOF or a read error fall back (nothing
 * ran). After `A`: `1`/`2` go to fd 1/2 as they arrive (a frame is never held whole), EOF is an error.
 */
static _Noreturn void relay(char **argv) {
    static char in[65536];
    unsigned char head[HEAD];
    size_t have = 0;       /* bytes of the current header */
    uint32_t remain = 0;   /* payload bytes still to come of the current frame */
    char type = 0;         /* its type, while remain > 0 */
    int accepted = 0;
    for (;;) {
        ssize_t r = read(sock, in, sizeof in);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (!accepted) fallback(argv);
            host_failed("the CLI host ended before the command finished");
        }
        for (size_t i = 0; i < (size_t)r;) {
            if (remain == 0) {
                while (have < HEAD && i < (size_t)r) head[have++] = (unsigned char)in[i++];
                if (have < HEAD) break;
                have = 0;
                type = (char)head[0];
                remain = (uint32_t)head[1] << 24 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 8 | head[4];
                if (remain > MAX_FRAME) host_failed("protocol error: a frame from the CLI host is over 1 MiB");
                if (type == 'F' && !accepted) fallback(argv); /* its payload is a reason, for debugging */
                if (type == 'A' && !accepted && remain == 0) {
                    accepted = 1;
                    continue;
                }
                if (!accepted || !(type == '1' || type == '2' || (type == 'X' && remain == 1)))
                    host_failed("protocol error: an unexpected frame from the CLI host");
                continue;
            }
            size_t take = (size_t)r - i < remain ? (size_t)r - i : remain;
            if (type == 'X') exit((unsigned char)in[i]);
            write_out(type - '0', in + i, take);
            i += take;
            remain -= (uint32_t)take;
        }
    }
}

int main(int argc, char **argv) {
    /* A closed stdin/stdout/stderr gets /dev/null (as Node does at start-up): the socket must never become fd 1. */
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd) _exit(127);
    char dir_path[PATH_MAX], self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1); /* not NUL-terminated */
    char *slash = n > 0 && (size_t)n < sizeof self - 1 ? memrchr(self, '/', (size_t)n) : NULL;
    if (!slash) fallback(argv); /* main_path is empty: says so and exits 127 */
    *slash = '\0';
    if (fmt(main_path, sizeof main_path, "%s/main.cjs", self) != 0 ||
        fmt(host_path, sizeof host_path, "%s/cli-host.cjs", self) != 0)
        fallback(argv);

    const char *off = getenv("TSCR_CLI_HOST");
    struct stat st;
    if ((off && strcmp(off, "0") == 0) || stat(host_path, &st) != 0 || host_dir_path(dir_path, sizeof dir_path) != 0)
        fallback(argv);
    int dir = open_host_dir(dir_path);
    if (dir < 0) fallback(argv);

    /* The build id: a rebuilt or reinstalled CLI gets a host of its own. */
    char id[80];
    snprintf(id, sizeof id, "%llx-%llx-%llx-%llx", (unsigned long long)st.st_ino,
             (unsigned long long)st.st_mtim.tv_sec, (unsigned long long)st.st_mtim.tv_nsec,
             (unsigned long long)st.st_size);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (fmt(addr.sun_path, sizeof addr.sun_path, "%s/cli-%s.sock", dir_path, id) != 0 ||
        fmt(log_path, sizeof log_path, "%s/cli-%s.log", dir_path, id) != 0)
        fallback(argv);

    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) fallback(argv);
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(sock);
        sock = -1;
        start_host(dir, id, addr.sun_path);
        fallback(argv);
    }
    close(dir);

    /* A signal before the request is sent stays pending: then it is an `S` frame after `R` or, if the request
     * cannot be sent (fallback), it acts as it would have, before anything ran. */
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < NFORWARDED; i++) sigaddset(&set, forwarded[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    struct buf req = {0};
    if (request_frame(&req, argc, argv) != 0 || send_all(req.p, req.n) != 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        fallback(argv);
    }
    free(req.p);
    forward_signals(&set);
    sigprocmask(SIG_SETMASK, &old, NULL);
    relay(argv);
}
