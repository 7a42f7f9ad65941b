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
 *     of stdin; what it started lives on.
 *
 * Every mode dies with its parent (PR_SET_PDEATHSIG). Exit 125: the relay
 * itself failed (message on stderr).
 */
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
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define PACKET_MAX 8192
#define FAIL 125

static void die(const char *what)
{
	fprintf(stderr, "tscr-relay: %s: %s\n", what, strerror(errno));
	exit(FAIL);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd w = {.fd = fd, .events = POLLOUT};
				poll(&w, 1, -1);
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Binds or connects to a path of any length: from inside its directory. */
static void unix_address(const char *path, struct sockaddr_un *addr)
{
	char *copy = strdup(path);
	char *base = strdup(path);
	if (!copy || !base)
		die("out of memory");
	if (chdir(dirname(copy)) < 0)
		die("cannot enter the socket's directory");
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	strncpy(addr->sun_path, basename(base), sizeof(addr->sun_path) - 1);
	free(copy);
	free(base);
}

static int write_frame(const char *data, size_t len)
{
	unsigned char head[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
				 (unsigned char)len};
	if (write_all(STDOUT_FILENO, head, 4) < 0)
		return -1;
	return len ? write_all(STDOUT_FILENO, data, len) : 0;
}

static int relay_attach(int with_stdin, const char *path)
{
	struct sockaddr_un addr;
	unix_address(path, &addr);
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("cannot connect to the attach socket");
	if (write_frame(NULL, 0) < 0)
		return 0;

	static char buf[PACKET_MAX + 1];
	struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = with_stdin ? STDIN_FILENO : -1, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[0].revents) {
			ssize_t n = recv(sock, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0; /* conmon closed the connection: the container is gone */
			if (write_frame(buf, (size_t)n) < 0)
				return 0; /* our reader is gone */
		}
		if (fds[1].fd >= 0 && fds[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, PACKET_MAX);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				shutdown(sock, SHUT_WR);
				fds[1].fd = -1;
				continue;
			}
			if (send(sock, buf, (size_t)n, MSG_NOSIGNAL) < 0)
				return 0;
		}
	}
}

static int receive_fd(int conn)
{
	char data[256];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return FAIL;
}

/* Applies the complete "H W\n" lines in buf; keeps a partial one. */
static void apply_resizes(char *buf, size_t *len, int master, struct winsize *last)
{
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', *len - (size_t)(start - buf))) != NULL) {
		*nl = '\0';
		unsigned h, w;
		if (sscanf(start, "%u %u", &h, &w) == 2) {
			last->ws_row = (unsigned short)h;
			last->ws_col = (unsigned short)w;
			if (master >= 0)
				ioctl(master, TIOCSWINSZ, last);
		}
		start = nl + 1;
	}
	*len -= (size_t)(start - buf);
	memmove(buf, start, *len);
}

static int relay_console(const char *path, char **argv)
{
	struct sockaddr_un addr;
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		die("getcwd");
	unix_address(path, &addr);
	int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0)
		die("socket");
	unlink(addr.sun_path);
	if (bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lsock, 1) < 0)
		die("cannot listen on the console socket");
	if (chdir(cwd) < 0)
		die("chdir");

	/* runc exec --detach leaves the process to the nearest subreaper: us. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("cannot become a subreaper");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(3);
		execv(argv[0], argv);
		fprintf(stderr, "tscr-relay: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}

	int master = -1, runc_status = 0, runc_done = 0, proc_status = 0, proc_done = 0;
	struct winsize size = {0};
	char ctl[256];
	size_t ctl_len = 0;
	static char buf[PACKET_MAX];
	int ctl_fd = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
	int in_fd = STDIN_FILENO;
	for (;;) {
		pid_t w;
		int st;
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			if (w == child) {
				runc_done = 1;
				runc_status = st;
			} else {
				proc_done = 1;
				proc_status = st;
			}
		}
		int runc_failed = runc_done && !(WIFEXITED(runc_status) && WEXITSTATUS(runc_status) == 0);
		int finished = proc_done || runc_failed;
		struct pollfd fds[4] = {
			{.fd = master < 0 ? lsock : -1, .events = POLLIN},
			{.fd = master, .events = POLLIN},
			{.fd = master >= 0 ? in_fd : -1, .events = POLLIN},
			{.fd = ctl_fd, .events = POLLIN},
		};
		/* Wake up now and then to reap; once done, only drain what the pty still holds. */
		int n = poll(fds, 4, finished ? 0 : 100);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (n == 0 && finished)
			break;
		if (fds[0].revents & POLLIN) {
			int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
			if (conn >= 0) {
				master = receive_fd(conn);
				close(conn);
				if (master >= 0 && size.ws_row)
					ioctl(master, TIOCSWINSZ, &size);
			}
		}
		if (master >= 0 && fds[1].revents) {
			ssize_t r = read(master, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* EIO: every holder of the terminal is gone */
			if (write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
				break;
		}
		if (fds[2].fd >= 0 && fds[2].revents) {
			ssize_t r = read(in_fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || write_all(master, buf, (size_t)r) < 0)
				in_fd = -1;
		}
		if (ctl_fd >= 0 && fds[3].revents) {
			ssize_t r = read(ctl_fd, ctl + ctl_len, sizeof(ctl) - 1 - ctl_len);
			if (r <= 0)
				ctl_fd = -1;
			else {
				ctl_len += (size_t)r;
				apply_resizes(ctl, &ctl_len, master, &size);
				if (ctl_len == sizeof(ctl) - 1)
					ctl_len = 0;
			}
		}
	}
	unlink(path);
	/* The terminal is gone; wait for the process (or a failed runtime) to report. */
	while (!proc_done && !(runc_done && !(WIFEXITED(runc_status) && WEXITSTATUS(runc_status) == 0))) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (w == child) {
			runc_done = 1;
			runc_status = st;
		} else {
			proc_done = 1;
			proc_status = st;
		}
	}
	if (proc_done)
		return status_code(proc_status);
	if (runc_done)
		return status_code(runc_status) ? status_code(runc_status) : FAIL;
	return FAIL;
}

