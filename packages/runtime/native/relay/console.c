/* tscr-relay console: runs an OCI runtime exec with a console socket, relays its pty (see relay.h). */
#include "relay.h"

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

int relay_console(const char *path, char **argv)
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
