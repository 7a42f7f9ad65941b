/* tscr-relay attach: a conmon attach socket relayed as frames on stdout (see relay.h). */
#include "relay.h"

static int write_frame(const char *data, size_t len)
{
	unsigned char head[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
				 (unsigned char)len};
	if (write_all(STDOUT_FILENO, head, 4) < 0)
		return -1;
	return len ? write_all(STDOUT_FILENO, data, len) : 0;
}

int relay_attach(int with_stdin, const char *path)
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
