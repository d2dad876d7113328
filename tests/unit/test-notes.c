/*
 * HANGSNAP records survive encode → decode unchanged, including strings
 * with every byte value; truncated or over-cap records are rejected with
 * HS_ERR_FORMAT, never read past their end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/proc.h"
#include "formats/hangsnap_notes.h"
#include "tests/unit/unit.h"


static char nasty[256];

/* Every prefix of a valid record must fail cleanly. */
#define CHECK_TRUNCATIONS(type, decode, deinit, sb)                                  \
	for (size_t cut = 0; cut < (sb).len; cut++) {                                \
		type t_;                                                             \
		struct hs_error *e_ = decode((sb).buf, cut, &t_);                    \
		CHECK(e_ && e_->kind == HS_ERR_FORMAT);                              \
		hs_error_destroy(e_);                                                \
		deinit(&t_);                                                         \
	}

static void test_process(void)
{
	struct hs_process_info in = { .pid = 4711, .ppid = 1, .uid = 1000, .gid = 100, .flags = 5,
				      .interval_ms = 200, .nthreads = 3, .nthreads_unstopped = 1,
				      .start_boot_ns = 123456789, .start_real_ns = 1764000000000000000ull,
				      .capture_real_ns = 1764000001000000000ull, .freeze_ns = 4242 };
	struct hs_process_info out;
	struct strbuf sb;

	in.comm = "log\"fwd";
	in.exe = "/usr/sbin/logfwd";
	in.build_id = "0123456789abcdef";
	in.cmdline = "logfwd\0--config\0/etc/x.conf";
	in.cmdline_len = 27;
	in.host = "host-1";
	in.boot_id = nasty;
	strbuf_init(&sb);
	CHECK(!hs_process_info_encode(&in, &sb));
	CHECK(!hs_process_info_decode(sb.buf, sb.len, &out));
	CHECK(out.pid == 4711 && out.ppid == 1 && out.uid == 1000 && out.gid == 100 && out.flags == 5);
	CHECK(out.interval_ms == 200 && out.nthreads == 3 && out.nthreads_unstopped == 1);
	CHECK(out.start_boot_ns == in.start_boot_ns && out.start_real_ns == in.start_real_ns);
	CHECK(out.capture_real_ns == in.capture_real_ns && out.freeze_ns == 4242);
	CHECK(!strcmp(out.comm, in.comm) && !strcmp(out.exe, in.exe) && !strcmp(out.build_id, in.build_id));
	CHECK(out.cmdline_len == 27 && !memcmp(out.cmdline, in.cmdline, 27));
	CHECK(!strcmp(out.host, "host-1") && !strcmp(out.boot_id, nasty));
	hs_process_info_deinit(&out);
	CHECK_TRUNCATIONS(struct hs_process_info, hs_process_info_decode, hs_process_info_deinit, sb);
	strbuf_deinit(&sb);
}

static void test_thread(void)
{
	struct hs_thread_info in = { .tid = 4723, .state = 'S', .flags = HS_THREAD_STOPPED, .syscall_nr = 42,
				     .syscall_args = { 5, 0x7ffd0000, 16, 0, 0, 0 }, .syscall_sp = 0x7ffd1000,
				     .syscall_pc = 0x7f0000001234, .utime = { 10, 11 }, .stime = { 20, 22 },
				     .vcsw = { 1, 2 }, .nvcsw = { 3, 4 }, .sample_ns = 200000000 };
	struct hs_thread_info out;
	struct strbuf sb;

	in.comm = "<script>";
	in.wchan = "inet_wait_for_connect";
	in.syscall_line = "42 0x5 0x7ffd0000 0x10 0x0 0x0 0x0 0x7ffd1000 0x7f0000001234";
	strbuf_init(&sb);
	CHECK(!hs_thread_info_encode(&in, &sb));
	CHECK(!hs_thread_info_decode(sb.buf, sb.len, &out));
	CHECK(out.tid == 4723 && out.state == 'S' && out.flags == HS_THREAD_STOPPED && out.syscall_nr == 42);
	CHECK(!memcmp(out.syscall_args, in.syscall_args, sizeof(in.syscall_args)));
	CHECK(out.syscall_sp == in.syscall_sp && out.syscall_pc == in.syscall_pc);
	CHECK(out.utime[1] == 11 && out.stime[1] == 22 && out.vcsw[1] == 2 && out.nvcsw[1] == 4);
	CHECK(out.sample_ns == 200000000);
	CHECK(!strcmp(out.comm, in.comm) && !strcmp(out.wchan, in.wchan) && !strcmp(out.syscall_line, in.syscall_line));
	hs_thread_info_deinit(&out);
	CHECK_TRUNCATIONS(struct hs_thread_info, hs_thread_info_decode, hs_thread_info_deinit, sb);
	strbuf_deinit(&sb);
}

