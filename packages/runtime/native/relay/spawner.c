/* tscr-relay spawner: starts processes for the daemon on request (see relay.h). */
#include "relay.h"

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

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/*
 * A sealed in-memory copy of FILE (a memfd that can no longer be written,
 * resized or resealed), run as /proc/<relay>/fd/<fd>. runc 1.1 copies its own
 * binary into such a memfd in every `runc init` (the CVE-2019-5736 guard: no
 * process of the container may reach a writable runc binary) unless the file
 * it runs from already is one with exactly these seals; one copy made here
 * keeps that guard for every container. Returns the fd, or -1 with errno set.
 */
static int sealed_copy(const char *file)
{
	int src = open(file, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -1;
	int fd = memfd_create("tscr-sealed-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) /* a kernel before 6.3: no MFD_EXEC, every memfd is executable */
		fd = memfd_create("tscr-sealed-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char buf[65536];
	ssize_t n = 0;
	while (fd >= 0 && (n = read(src, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(fd, buf, (size_t)n) < 0)
			break;
	}
	int saved = errno;
	close(src);
	if (fd >= 0 && (n != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)) {
		saved = errno;
		close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
}

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

int relay_spawner(void)
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
	const char *sealed = getenv("TSCR_RELAY_SEALED");
	if (sealed && *sealed) {
		int fd = sealed_copy(sealed);
		if (fd >= 0)
			reply("0 sealed %d", fd);
		else
			fprintf(stderr, "tscr-relay: no sealed copy of %s: %s\n", sealed, strerror(errno));
	}
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
