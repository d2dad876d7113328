/*
 * socket-read-stall: a client waits for a reply on a connected socket and the
 * server never answers.
 *
 * main runs a loopback TCP "server": it listens on 127.0.0.1:PORT, accepts
 * the one connection and keeps it open without ever writing to it. Thread
 * "rpc_client" (T) connects (ESTABLISHED), sends its request and then calls
 * recv() on the socket — blocking, no SO_RCVTIMEO, nothing in the receive
 * queue — forever.
 *
 * Expected finding (hanganalyze): socket-read-stall on T — waits to read fd
 * FD, a TCP socket ESTABLISHED 127.0.0.1:x -> 127.0.0.1:PORT with an empty
 * receive queue and no timeout. No other finding. main sleeps in
 * clock_nanosleep (holding the listener and the accepted socket, whose
 * receive queue holds T's unread request) and is not involved.
 *
 * Threads: T in recvfrom (45; glibc's recv() is recvfrom(fd, buf, len, 0,
 * NULL, NULL)), first argument = FD.
 *
 * Prints "ready PID rule=socket-read-stall tids=T port=PORT fd=FD" once T is blocked.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static struct sockaddr_in server;
static _Atomic pid_t client_tid;
static _Atomic int client_fd = -1;

static void *client_thread(void *arg)
{
	static const char request[] = "GET /status\n";
	char reply[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	pthread_setname_np(pthread_self(), "rpc_client");
	if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0 ||
	    send(fd, request, sizeof(request) - 1, 0) < 0) {
		perror("client");
		return NULL;
	}
	atomic_store(&client_fd, fd);
	atomic_store(&client_tid, gettid());
	if (recv(fd, reply, sizeof(reply), 0) < 0)	/* no timeout: waits forever */
		perror("recv");
	return NULL;
}

int main(void)
{
	socklen_t len = sizeof(server);
	pthread_t t;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd;

	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&server, sizeof(server)) != 0 || listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&server, &len) != 0) {
		perror("listener");
		return 1;
	}
	if (pthread_create(&t, NULL, client_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	cfd = accept(lfd, NULL, NULL);	/* the server takes the connection... and never answers */
	if (cfd < 0) {
		perror("accept");
		return 1;
	}
	pid_t tid = sample_wait_tid(&client_tid);
	int fd = atomic_load(&client_fd);
	sample_wait_blocked(getpid(), tid, SYS_recvfrom, (unsigned long)fd);
	printf("ready %d rule=socket-read-stall tids=%d port=%d fd=%d\n", (int)getpid(), (int)tid,
	       ntohs(server.sin_port), fd);
	fflush(stdout);
	sample_sleep_forever();
}