/* ---- spawner ---- */

struct job {
	long seq;
	pid_t pid;
	int fd; /* read end of the child's fd 3, -1 once closed */
	int exited, code;
	size_t len;
	char buf[4096];
};

static struct job **jobs;
static size_t njobs;

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	char line[4300];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write_all(STDOUT_FILENO, line, (size_t)n) < 0)
		exit(0); /* the daemon is gone */
}

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOEXEC: return "ENOEXEC";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case ETXTBSY: return "ETXTBSY";
	case EISDIR: return "EISDIR";
	default: return "EIO";
	}
}

/* The child: its own session, stdio and fd 3 in place, then exec. Failures go to `err` as (errno, step). */
static void exec_child(char *file, const char *cwd, const char *log, char **argv, char **envp, int syncw, int err)
{
	int fail[2] = {0, 0};
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (chdir(cwd) < 0) {
		fail[1] = 1;
		goto out;
	}
	int logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nul < 0) {
		fail[1] = 2;
		goto out;
	}
	if (dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0) {
		fail[1] = 2;
		goto out;
	}
	if (syncw == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(syncw, 3) < 0) {
		fail[1] = 2;
		goto out;
	}
	if (strchr(file, '/'))
		execve(file, argv, envp);
	else
		execvpe(file, argv, envp);
	fail[1] = 3;
out:
	fail[0] = errno;
	if (write(err, fail, sizeof(fail)) < 0)
		_exit(127);
	_exit(127);
}

static const char *const STEPS[] = {"", "chdir", "open", "exec"};

/* Parses one request frame and starts its process (or replies with the error). */
static void start_job(char *p, size_t len)
{
	char *end = p + len, *field[4];
	for (int i = 0; i < 4; i++) {
		field[i] = p;
		p = memchr(p, 0, (size_t)(end - p));
		if (!p++)
			return;
	}
	long seq = strtol(field[0], NULL, 10);
	char **lists[2] = {NULL, NULL};
	for (int l = 0; l < 2; l++) {
		if (p >= end)
			return;
		long n = strtol(p, NULL, 10);
		p = memchr(p, 0, (size_t)(end - p));
		if (!p++ || n < 0 || n > 100000)
			goto bad;
		lists[l] = calloc((size_t)n + 1, sizeof(char *));
		if (!lists[l])
			die("out of memory");
		for (long i = 0; i < n; i++) {
			lists[l][i] = p;
			p = memchr(p, 0, (size_t)(end - p));
			if (!p++)
				goto bad;
		}
	}
	int syncp[2], errp[2];
	if (pipe2(syncp, O_CLOEXEC) < 0)
		die("pipe");
	if (pipe2(errp, O_CLOEXEC) < 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0) {
		reply("%ld error %s fork", seq, errno_name(errno));
		close(syncp[0]);
		close(syncp[1]);
		close(errp[0]);
		close(errp[1]);
		goto done;
	}
	if (pid == 0)
		exec_child(field[1], field[2], field[3], lists[0], lists[1], syncp[1], errp[1]);
	close(syncp[1]);
	close(errp[1]);
	int fail[2];
	ssize_t n;
	do
		n = read(errp[0], fail, sizeof(fail));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(fail)) {
		reply("%ld error %s %s", seq, errno_name(fail[0]), STEPS[fail[1] & 3]);
		close(syncp[0]);
		goto done; /* reaped with the others */
	}
	struct job *j = calloc(1, sizeof(*j));
	struct job **grown = realloc(jobs, (njobs + 1) * sizeof(*jobs));
	if (!j || !grown)
		die("out of memory");
	jobs = grown;
	j->seq = seq;
	j->pid = pid;
	j->fd = syncp[0];
	jobs[njobs++] = j;
	goto done;
