/*
 * Names of the model's enumerations, as reports, the case database, user
 * rule files and the command line spell them: one table each, here and
 * nowhere else. A leaf: it needs only the model's types.
 */
#ifndef HS_ANALYZER_NAMES_H
#define HS_ANALYZER_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/model.h"

/* "low", "medium", "high", "critical"; "?" for a value out of range. */
const char *severity_name(enum severity s);

/* The severity spelled name ("high" -> SEVERITY_HIGH), -1 for anything else. */
int severity_from_name(const char *name);

/* "mutex", "join", "connect"...: the wait kind as it reads in reports. */
const char *wait_kind_name(enum wait_kind kind);

/* "certain" or "probable": a finding's confidence as the JSON report spells it. */
const char *confidence_name(enum confidence c);

/* Is kind a wait on a lock with an owner: a mutex, an rwlock or a stdio lock? */
bool wait_is_lock(enum wait_kind kind);

/* "mutex", "rwlock", "stdio lock": a lock wait as a sentence names the lock; NULL for other kinds. */
const char *wait_lock_phrase(enum wait_kind kind);

/*
 * TCP states, numbered as the kernel numbers them in /proc/net/tcp and in a
 * HANGSNAP socket record's `state` (include/net/tcp_states.h). Prefixed so
 * they do not collide with <netinet/tcp.h>'s TCP_ESTABLISHED...
 */
enum tcp_state {
	TCP_STATE_ESTABLISHED = 1,
	TCP_STATE_SYN_SENT,
	TCP_STATE_SYN_RECV,
	TCP_STATE_FIN_WAIT1,
	TCP_STATE_FIN_WAIT2,
	TCP_STATE_TIME_WAIT,
	TCP_STATE_CLOSE,
	TCP_STATE_CLOSE_WAIT,
	TCP_STATE_LAST_ACK,
	TCP_STATE_LISTEN,
	TCP_STATE_CLOSING,
	TCP_STATE_COUNT		/* one past the last state */
};

/* "SYN_SENT" for TCP_STATE_SYN_SENT; "" for 0 and anything out of range. */
const char *tcp_state_name(unsigned state);

/* True when s is a TCP socket (IPv4 or IPv6) in state. s may be NULL. */
bool socket_is_tcp_in(const struct hs_socket_info *s, enum tcp_state state);

/* True when s is a TCP socket; its state is then one of enum tcp_state. s may be NULL. */
bool socket_is_tcp(const struct hs_socket_info *s);

/* True when s is a UDP socket. s may be NULL. */
bool socket_is_udp(const struct hs_socket_info *s);

#endif
