/*
 * Fuzz target for capture's parsers of /proc text (capture/proc.c,
 * capture/context.c, capture/memory.c): whatever a file under /proc holds —
 * a comm with parentheses and newlines, a path of any length, a kernel that
 * adds or drops columns — each parser must take it or refuse it, with no
 * crash, no read past the text's end, no leak, and keep its promises: a
 * NUL-terminated comm that fits, a maps range that is not empty, a unix
 * socket path inside its line, fdinfo extras under HS_NOTE_STR_MAX.
 *
 * An input is one byte choosing the parser (modulo 7) and the text it gets,
 * NUL-terminated as hs_read_file() and fgets() give it:
 *
 *   0 /proc/PID/stat         proc_parse_stat, the whole text
 *   1 /proc/PID/syscall      proc_parse_syscall, the whole text
 *   2 /proc/net/tcp          context_parse_inet_row, line by line
 *   3 /proc/net/unix         context_parse_unix_row, line by line
 *   4 /proc/locks            context_parse_lock_row, line by line
 *   5 /proc/PID/fdinfo/FD    context_parse_fdinfo, the whole text
 *   6 /proc/PID/maps         memory_parse_maps_line, line by line
 *
 * The corpus (corpus-proc/) is text recorded from a real machine, each file
 * prefixed with its parser's byte. Built with replay-main.c as
 * fuzz-proc-replay, run over corpus-proc/ in every build, and with
 * -fsanitize=fuzzer as fuzz-proc (clang).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/context.h"
#include "capture/proc.h"
#include "capture/snapshot-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The maps parser is hand-written for speed; what it accepts, sscanf() with
 * the format it replaced reads the same way (line is as the parser left it:
 * cut at the newline).
 */
static bool same_as_scanf(const char *line, const struct snapshot_mapping *m)
{
	unsigned long long start, end, offset, inode;
	unsigned maj, min;
	char perms[8];
	int pathoff = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &offset, &maj, &min, &inode,
		   &pathoff) < 7)
		return false;
	return start == m->start && end == m->end && offset == m->offset && maj == m->dev_major &&
	       min == m->dev_minor && inode == m->inode && m->readable == (perms[0] == 'r') &&
	       m->writable == (perms[1] == 'w') && m->shared == (perms[3] == 's') &&
	       (pathoff == 0 ? m->path[0] == '\0' : strcmp(line + pathoff, m->path) == 0);
}

static void parse_line(unsigned which, char *line)
{
	struct hs_socket_info s;
	struct hs_lock_info l;
	struct snapshot_mapping m;
	const char *path;

	switch (which) {
	case 2:
		context_parse_inet_row(line, &s);
		break;
	case 3:
		if (context_parse_unix_row(line, &s, &path) && (path < line || path > line + strlen(line)))
			abort();
		break;
	case 4:
		context_parse_lock_row(line, &l);
		break;
	case 6:
		memset(&m, 0, sizeof(m));
		if (memory_parse_maps_line(line, &m) && (m.end <= m.start || !m.path || strchr(m.path, '\n') ||
							 !same_as_scanf(line, &m)))
			abort();
		free(m.path);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned which;
	char *text, *line, *next;

	if (size < 1)
		return 0;
	which = data[0] % 7u;
	/* an exact-size copy plus the NUL every reader adds, so that ASan sees any read past it */
	if (!(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (which) {
	case 0: {
		struct proc_stat st;
		if (proc_parse_stat(text, &st) && strlen(st.comm) >= sizeof(st.comm))
			abort();
		break;
	}
	case 1: {
		int64_t nr;
		uint64_t args[6], sp, pc;
		if (proc_parse_syscall(text, &nr, args, &sp, &pc) && nr < -1)
			abort();
		break;
	}
	case 5: {
		struct hs_fd_info fd;
		bool nomem = false;
		memset(&fd, 0, sizeof(fd));
		context_parse_fdinfo(text, &fd, &nomem);
		if (!nomem && (!fd.extra || strlen(fd.extra) >= HS_NOTE_STR_MAX))
			abort();
		free(fd.extra);
		break;
	}
	default:
		/* each line with its '\n', as fgets() gives it (strtok_r for /proc/locks drops it) */
		for (line = text; *line; line = next) {
			char saved;
			next = strchr(line, '\n');
			next = next ? next + 1 : line + strlen(line);
			saved = *next;
			*next = '\0';
			parse_line(which, line);
			*next = saved;
		}
		break;
	}
	free(text);
	return 0;
}