bad:
	fprintf(stderr, "tscr-relay: a malformed spawn request\n");
done:
	free(lists[0]);
	free(lists[1]);
}

static void end_job(size_t i)
{
	if (jobs[i]->fd >= 0)
		close(jobs[i]->fd);
	free(jobs[i]);
	jobs[i] = jobs[--njobs];
}

/* Reads what the child wrote to fd 3; true when the job is answered. */
static int read_job(struct job *j)
{
	ssize_t n = read(j->fd, j->buf + j->len, sizeof(j->buf) - 1 - j->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		n = 0; /* read as the end of the pipe */
	j->len += (size_t)n;
	char *nl = memchr(j->buf, '\n', j->len);
	if (nl || (n > 0 && j->len == sizeof(j->buf) - 1)) {
		size_t at = nl ? (size_t)(nl - j->buf) : j->len;
		reply("%ld line %.*s", j->seq, (int)at, j->buf);
		return 1;
	}
	if (n == 0) {
		close(j->fd);
		j->fd = -1;
		if (j->exited)
			reply("%ld exit %d", j->seq, j->code);
		return j->exited;
	}
	return 0;
}

static int relay_spawner(void)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("signalfd");
	size_t cap = 65536, have = 0;
	char *in = malloc(cap);
	struct pollfd *fds = NULL;
	if (!in)
		die("out of memory");
	reply("0 ready");
	for (;;) {
		struct pollfd *grown = realloc(fds, (njobs + 2) * sizeof(*fds));
		if (!grown)
			die("out of memory");
		fds = grown;
		fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
		size_t polled = njobs;
		for (size_t i = 0; i < polled; i++)
			fds[i + 2] = (struct pollfd){.fd = jobs[i]->fd, .events = POLLIN};
		if (poll(fds, polled + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Jobs first (by pid, since answering one reorders the table), then exits, then requests. */
		pid_t ready[polled ? polled : 1];
		size_t nready = 0;
		for (size_t i = 0; i < polled; i++)
			if (fds[i + 2].fd >= 0 && fds[i + 2].revents)
				ready[nready++] = jobs[i]->pid;
		for (size_t r = 0; r < nready; r++)
			for (size_t i = 0; i < njobs; i++)
				if (jobs[i]->pid == ready[r] && jobs[i]->fd >= 0) {
					if (read_job(jobs[i]))
						end_job(i);
					break;
				}
		if (fds[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				;
			int st;
			pid_t w;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
				for (size_t i = 0; i < njobs; i++) {
					if (jobs[i]->pid != w)
						continue;
					jobs[i]->exited = 1;
					jobs[i]->code = status_code(st);
					if (jobs[i]->fd < 0) {
						reply("%ld exit %d", jobs[i]->seq, jobs[i]->code);
						end_job(i);
					}
					break;
				}
			}
		}
		if (fds[0].revents) {
			ssize_t n = read(STDIN_FILENO, in + have, cap - have);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				return 0;
			if (n > 0)
				have += (size_t)n;
			size_t off = 0;
			while (have - off >= 4) {
				unsigned char *h = (unsigned char *)in + off;
				size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
				if (len + 4 > cap) {
					char *bigger = realloc(in, len + 4);
					if (!bigger)
						die("out of memory");
					in = bigger;
					cap = len + 4;
					h = (unsigned char *)in + off;
				}
				if (have - off - 4 < len)
					break;
				start_job(in + off + 4, len);
				off += 4 + len;
			}
			memmove(in, in + off, have - off);
			have -= off;
		}
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (argc >= 3 && strcmp(argv[1], "attach") == 0) {
		int with_stdin = strcmp(argv[2], "--stdin") == 0;
		if (argc != 3 + with_stdin)
			goto usage;
		return relay_attach(with_stdin, argv[2 + with_stdin]);
	}
	if (argc >= 4 && strcmp(argv[1], "console") == 0)
		return relay_console(argv[2], argv + 3);
	if (argc == 2 && strcmp(argv[1], "spawner") == 0)
		return relay_spawner();
usage:
	fprintf(stderr, "usage: tscr-relay attach [--stdin] SOCKET | tscr-relay console SOCKET RUNTIME ARG... | "
			"tscr-relay spawner\n");
	return FAIL;
}
