/*
 * dns-stall: a thread inside name resolution, waiting for a DNS server that
 * never answers.
 *
 * main runs a fake "DNS server": a UDP socket bound to 127.0.0.1:PORT that
 * receives queries and never replies. Thread "resolver" (T) resolves
 * db.internal.example (type A) with the system resolver (libresolv's
 * res_nquery on a private res_state): res_ninit() reads /etc/resolv.conf (never
 * modified), then the sample overrides the name server list with just
 * 127.0.0.1:PORT, one try, and a per-try timeout of 1000000 s (about 11.5
 * days: the hang outlives any test). glibc's send_dg() then sits in poll() on
 * a UDP socket connected to 127.0.0.1:PORT. Nothing is ever sent to any
 * other address: main checks that the query reached the fake server before it
 * says "ready", and exits 1 otherwise.
 *
 * PORT is ephemeral, not 53: binding 127.0.0.1:53 needs privileges and is
 * often taken by a local resolver. So the finding must key on "inside the
 * resolver — res_* / __res_context_send / send_dg frames in libc (or
 * libresolv) — waiting in poll() on a connected UDP socket", and treat
 * remote port 53 as supporting evidence, not as the condition.
 *
 * Expected finding (hanganalyze): dns-stall on T — resolving (res_nquery ->
 * __res_context_query -> __res_context_send -> send_dg), waiting in poll() on
 * fd FD, a UDP socket connected to 127.0.0.1:PORT, with a bound so large it
 * is effectively none. No other finding (in particular no socket-read-stall
 * for the fake server's socket: no thread waits on it). main sleeps in
 * clock_nanosleep and is not involved.
 *
 * Threads: T in poll (7), first argument = the address of a one-entry pollfd
 * array ({FD, POLLIN}), third argument = 1000000000 (ms).
 *
 * Prints "ready PID rule=dns-stall tids=T port=PORT" once T is blocked.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static struct sockaddr_in fake_server;
static _Atomic pid_t resolver_tid;

static void *resolver_thread(void *arg)
{
	static struct __res_state res;	/* zeroed, as res_ninit() wants */
	unsigned char answer[NS_PACKETSZ];

	(void)arg;
	pthread_setname_np(pthread_self(), "resolver");
	if (res_ninit(&res) != 0) {
		fprintf(stderr, "dns-stall: res_ninit failed\n");
		return NULL;
	}
	/* only the fake server, once, with an enormous timeout (seconds; send_dg
	   computes 1000 * retrans in an int, so stay below 2147483) */
	res.nscount = 1;
	res.nsaddr_list[0] = fake_server;
	res.retrans = 1000000;
	res.retry = 1;
	res.options &= ~(RES_USEVC | RES_ROTATE | RES_STAYOPEN);
	atomic_store(&resolver_tid, gettid());
	if (res_nquery(&res, "db.internal.example", ns_c_in, ns_t_a, answer, sizeof(answer)) < 0)
		fprintf(stderr, "dns-stall: res_nquery failed\n");
	return NULL;
}

int main(void)
{
	socklen_t len = sizeof(fake_server);
	unsigned char query[NS_PACKETSZ];
	struct sockaddr_in from;
	socklen_t from_len = sizeof(from);
	pthread_t t;
	int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&fake_server, 0, sizeof(fake_server));
	fake_server.sin_family = AF_INET;
	fake_server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sfd < 0 || bind(sfd, (struct sockaddr *)&fake_server, sizeof(fake_server)) != 0 ||
	    getsockname(sfd, (struct sockaddr *)&fake_server, &len) != 0) {
		perror("fake dns server");
		return 1;
	}
	if (pthread_create(&t, NULL, resolver_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&resolver_tid);
	/* the query must have reached the fake server (peek: it stays queued, unanswered) */
	struct pollfd pfd = { sfd, POLLIN, 0 };
	if (poll(&pfd, 1, SAMPLE_TIMEOUT_MS) != 1 ||
	    recvfrom(sfd, query, sizeof(query), MSG_PEEK, (struct sockaddr *)&from, &from_len) < 12 ||
	    from.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
		fprintf(stderr, "dns-stall: the query did not reach 127.0.0.1:%d\n", ntohs(fake_server.sin_port));
		return 1;
	}
	sample_wait_blocked(getpid(), tid, SYS_poll, SAMPLE_ANY_ARG);
	printf("ready %d rule=dns-stall tids=%d port=%d\n", (int)getpid(), (int)tid, ntohs(fake_server.sin_port));
	fflush(stdout);
	sample_sleep_forever();
}
