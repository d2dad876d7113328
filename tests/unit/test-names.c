/*
 * The names reports, rule files and the case database spell must not drift:
 * one table each (analyzer/names.c), numbered as the kernel numbers TCP
 * states, severities that read back as they were written, and the built-in
 * rule ids DESIGN.md lists and no other.
 */
#include <string.h>

#include "analyzer/frames.h"
#include "analyzer/names.h"
#include "analyzer/rules/rules.h"
#include "tests/unit/unit.h"

static void test_severity(void)
{
	for (int s = SEVERITY_LOW; s <= SEVERITY_CRITICAL; s++)
		CHECK(severity_from_name(severity_name((enum severity)s)) == s);
	CHECK(strcmp(severity_name(SEVERITY_HIGH), "high") == 0);
	CHECK(strcmp(severity_name((enum severity)7), "?") == 0);
	CHECK(severity_from_name("High") == -1);
	CHECK(severity_from_name("") == -1);
}

static void test_tcp_states(void)
{
	/* include/net/tcp_states.h: what /proc/net/tcp and the HANGSNAP socket record say */
	CHECK(TCP_STATE_ESTABLISHED == 1 && TCP_STATE_SYN_SENT == 2 && TCP_STATE_LISTEN == 10 &&
	      TCP_STATE_CLOSING == 11 && TCP_STATE_COUNT == 12);
	CHECK(strcmp(tcp_state_name(TCP_STATE_SYN_SENT), "SYN_SENT") == 0);
	CHECK(strcmp(tcp_state_name(TCP_STATE_CLOSE_WAIT), "CLOSE_WAIT") == 0);
	CHECK(strcmp(tcp_state_name(0), "") == 0);
	CHECK(strcmp(tcp_state_name(TCP_STATE_COUNT), "") == 0);
	for (unsigned st = 1; st < TCP_STATE_COUNT; st++)
		CHECK(*tcp_state_name(st));
}

static void test_sockets(void)
{
	struct hs_socket_info tcp = { .family = 2, .protocol = 6, .state = TCP_STATE_SYN_SENT };
	struct hs_socket_info udp = { .family = 2, .protocol = 17, .state = TCP_STATE_SYN_SENT };

	CHECK(socket_is_tcp_in(&tcp, TCP_STATE_SYN_SENT) && !socket_is_tcp_in(&tcp, TCP_STATE_ESTABLISHED));
	CHECK(!socket_is_tcp_in(&udp, TCP_STATE_SYN_SENT) && socket_is_udp(&udp) && !socket_is_tcp(&udp));
	CHECK(!socket_is_tcp(NULL) && !socket_is_udp(NULL) && !socket_is_tcp_in(NULL, TCP_STATE_SYN_SENT));
}

static void test_wait_kinds(void)
{
	for (int k = WAIT_NONE; k <= WAIT_OTHER_SYSCALL; k++)
		CHECK(wait_kind_name((enum wait_kind)k) && strcmp(wait_kind_name((enum wait_kind)k), "?") != 0);
	CHECK(strcmp(wait_kind_name(WAIT_JOIN), "join") == 0);
	CHECK(strcmp(wait_lock_phrase(WAIT_STDIO_LOCK), "stdio lock") == 0 && !wait_lock_phrase(WAIT_JOIN));
}

static void test_rule_ids(void)
{
	static const char *const design[] = { "lock-cycle", "abandoned-lock", "lock-held-during-io", "join-on-blocked",
					      "connect-stall", "socket-read-stall", "pipe-write-full", "file-lock-wait",
					      "child-wait", "dns-stall", "busy-spin", "signal-unsafe-reentry" };

	for (size_t i = 0; i < sizeof(design) / sizeof(design[0]); i++)
		CHECK(rules_is_builtin(design[i]));
	CHECK(!rules_is_builtin("grpc-ssl-read-stall"));
	CHECK(!rules_is_builtin("lock"));
}

static void test_runtime_modules(void)
{
	CHECK(frame_is_runtime_module("libc.so.6") && frame_is_runtime_module("ld-linux-x86-64.so.2"));
	CHECK(!frame_is_runtime_module("join-connect-stall") && !frame_is_runtime_module(NULL));
}

int main(void)
{
	test_severity();
	test_tcp_states();
	test_sockets();
	test_wait_kinds();
	test_rule_ids();
	test_runtime_modules();
	return unit_finish();
}
