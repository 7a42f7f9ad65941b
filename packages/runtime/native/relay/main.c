/* tscr-relay: the modes (see relay.h) and the helpers they share. */
#include "relay.h"

void die(const char *what)
{
	fprintf(stderr, "tscr-relay: %s: %s\n", what, strerror(errno));
	exit(FAIL);
}

int write_all(int fd, const void *buf, size_t len)
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
void unix_address(const char *path, struct sockaddr_un *addr)
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

int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return FAIL;
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