static void test_fd_socket_pipe_lock_child(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	{
		struct hs_fd_info in = { .fd = 5, .kind = HS_FD_SOCKET, .flags = 02, .mnt_id = 9, .pos = 77, .inode = 5894 };
		struct hs_fd_info out;
		in.target = "socket:[5894]";
		in.extra = "tfd:        5 events:       19 data: 0\n";
		CHECK(!hs_fd_info_encode(&in, &sb));
		CHECK(!hs_fd_info_decode(sb.buf, sb.len, &out));
		CHECK(out.fd == 5 && out.kind == HS_FD_SOCKET && out.flags == 02 && out.mnt_id == 9 && out.pos == 77);
		CHECK(out.inode == 5894 && !strcmp(out.target, in.target) && !strcmp(out.extra, in.extra));
		hs_fd_info_deinit(&out);
		CHECK_TRUNCATIONS(struct hs_fd_info, hs_fd_info_decode, hs_fd_info_deinit, sb);
	}
	sb.len = 0;
	{
		struct hs_socket_info in = { .inode = 5894, .family = 2, .protocol = 6, .state = 2, .timer = 1,
					     .local_port = 40000, .remote_port = 443, .local_addr = { 127, 0, 0, 1 },
					     .remote_addr = { 203, 0, 113, 9 }, .rx_queue = 1, .tx_queue = 2,
					     .retransmits = 5, .uid = 1000, .timer_ticks = 300 };
		struct hs_socket_info out;
		in.path = "";
		CHECK(!hs_socket_info_encode(&in, &sb));
		CHECK(!hs_socket_info_decode(sb.buf, sb.len, &out));
		CHECK(out.inode == 5894 && out.family == 2 && out.protocol == 6 && out.state == 2 && out.timer == 1);
		CHECK(out.local_port == 40000 && out.remote_port == 443 && out.remote_addr[0] == 203 && out.remote_addr[3] == 9);
		CHECK(out.rx_queue == 1 && out.tx_queue == 2 && out.retransmits == 5 && out.uid == 1000 && out.timer_ticks == 300);
		hs_socket_info_deinit(&out);
		CHECK_TRUNCATIONS(struct hs_socket_info, hs_socket_info_decode, hs_socket_info_deinit, sb);
	}
	sb.len = 0;
	{
		struct hs_pipe_info in = { .inode = 99, .queued = 65536, .capacity = 65536, .nholders = 2,
					   .holders = { { 10, 3, 'r' }, { 11, 4, 'w' } } };
		struct hs_pipe_info out;
		in.path = "/run/fifo";
		CHECK(!hs_pipe_info_encode(&in, &sb));
		CHECK(!hs_pipe_info_decode(sb.buf, sb.len, &out));
		CHECK(out.inode == 99 && out.queued == 65536 && out.capacity == 65536 && out.nholders == 2);
		CHECK(out.holders[1].pid == 11 && out.holders[1].fd == 4 && out.holders[1].mode == 'w');
		CHECK(!strcmp(out.path, "/run/fifo"));
		hs_pipe_info_deinit(&out);
		CHECK_TRUNCATIONS(struct hs_pipe_info, hs_pipe_info_decode, hs_pipe_info_deinit, sb);
		/* a holder count over the cap is refused, not trusted */
		sb.buf[20] = (char)0xff;
		struct hs_error *e = hs_pipe_info_decode(sb.buf, sb.len, &out);
		CHECK(e && e->kind == HS_ERR_FORMAT && strstr(e->message, "holders"));
		hs_error_destroy(e);
		hs_pipe_info_deinit(&out);
	}
	sb.len = 0;
	{
		struct hs_lock_info in = { .id = 3, .waiting = 1, .kind = HS_LOCK_POSIX, .mode = HS_LOCK_WRITE, .pid = 77,
					   .dev_major = 8, .dev_minor = 1, .inode = 393219, .start = 0, .end = HS_LOCK_EOF };
		struct hs_lock_info out;
		in.path = "/var/lib/x.lock";
		CHECK(!hs_lock_info_encode(&in, &sb));
		CHECK(!hs_lock_info_decode(sb.buf, sb.len, &out));
		CHECK(out.id == 3 && out.waiting == 1 && out.kind == HS_LOCK_POSIX && out.mode == HS_LOCK_WRITE);
		CHECK(out.pid == 77 && out.dev_major == 8 && out.dev_minor == 1 && out.inode == 393219);
		CHECK(out.end == HS_LOCK_EOF && !strcmp(out.path, in.path));
		hs_lock_info_deinit(&out);
		CHECK_TRUNCATIONS(struct hs_lock_info, hs_lock_info_decode, hs_lock_info_deinit, sb);
	}
	sb.len = 0;
	{
		struct hs_child_info in = { .pid = 4800, .state = 'S', .nthreads = 1, .syscall_nr = 61 };
		struct hs_child_info out;
		in.comm = "sh";
		in.wchan = "do_wait";
		in.syscall_line = "61 0xffffffff 0x0";
		CHECK(!hs_child_info_encode(&in, &sb));
		CHECK(!hs_child_info_decode(sb.buf, sb.len, &out));
		CHECK(out.pid == 4800 && out.state == 'S' && out.nthreads == 1 && out.syscall_nr == 61);
		CHECK(!strcmp(out.comm, "sh") && !strcmp(out.wchan, "do_wait") && !strcmp(out.syscall_line, in.syscall_line));
		hs_child_info_deinit(&out);
		CHECK_TRUNCATIONS(struct hs_child_info, hs_child_info_decode, hs_child_info_deinit, sb);
	}
	strbuf_deinit(&sb);
}

