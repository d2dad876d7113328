/*
 * dns-stall: a thread is inside name resolution (getaddrinfo and friends,
 * the res_* resolver) waiting on a socket to a DNS server that does not
 * answer. Port 53 is the usual sign; the resolver frames are the decisive
 * one, so a server on another port (tests, local caches) counts too.
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>

void rule_dns_stall(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;
		const struct hs_socket_info *dns = NULL;
		struct finding *f;
		char label[64];
		char *what;

		if (b->kind != WAIT_POLL && b->kind != WAIT_READ && b->kind != WAIT_CONNECT)
			continue;
		for (unsigned k = 0; k < b->nfds && !dns; k++) {
			const struct hs_socket_info *s = b->fds[k].socket;
			if (s && (b->in_resolver || s->remote_port == 53))
				dns = s;
		}
		if (!dns && !b->in_resolver)
			continue;
		if (!(what = rule_describe(rc, t)) ||
		    !(f = rule_add(rc, b->timeout_ms == TIMEOUT_NONE ? SEVERITY_HIGH : SEVERITY_MEDIUM))) {
			free(what);
			return;
		}
		finding_add_thread(rc, f, t->tid);
		finding_set_summary(rc, f, "%s is stuck in name resolution, waiting for a DNS server that does not answer: %s",
				    rule_label(rc, t, label, sizeof(label)), what);
		free(what);
		finding_thread_evidence(rc, f, t);
		if (dns)
			finding_add_evidence(rc, f, "resolver socket: %s, port %u%s", socket_is_udp(dns) ? "udp" : "tcp",
					     dns->remote_port, dns->remote_port == 53 ? " (DNS)" : "");
		finding_set_hint(rc, f, "check the nameservers in /etc/resolv.conf and their reachability; bound lookups "
				        "(options timeout:/attempts:, or getaddrinfo_a with a deadline)");
		if (rc->err)
			return;
	}
}
