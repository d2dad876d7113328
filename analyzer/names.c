/* See names.h. */
#include "analyzer/names.h"

#include <netinet/in.h>
#include <string.h>

#include "common/util.h"

static const char *const severity_names[] = {
	[SEVERITY_LOW] = "low", [SEVERITY_MEDIUM] = "medium", [SEVERITY_HIGH] = "high",
	[SEVERITY_CRITICAL] = "critical",
};

const char *severity_name(enum severity s)
{
	return (unsigned)s < ARRAY_SIZE(severity_names) ? severity_names[s] : "?";
}

int severity_from_name(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(severity_names); i++)
		if (strcmp(name, severity_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *confidence_name(enum confidence c)
{
	return c == CONFIDENCE_PROBABLE ? "probable" : "certain";
}

const char *wait_kind_name(enum wait_kind kind)
{
	static const char *const names[] = {
		[WAIT_NONE] = "none", [WAIT_RUNNING] = "running", [WAIT_MUTEX] = "mutex",
		[WAIT_RWLOCK] = "rwlock", [WAIT_STDIO_LOCK] = "stdio-lock", [WAIT_CONDVAR] = "condvar",
		[WAIT_FUTEX] = "futex", [WAIT_JOIN] = "join", [WAIT_CONNECT] = "connect", [WAIT_ACCEPT] = "accept",
		[WAIT_READ] = "read", [WAIT_WRITE] = "write", [WAIT_POLL] = "poll", [WAIT_SLEEP] = "sleep",
		[WAIT_CHILD] = "child", [WAIT_FILE_LOCK] = "file-lock", [WAIT_SIGNAL] = "signal",
		[WAIT_OTHER_SYSCALL] = "syscall", [WAIT_QUEUE] = "queue", [WAIT_SEMAPHORE] = "semaphore",
	};
	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

bool wait_is_lock(enum wait_kind kind)
{
	return wait_lock_phrase(kind) != NULL;
}

const char *wait_lock_phrase(enum wait_kind kind)
{
	switch (kind) {
	case WAIT_MUTEX:
		return "mutex";
	case WAIT_RWLOCK:
		return "rwlock";
	case WAIT_STDIO_LOCK:
		return "stdio lock";
	case WAIT_SEMAPHORE:
		return "semaphore";
	default:
		return NULL;
	}
}

const char *tcp_state_name(unsigned state)
{
	static const char *const names[TCP_STATE_COUNT] = {
		[TCP_STATE_ESTABLISHED] = "ESTABLISHED", [TCP_STATE_SYN_SENT] = "SYN_SENT",
		[TCP_STATE_SYN_RECV] = "SYN_RECV", [TCP_STATE_FIN_WAIT1] = "FIN_WAIT1",
		[TCP_STATE_FIN_WAIT2] = "FIN_WAIT2", [TCP_STATE_TIME_WAIT] = "TIME_WAIT",
		[TCP_STATE_CLOSE] = "CLOSE", [TCP_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_STATE_LAST_ACK] = "LAST_ACK", [TCP_STATE_LISTEN] = "LISTEN",
		[TCP_STATE_CLOSING] = "CLOSING",
	};
	return state > 0 && state < TCP_STATE_COUNT ? names[state] : "";
}

bool socket_is_tcp(const struct hs_socket_info *s)
{
	return s && s->protocol == IPPROTO_TCP;
}

bool socket_is_udp(const struct hs_socket_info *s)
{
	return s && s->protocol == IPPROTO_UDP;
}

bool socket_is_tcp_in(const struct hs_socket_info *s, enum tcp_state state)
{
	return socket_is_tcp(s) && s->state == (unsigned)state;
}