static void test_caps(void)
{
	struct hs_thread_info in = { .tid = 1 }, out;
	struct strbuf sb;
	char *huge = malloc(100000);
	struct hs_error *e;

	memset(huge, 'x', 99999);
	huge[99999] = '\0';
	in.comm = huge;
	in.wchan = in.syscall_line = "";
	strbuf_init(&sb);
	/* the encoder cuts an over-long string at the cap */
	CHECK(!hs_thread_info_encode(&in, &sb));
	CHECK(!hs_thread_info_decode(sb.buf, sb.len, &out));
	CHECK(strlen(out.comm) == HS_NOTE_STR_MAX);
	hs_thread_info_deinit(&out);
	/* a descriptor larger than the cap is refused before it is read */
	e = hs_thread_info_decode(huge, HS_NOTE_DESC_MAX + 1, &out);
	CHECK(e && e->kind == HS_ERR_FORMAT);
	hs_error_destroy(e);
	hs_thread_info_deinit(&out);
	strbuf_deinit(&sb);
	free(huge);
}

static void test_proc_parsers(void)
{
	struct proc_stat st;
	int64_t nr;
	uint64_t args[6], sp, pc;

	/* a comm with spaces and parentheses must not shift the fields */
	CHECK(proc_parse_stat("42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 7 9 0 0 20 0 3 0 12345 0 0", &st));
	CHECK(!strcmp(st.comm, "a) b (c)") && st.state == 'S' && st.ppid == 1 && st.utime == 7 && st.stime == 9);
	CHECK(st.num_threads == 3 && st.starttime == 12345 && st.flags == 4194560);
	CHECK(!proc_parse_stat("42 no-parens S 1", &st));
	CHECK(proc_parse_syscall("running", &nr, args, &sp, &pc) && nr == -1);
	CHECK(proc_parse_syscall("-1 0x7ffd1000 0x401000", &nr, args, &sp, &pc) && nr == -1 && sp == 0x7ffd1000 && pc == 0x401000);
	CHECK(proc_parse_syscall("42 0x5 0x7ffd0000 0x10 0x0 0x0 0x0 0x7ffd1000 0x7f0000001234", &nr, args, &sp, &pc));
	CHECK(nr == 42 && args[0] == 5 && args[1] == 0x7ffd0000 && args[2] == 16 && sp == 0x7ffd1000 && pc == 0x7f0000001234);
	CHECK(!proc_parse_syscall("garbage", &nr, args, &sp, &pc));
}

int main(void)
{
	for (int i = 0; i < 255; i++)
		nasty[i] = (char)(i + 1);	/* every byte but NUL, incl. invalid UTF-8 */
	test_process();
	test_thread();
	test_fd_socket_pipe_lock_child();
	test_caps();
	test_proc_parsers();
	return unit_finish();
}
